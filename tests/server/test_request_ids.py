"""Request ids: on every request line, echoed to the caller, and carried through the outbox into the
log line of the background job that delivers what the request caused."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.background import Periodic
from server.notify.dispatcher import dispatch_once
from tests.helpers import Family, link_code


def _lines(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    found = []
    for record in caplog.records:
        try:
            line = json.loads(record.getMessage())
        except ValueError:
            continue
        if line.get("event") == event:
            found.append(line)
    return found


def test_the_request_id_reaches_the_delivery_job(
    client: TestClient[Any], app: Litestar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="yongdon")
    family = Family.create(client, ("지우",))
    code = link_code(client, family.parent, "child_device", family.children["지우"].user_id)
    joined = {"code": code, "client_id": "dev-second-tablet", "device_name": "tablet"}
    # enrolling a device tells every parent (an outbox event, delivered later by the dispatcher)
    response = client.post("/api/users/family/join", json=joined, headers={"X-Request-ID": "proxy-req-0001"})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "proxy-req-0001"
    assert any(line["request_id"] == "proxy-req-0001" for line in _lines(caplog, "request"))
    dispatch_once(app.state.db, app.state.clock())
    jobs = [line for line in _lines(caplog, "job") if line.get("job") == "notify.deliver"]
    assert any(line["request_id"] == "proxy-req-0001" for line in jobs), jobs


def test_a_malformed_request_id_is_replaced(client: TestClient[Any]) -> None:
    response = client.get("/health", headers={"X-Request-ID": 'evil"\n{"injected": 1}'})
    assigned = response.headers["x-request-id"]
    assert assigned != 'evil"\n{"injected": 1}' and len(assigned) == 32 and assigned.isalnum()
    assert client.get("/health").headers["x-request-id"] != assigned


def test_each_background_pass_is_one_json_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="yongdon")

    class Pass(Periodic):
        thread_name = "yongdon-test-pass"
        interval = 0.01
        runs = 0

        def run_once(self) -> None:
            self.runs += 1
            if self.runs == 2:
                raise RuntimeError("a bad pass")

    job = Pass()
    job.start()
    while job.runs < 3:
        pass
    job.stop()
    lines = [line for line in _lines(caplog, "job") if line.get("job") == "yongdon-test-pass"]
    failed = _lines(caplog, "job failed; the next pass retries")
    assert lines and lines[0]["level"] == "debug" and "ms" in lines[0]
    assert failed and failed[0]["job"] == "yongdon-test-pass" and failed[0]["level"] == "error"

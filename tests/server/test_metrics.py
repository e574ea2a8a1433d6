"""``/metrics``: who may read it, the golden signals per route template (with the real status of a
refused request), the database's saturation, the business figures, and the alert rules and the
dashboard naming only metrics the server really exports."""

from __future__ import annotations

import json
import math
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.settings import Settings
from tests.helpers import Family

from ..conftest import REQUIRE_SERVICES, MovableClock

TOKEN = secrets.token_urlsafe(40)
RULES = Path(__file__).parents[2] / "server" / "observability" / "prometheus"
DASHBOARD = Path(__file__).parents[2] / "server" / "observability" / "grafana" / "yongdon.json"


@pytest.fixture
def metered(settings: Settings, clock: MovableClock) -> Iterator[TestClient[Litestar]]:
    app = create_app(settings.with_overrides(metrics_token=TOKEN, notify_dispatcher=False), clock=clock)
    with TestClient(app) as client:
        yield client
    app.state.db.dispose()


def scrape(client: TestClient[Any]) -> dict[str, list[Any]]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return _parse(response.text)


def process_counters() -> dict[str, list[Any]]:
    """This process's metrics as they stand (counters outlive the apps of earlier tests)."""
    return _parse(generate_latest(REGISTRY).decode())


def _parse(text: str) -> dict[str, list[Any]]:
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list[Any]], name: str, **labels: str) -> float:
    found = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert found, f"no {name}{labels}"
    return float(sum(found))


def test_metrics_need_the_token_or_loopback(
    client: TestClient[Any], make_settings: Callable[..., Settings], database_url: str
) -> None:
    assert client.get("/metrics").status_code == 403  # no token set: loopback only (this client is not)
    app = create_app(make_settings(database_url=database_url, metrics_token=TOKEN))
    with TestClient(app) as guarded:
        assert guarded.get("/metrics").status_code == 401
        assert guarded.get("/metrics", headers={"Authorization": "Bearer " + "x" * 48}).status_code == 401
        assert guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    app.state.db.dispose()


def test_golden_signals_per_route_template_with_refusals_counted_as_such(metered: TestClient[Any]) -> None:
    before = process_counters()  # (the database figures are read at the first scrape, below)
    family = Family.create(metered)
    kids = list(family.children.values())
    for kid in kids:
        assert metered.get(f"/api/game/portfolio/{kid.user_id}", headers=kid.headers).status_code == 200
    assert metered.get(f"/api/game/portfolio/{kids[0].user_id}").status_code == 401  # no token
    samples = scrape(metered)

    def grew(name: str, **labels: str) -> float:
        old = [s for s in before.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
        return value(samples, name, **labels) - (sum(s.value for s in old) if old else 0)

    route = "/api/game/portfolio/{user_id}"  # one series for every child, not one per id
    assert grew("yongdon_http_requests_total", path=route, status_code="200", method="GET") == 2
    # the bearer check refuses by raising: the stock middleware would have counted this as a 200
    assert grew("yongdon_http_requests_total", path=route, status_code="401") == 1
    assert grew("yongdon_http_request_duration_seconds_count", path=route, status_code="200") == 2
    assert grew("yongdon_http_request_duration_seconds_bucket", path=route, status_code="200", le="+Inf") == 2
    assert not [s for s in samples["yongdon_http_requests_total"] if kids[0].user_id in s.labels["path"]]
    assert value(samples, "yongdon_http_requests_in_progress", path=route) == 0
    assert value(samples, "yongdon_db_pool_connections_capacity") > 0
    assert grew("yongdon_db_write_lock_wait_seconds_count") >= 5  # register, children, pairing codes
    assert value(samples, "yongdon_families") == 1
    assert value(samples, "yongdon_family_members", role="child") == 2
    assert value(samples, "yongdon_outbox_events_waiting") >= 1  # the dispatcher is off here
    assert math.isnan(value(samples, "yongdon_allowance_approval_ratio"))  # nothing decided yet
    assert "yongdon_active_users" in samples and "yongdon_queued_orders" in samples


def _metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b(yongdon_[a-z0-9_]+)", expr))


def test_the_dashboard_and_the_alerts_name_only_exported_metrics(metered: TestClient[Any]) -> None:
    Family.create(metered)
    exported = set(scrape(metered))
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    rules = (RULES / "alerts.yml").read_text(encoding="utf-8")
    named = set().union(*map(_metric_names, queries)) | _metric_names(rules)
    assert len(queries) >= 12 and named
    assert sorted(named - exported) == []


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed (apt-get install prometheus)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_alert_rules_pass_promtool_check_and_their_unit_tests() -> None:
    promtool = _promtool()
    checked = subprocess.run(
        [promtool, "check", "rules", "alerts.yml"], cwd=RULES, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"], cwd=RULES, capture_output=True, text=True
    )
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr

"""The OpenAPI document is the contract: Schemathesis, every check, over every operation.

The run is Schemathesis's own engine (the phases of ``schemathesis run --checks all``: examples,
coverage, fuzzing, stateful), in process against the ASGI app with two families present, as a parent,
as a child and with no token. Every failure is listed, with the status the server answered.

What a schema cannot state is named here and nowhere else: a password on the offline blocklist (or
with fewer than three different characters, or equal to the e-mail) is refused by the accounts
services with 422 although its shape is valid (``_BUSINESS_REFUSALS``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
import schemathesis
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis.engine import events, from_schema

from server.accounts.services import normal_email
from server.app import create_app
from server.auth.credentials import PIN_PATTERN, check_password_policy, check_pin_policy
from server.inbound import has_wide_integer
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family

# per operation and phase; the CI size, about a minute a caller on the CI machine
EXAMPLES = int(os.environ.get("YONGDON_CONTRACT_EXAMPLES", "8"))


@dataclass(frozen=True)
class Finding:
    operation: str
    code: str  # Schemathesis's failure code, e.g. ST202
    title: str
    status: int | None
    request: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.code} {self.title} (answered {self.status})\n    {self.request}"


def _business_refusal(case: Any, response: Any) -> bool:
    """A 422 that the accounts services' content rules explain: the schema states the password's
    length, not the blocklist (``check_password_policy``) nor a PIN equal to the birth year; or the
    one bound every body has, integers within 64 bits."""
    if response is None or response.status_code != 422 or not isinstance(case.body, dict):
        return False
    body = case.body
    if has_wide_integer(body) and response.json().get("code") == "INVALID_ARGS":
        # every JSON body's integers fit in 64 bits (README, "Bad input"); OpenAPI can bound a field
        # but not every integer nested at any depth in a free-form object (a mutation's ``args``)
        return True
    password, email = body.get("password"), body.get("email")
    if isinstance(password, str) and check_password_policy(password, email=normal_email(str(email or ""))):
        return True
    pin, born = body.get("pin"), body.get("birth_year")
    return (
        isinstance(pin, str) and isinstance(born, int) and check_pin_policy(pin, birth_year=born) is not None
    )


def _run(app: Litestar, headers: dict[str, str]) -> list[Finding]:
    config = schemathesis.Config.from_dict(
        {
            "headers": headers,
            "request-timeout": 60,  # a mutation on a busy CI machine takes seconds: no finding
            "checks": {"enabled": True},
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        }
    )
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not (failure.code == "ST202" and _business_refusal(case, response))

    findings: dict[tuple[str, str], Finding] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                interaction = event.recorder.interactions.get(case_id)
                status = interaction.response.status_code if interaction and interaction.response else None
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (str(failure.operation), failure.code)
                    sample = check.failure_info.code_sample.splitlines()[-1][:300]
                    findings.setdefault(key, Finding(key[0], key[1], failure.title, status, sample))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            findings[(str(event), "error")] = Finding(
                str(getattr(event, "label", "")), "error", repr(event), None, ""
            )
    return sorted(findings.values(), key=str)


@pytest.fixture
def world(make_settings: Callable[..., Settings], tmp_path: Any, clock: MovableClock) -> Iterator[Any]:
    """The app on SQLite with two families (a parent and two children each, devices enrolled)."""
    settings = make_settings(notify_dispatcher=False)
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        families = [Family.create(client), Family.create(client, ("민수", "서연"))]
    yield app, families
    app.state.db.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["parent", "child", "anonymous"])
def test_every_operation_keeps_the_contract(world: Any, caller: str) -> None:
    app, (ours, _) = world
    headers = {"parent": ours.parent.headers, "child": ours.child("지우").headers, "anonymous": {}}[caller]
    findings = _run(app, headers)
    assert not findings, "\n".join(map(str, findings))


def test_the_document_states_closed_structs_and_problem_details(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["RegisterIn"]["additionalProperties"] is False  # the plugin rides a private import
    assert schemas["RegisterIn"]["properties"]["password"]["minLength"] == 8
    link = document["paths"]["/api/users/family/link"]["post"]
    assert {
        s["$ref"].rsplit("/", 1)[1]
        for s in link["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    } == {
        "ChildDeviceLinkIn",
        "ParentInviteLinkIn",
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and (path, status) != ("/ready", "503"):  # the probe's own shape
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
    ready = document["paths"]["/ready"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    assert ready["$ref"].endswith("/ReadyOut")


def test_options_lists_every_method_of_a_path(client: TestClient[Any]) -> None:
    assert client.options("/api/payment/account").headers["allow"] == "GET, OPTIONS, PUT"
    assert client.options("/api/notifications/preferences").headers["allow"] == "GET, OPTIONS, PUT"


def test_the_pin_pattern_in_the_schema_is_the_pin_policy() -> None:
    """Every 4-6 digit PIN: the documented pattern accepts it exactly when the service's policy does
    (the birth year aside, which the schema cannot know)."""
    pattern = re.compile(PIN_PATTERN)
    disagree = [
        pin
        for digits in (4, 5, 6)
        for number in range(10**digits)
        if bool(pattern.search(pin := str(number).zfill(digits))) != (check_pin_policy(pin) is None)
    ]
    assert disagree == []
    assert not pattern.search("12a4") and not pattern.search("1357913")


def test_typed_market_answers_match_the_services(client: TestClient[Any]) -> None:
    """The market routes answer their structs (a drift between a service's dict and the struct would
    be a 500 here, and a schema violation for every device)."""
    kid = Family.create(client, ("지우",)).child("지우")
    for path in [
        "/api/market/search?keyword=삼성",
        "/api/market/stocks/AAPL",
        "/api/market/status",
        "/api/market/fx/USDKRW",
        "/api/market/stocks/AAPL/history?range=1W",
    ]:
        response = client.get(path, headers=kid.headers)
        assert response.status_code == 200, (path, response.text)
    assert msgspec.json.decode(client.get("/health").content) == {"status": "ok"}

"""Hostile bytes get a 4xx with a stable code and change nothing, on SQLite and PostgreSQL.

Bodies that are not JSON at all (not UTF-8, broken, nested 1,000 deep) are 400 ``INVALID_ARGS`` on
every route that takes one; integers beyond 64 bits and control characters (NUL) in text are 422
``INVALID_ARGS`` before any query runs; a value only the database would refuse is 422 too, never 500.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text

from tests.helpers import PASSWORD, Family, register_parent

JSON = {"content-type": "application/json"}
UNDECODABLE = {
    "not UTF-8 inside a string": b'{"email": "\xff\xfe@example.org", "refresh_token": "\xc3\x28"}',
    "not UTF-8 at all": b"\xff\xfe\xfd",
    "broken JSON": b'{"email": ',
    "arrays 1,000 deep": b"[" * 1000 + b"]" * 1000,
    "objects 1,000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "arrays 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
}
# the routes a child calls; every other route with a body is called as the parent
_CHILD_ROUTES = re.compile(r"^/api/(game/trade|allowance/request|sync/)")


def _body_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path) whose handler reads a JSON body, path parameters filled with ``x``."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "data" not in handler.parsed_fn_signature.parameters:
                continue
            for method in handler.http_methods:
                found.append((method, re.sub(r"\{[^}]+\}", "x", route.path)))
    return sorted(found)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (status, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == "INVALID_ARGS" and body["status"] == status
    return body


@pytest.mark.parametrize("kind", list(UNDECODABLE))
def test_an_undecodable_body_is_400_on_every_route(client: TestClient[Any], app: Litestar, kind: str) -> None:
    family = Family.create(client, ("지우",))
    routes = _body_routes(app)
    assert ("POST", "/api/users/register") in routes and ("POST", "/api/auth/refresh") in routes
    assert ("POST", "/api/sync/push") in routes and ("POST", "/api/game/trade/buy") in routes
    for method, path in routes:
        who = family.child("지우") if _CHILD_ROUTES.match(path) else family.parent
        response = client.request(method, path, content=UNDECODABLE[kind], headers={**JSON, **who.headers})
        # a guard that refuses the caller or the object first (403/404) is fine; a 500 never is
        if response.status_code not in (403, 404):
            _problem(response, 400)
    # nothing was registered by the broken register call
    assert client.post("/api/users/login", json={"email": "", "password": ""}).status_code == 422


def test_an_undecodable_register_or_refresh_changes_nothing(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    bad_register = (
        b'{"email": "new@example.org", "password": "' + PASSWORD.encode() + b'", "display_name": "\xff"}'
    )
    _problem(client.post("/api/users/register", content=bad_register, headers=JSON), 400)
    _problem(client.post("/api/auth/refresh", content=b'{"refresh_token": "\xff"}', headers=JSON), 400)
    # the session still refreshes (the broken call did not count as a use), and the e-mail is free
    assert client.post("/api/auth/refresh", json={"refresh_token": parent.refresh}).status_code == 200
    register_parent(client, email="new@example.org")


def test_integers_beyond_64_bits_are_refused_before_any_query(client: TestClient[Any]) -> None:
    """A parameter is bounded by what a JSON number holds exactly (2**53 - 1, as the OpenAPI document
    states it); a body's integers by the database's 64 bits."""
    family = Family.create(client, ("지우",))
    kid = family.child("지우")
    for before in (2**53, 2**63, -(2**63) - 1, 10**30):
        response = client.get(
            f"/api/game/ledger/{kid.user_id}?before={before}", headers=family.parent.headers
        )
        assert "before" in _problem(response, 422)["detail"]
    edge = client.get(f"/api/game/ledger/{kid.user_id}?before={2**53 - 1}", headers=family.parent.headers)
    assert edge.status_code == 200  # a valid cursor (an empty page)
    # in a body, wherever it sits: a mutation route and an accounts route
    huge = b'{"amount_game": 18446744073709551616}'
    _problem(client.post("/api/allowance/request", content=huge, headers={**JSON, **kid.headers}), 422)
    nested = b'{"client_id": "%s", "protocol": 1, "mutations": [{"args": {"quantity": %d}}]}' % (
        kid.client_id.encode(),
        2**64,
    )
    _problem(client.post("/api/sync/push", content=nested, headers={**JSON, **kid.headers}), 422)
    child = b'{"display_name": "a", "birth_year": 99999999999999999999, "pin": "480263"}'
    _problem(
        client.post("/api/users/children", content=child, headers={**JSON, **family.parent.headers}), 422
    )


@pytest.mark.parametrize(
    "field", ["display_name", "family_name", "device_name", "email", "password"], ids=lambda f: f
)
def test_nul_in_register_is_refused_and_stores_nothing(client: TestClient[Any], field: str) -> None:
    body = {
        "email": "nul@example.org",
        "password": PASSWORD,
        "display_name": "엄마",
        "family_name": "우리집",
        "client_id": "dev-nul-test-0001",
        "device_name": "tablet",
    }
    body[field] = "nul\u0000@example.org" if field == "email" else f"a\u0000{body[field]}"
    _problem(client.post("/api/users/register", json=body), 422)
    register_parent(client, email="nul@example.org")  # the e-mail was not taken by the refused call


def test_nul_in_other_text_is_refused(client: TestClient[Any]) -> None:
    family = Family.create(client, ("지우",))
    parent, kid = family.parent, family.child("지우")
    child = {"display_name": "새\u0000싹", "birth_year": 2016, "pin": "480263"}
    _problem(client.post("/api/users/children", json=child, headers=parent.headers), 422)
    _problem(client.get("/api/market/search?keyword=a%00b", headers=kid.headers), 422)
    _problem(client.get("/api/users/a%00b/profile", headers=parent.headers), 422)
    _problem(client.get("/api/market/stocks/AAPL%00/price", headers=kid.headers), 422)
    code = client.post(
        "/api/users/family/link",
        json={"kind": "child_device", "child_id": kid.user_id},
        headers=parent.headers,
    ).json()["code"]
    join = {"code": code, "client_id": "dev-nul-join-0001", "device_name": "tab\u0000let"}
    _problem(client.post("/api/users/family/join", json=join), 422)
    join["device_name"] = "tablet"
    assert client.post("/api/users/family/join", json=join).status_code == 200  # the code was not spent
    login = {
        "email": parent.email,
        "password": PASSWORD,
        "client_id": "dev-nul-login-01",
        "device_name": "\x00",
    }
    _problem(client.post("/api/users/login", json=login), 422)
    names = [m["display_name"] for m in client.get("/api/family", headers=parent.headers).json()["members"]]
    assert sorted(names) == ["엄마", "지우"]


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_value_only_postgresql_refuses_is_422_and_logged_without_it(
    client: TestClient[Any], app: Litestar, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The backstop behind the schemas: a value PostgreSQL refuses (its message quotes the value) is
    422 ``INVALID_ARGS``, not 500, and the log line names the error's type only."""
    parent = register_parent(client)
    canary = "canary-7f3a9c@example.org"

    def refused(db: Any, *_: Any) -> Any:
        with db.read() as session:
            session.execute(text("SELECT CAST(:value AS integer)"), {"value": canary})

    monkeypatch.setattr("server.family.services.overview", refused)
    _problem(client.get("/api/family", headers=parent.headers), 422)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "InvalidTextRepresentation" in logged and canary not in logged

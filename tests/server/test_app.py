"""The app's edges: probes, OpenAPI, problem details, body limit, CORS and log hygiene."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.helpers import PASSWORD, Family, register_parent


def test_health_and_ready(client: TestClient[Any]) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready", "schema": "at head"}


def test_ready_fails_when_the_schema_is_behind(client: TestClient[Any], app: Litestar) -> None:
    app.state.migration_heads = frozenset({"a-newer-revision"})
    response = client.get("/ready")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_openapi_names_every_operation(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    assert document["info"]["title"] == "Yongdon"
    operations = [op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations and all(op.get("operationId") for op in operations)
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    for path in ["/api/users/register", "/api/users/login", "/api/auth/refresh", "/health"]:
        assert document["paths"][path]["post" if path.startswith("/api") else "get"].get("security") == [{}]
    family = document["paths"]["/api/family"]["get"]["responses"]
    assert {"200", "401", "404", "429"} <= set(family)
    assert "application/problem+json" in family["401"]["content"]


def test_problem_details_for_framework_errors(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    missing = client.get("/api/nothing-here", headers=parent.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert set(missing.json()) >= {"type", "title", "status", "code", "detail"}
    broken = client.post(
        "/api/users/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["code"] == "INVALID_ARGS"
    wrong_method = client.put("/api/users/login", json={})
    assert wrong_method.status_code == 405


def test_bodies_over_one_mebibyte_are_refused(client: TestClient[Any]) -> None:
    body = b'{"email": "' + b"a" * (1024 * 1024) + b'"}'
    response = client.post("/api/users/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_unexpected_errors_do_not_leak(client: TestClient[Any], app: Litestar, monkeypatch: Any) -> None:
    parent = register_parent(client)

    def explode(*_: Any) -> Any:
        raise RuntimeError("secret internals: /var/lib/db password=hunter2")

    monkeypatch.setattr("server.family.services.overview", explode)
    response = client.get("/api/family", headers=parent.headers)
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL" and "hunter2" not in response.text


def test_cors_allows_only_listed_origins(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(cors_origins=("https://app.example.org",)))
    with TestClient(app) as client:
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = client.options(
            "/api/users/login", headers={"Origin": "https://app.example.org", **preflight}
        )
        assert allowed.headers.get("access-control-allow-origin") == "https://app.example.org"
        other = client.options("/api/users/login", headers={"Origin": "https://evil.example", **preflight})
        assert other.headers.get("access-control-allow-origin") is None
    app.state.db.dispose()


def test_logs_never_carry_secrets(client: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    family = Family.create(client, ("지우",))
    kid = family.child("지우")
    client.post(
        "/api/users/login/pin", json={"client_id": kid.client_id, "child_id": kid.user_id, "pin": kid.pin}
    )
    client.post("/api/auth/refresh", json={"refresh_token": kid.refresh})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "/api/users/login/pin" in text  # requests are logged …
    for secret in [PASSWORD, kid.pin, kid.refresh, kid.access, family.parent.access, family.parent.email]:
        assert secret not in text  # … but never their secrets


def test_structlog_drops_secret_fields() -> None:
    from server.logs import drop_secrets

    event = {"event": "x", "password": "p", "pin": "1", "refresh_token": "r", "code": "c", "user_id": "u"}
    assert drop_secrets(None, "info", event) == {"event": "x", "user_id": "u"}


def test_scrubbing_blanks_each_shape_wherever_it_is() -> None:
    from server.logs import REDACTED, scrub

    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"
    for secret in ["$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", jwt, "jiu.kim+test@example.co.kr"]:
        assert scrub(f"route /x, note {secret} end") == f"route /x, note {REDACTED} end"
        assert scrub(secret) == REDACTED
    line = '{"method": "POST", "route": "/api/sync/pull", "status": 200, "user_id": "u1"}'
    assert scrub(line) == line

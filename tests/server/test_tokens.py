"""Access tokens: every claim is required and checked; anything else is 401 UNAUTHENTICATED."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family, bearer, register_parent


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _forge(settings: Settings, token: str, **changes: Any) -> str:
    claims = {**_claims(token), **changes}
    claims = {k: v for k, v in claims.items() if v is not None or k in {"family_id", "client_id"}}
    for key in [k for k, v in changes.items() if v is None and k not in {"family_id", "client_id"}]:
        claims.pop(key, None)
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def _status(client: TestClient[Any], token: str) -> int:
    response = client.get("/api/family", headers=bearer(token))
    if response.status_code == 401:
        assert response.json()["code"] == "UNAUTHENTICATED"
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code


def test_access_token_carries_every_required_claim(client: TestClient[Any], settings: Settings) -> None:
    parent = register_parent(client)
    claims = _claims(parent.access)
    assert claims["iss"] == settings.issuer and claims["aud"] == settings.audience
    assert claims["typ"] == "access" and claims["role"] == "parent"
    assert claims["sub"] == parent.user_id and claims["client_id"] == parent.client_id
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert "elev" not in claims


def test_token_expires_after_15_minutes(client: TestClient[Any], clock: MovableClock) -> None:
    parent = register_parent(client)
    clock.advance(minutes=14, seconds=59)
    assert _status(client, parent.access) == 200
    clock.advance(seconds=1)
    assert _status(client, parent.access) == 401


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"typ": "refresh"},
        {"typ": None},
        {"sid": None},
        {"iat": None},
        {"role": "admin"},
        {"role": "child"},
        {"family_id": "another-family"},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_wrong_or_missing_claims_are_refused(
    client: TestClient[Any], settings: Settings, changes: dict[str, Any]
) -> None:
    parent = register_parent(client)
    assert _status(client, _forge(settings, parent.access, **changes)) == 401


def test_tampered_signature_and_foreign_key_are_refused(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    head, payload, signature = parent.access.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert _status(client, f"{head}.{payload}.{flipped}") == 401
    other_key = jwt.encode(_claims(parent.access), "another-key-" * 4, algorithm="HS256")
    assert _status(client, other_key) == 401
    unsigned = jwt.encode(_claims(parent.access), None, algorithm="none")
    assert _status(client, unsigned) == 401


def test_refresh_token_is_not_an_access_token(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    assert _status(client, parent.refresh) == 401


def test_missing_or_malformed_header(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    assert client.get("/api/family").status_code == 401
    assert client.get("/api/family", headers={"Authorization": parent.access}).status_code == 401
    assert client.get("/api/family", headers={"Authorization": "Basic abc"}).status_code == 401


def test_token_issued_before_tokens_valid_after_is_refused(
    client: TestClient[Any], app: Any, clock: MovableClock
) -> None:
    from server.db.models import User

    parent = register_parent(client)
    clock.advance(seconds=2)
    with app.state.db.write() as session:
        session.get(User, parent.user_id).tokens_valid_after = clock() - timedelta(seconds=1)
    assert _status(client, parent.access) == 401


def test_deleted_user_is_refused_at_once(client: TestClient[Any], app: Any) -> None:
    from server.db.models import User

    family = Family.create(client, ("지우",))
    kid = family.child("지우")
    assert _status(client, kid.access) == 200
    with app.state.db.write() as session:
        session.delete(session.get(User, kid.user_id))
    assert _status(client, kid.access) == 401

"""Who may call the accounts and family routes: roles, families and the operator."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from server.accounts.setup import new_setup_token
from tests.helpers import PASSWORD, Family, bearer, step_up


@pytest.fixture
def world(client: TestClient[Any], app: Any) -> dict[str, Any]:
    family, other = Family.create(client), Family.create(client, ("민수",))
    token = new_setup_token(app.state.db)
    admin = client.post(
        "/api/admin/setup",
        json={"token": token, "email": "ops@example.org", "password": PASSWORD, "display_name": "ops"},
    ).json()
    return {
        "anonymous": {},
        "child": family.child("지우").headers,
        "sibling": family.child("하늘").headers,
        "parent": family.parent.headers,
        "elevated": step_up(client, family.parent),
        "other_parent": step_up(client, other.parent),
        "other_child": other.child("민수").headers,
        "admin": bearer(admin["access_token"]),
        "kid": family.child("지우"),
    }


CASES = [
    # (method, path, body, {actor: status})
    (
        "GET",
        "/api/family",
        None,
        {"anonymous": 401, "child": 200, "parent": 200, "other_parent": 200, "admin": 404},
    ),
    (
        "GET",
        "/api/users/{kid}/profile",
        None,
        {
            "anonymous": 401,
            "child": 200,
            "sibling": 404,
            "parent": 200,
            "other_parent": 404,
            "other_child": 404,
            "admin": 404,
        },
    ),
    (
        "POST",
        "/api/users/children",
        {"display_name": "새싹", "birth_year": 2016, "pin": "480263"},
        {"anonymous": 401, "child": 403, "parent": 201, "other_parent": 201, "admin": 404},
    ),
    (
        "POST",
        "/api/users/children/{kid}/pin",
        {"pin": "480263"},
        {"anonymous": 401, "child": 403, "parent": 403, "elevated": 204, "other_parent": 404, "admin": 404},
    ),
    (
        "POST",
        "/api/users/family/link",
        {"kind": "child_device", "child_id": "{kid}"},
        {"anonymous": 401, "child": 403, "parent": 201, "other_parent": 404, "admin": 404},
    ),
    (
        "POST",
        "/api/users/family/link",
        {"kind": "parent_invite"},
        {"anonymous": 401, "sibling": 403, "parent": 201, "admin": 404},
    ),
    (
        "POST",
        "/api/auth/step-up",
        {"password": PASSWORD},
        {"anonymous": 401, "child": 403, "parent": 200, "admin": 403},
    ),
    (
        "DELETE",
        "/api/family/devices/{device}",
        None,
        {"anonymous": 401, "child": 403, "parent": 403, "other_parent": 404, "admin": 404, "elevated": 204},
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), CASES, ids=lambda v: v if isinstance(v, str) else ""
)
def test_access(
    client: TestClient[Any],
    world: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    expected: dict[str, int],
) -> None:
    kid = world["kid"]

    def fill(text: str) -> str:
        return text.replace("{kid}", kid.user_id).replace("{device}", kid.client_id)

    url = fill(path)
    payload = {k: fill(v) if isinstance(v, str) else v for k, v in body.items()} if body else None
    # the mutating successes go last so they do not change what the others see
    for actor, status in sorted(expected.items(), key=lambda item: item[1] < 300):
        response = client.request(method, url, json=payload, headers=world[actor])
        assert response.status_code == status, (actor, response.text)

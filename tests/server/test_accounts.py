"""Register, password login, children, profiles and the operator's setup."""

from __future__ import annotations

import time
from typing import Any

import pytest
from litestar.testing import TestClient

from server.accounts.setup import new_setup_token
from tests.helpers import PASSWORD, Family, create_child, link_code, register_parent

LOGIN = "/api/users/login"


def _register(client: TestClient[Any], **changes: Any) -> Any:
    body = {"email": "mom@example.org", "password": PASSWORD, "display_name": "엄마", "family_name": "우리집"}
    return client.post("/api/users/register", json={**body, **changes})


def test_register_creates_a_family_and_answers_tokens(client: TestClient[Any]) -> None:
    response = _register(client, client_id="phone-of-mom")
    assert response.status_code == 201
    tokens = response.json()
    assert tokens["role"] == "parent" and tokens["family_id"] and tokens["client_id"] == "phone-of-mom"
    family = client.get("/api/family", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert family["name"] == "우리집" and [m["role"] for m in family["members"]] == ["parent"]
    assert _register(client, email="MOM@example.org ").status_code in (409, 422)


@pytest.mark.parametrize("password", ["short1!", "password123", "12345678", "qwer1234", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused(client: TestClient[Any], password: str) -> None:
    response = _register(client, password=password)
    assert response.status_code == 422 and response.json()["code"] == "INVALID_ARGS"


def test_unknown_fields_are_refused(client: TestClient[Any]) -> None:
    response = _register(client, role="admin")
    assert response.status_code == 422 and response.json()["code"] == "INVALID_ARGS"


def test_unknown_email_and_wrong_password_answer_identically(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    answers, durations = [], []
    for email, password in [(parent.email, "wrong password!"), ("nobody@example.org", "wrong password!")] * 5:
        started = time.perf_counter()
        response = client.post(
            LOGIN, json={"email": email, "password": password, "client_id": "some-device-1"}
        )
        durations.append(time.perf_counter() - started)
        answers.append((response.status_code, response.json()))
    assert len({repr(a) for a in answers}) == 1 and answers[0][0] == 401
    wrong, unknown = sorted(durations[0::2])[2], sorted(durations[1::2])[2]  # medians of five (a busy CI)
    assert unknown > wrong / 3  # both ran Argon2 (an unknown e-mail is not answered instantly)


def test_login_binds_the_device_and_refuses_another_users_client_id(client: TestClient[Any]) -> None:
    mom, dad = register_parent(client), register_parent(client)
    ok = client.post(LOGIN, json={"email": mom.email, "password": PASSWORD, "client_id": "laptop-0001"})
    assert ok.status_code == 200 and ok.json()["client_id"] == "laptop-0001"
    taken = client.post(LOGIN, json={"email": dad.email, "password": PASSWORD, "client_id": "laptop-0001"})
    assert taken.status_code == 409 and taken.json()["code"] == "CONFLICT"


@pytest.mark.parametrize(
    "field", [{"email": "kid@example.org"}, {"phone": "010-1234-5678"}, {"location": "Seoul"}]
)
def test_children_have_no_email_phone_or_location(client: TestClient[Any], field: dict[str, str]) -> None:
    parent = register_parent(client)
    body = {"display_name": "지우", "birth_year": 2015, "pin": "482915", "preset": "classic", **field}
    response = client.post("/api/users/children", json=body, headers=parent.headers)
    assert response.status_code == 422 and response.json()["code"] == "INVALID_ARGS"


@pytest.mark.parametrize("pin", ["0000", "1234", "123456", "987654", "1111", "2015", "12", "1234567", "12a4"])
def test_common_or_malformed_pins_are_refused(client: TestClient[Any], pin: str) -> None:
    parent = register_parent(client)
    body = {"display_name": "지우", "birth_year": 2015, "pin": pin}
    assert client.post("/api/users/children", json=body, headers=parent.headers).status_code == 422


def test_child_creation_opens_the_game_with_the_preset(client: TestClient[Any]) -> None:
    family = Family.create(client, {"지우": "classic", "하늘": "beginner"})
    overview = client.get("/api/family", headers=family.parent.headers).json()
    rules = {r["child_id"]: r["rules"] for r in overview["rules"]}
    assert rules[family.child("하늘").user_id]["fill_policy"] == "practice"
    assert rules[family.child("지우").user_id]["markets"] == ["KRX", "US"]
    kid = family.child("지우")
    assert (
        client.post(
            "/api/users/children",
            json={"display_name": "x", "birth_year": 2015, "pin": "482915"},
            headers=kid.headers,
        ).status_code
        == 403
    )


def test_family_view_differs_by_role(client: TestClient[Any]) -> None:
    family = Family.create(client)
    kid, sibling = family.child("지우"), family.child("하늘")
    as_parent = client.get("/api/family", headers=family.parent.headers).json()
    as_child = client.get("/api/family", headers=kid.headers).json()
    assert {d["client_id"] for d in as_parent["devices"]} >= {kid.client_id, sibling.client_id}
    assert [d["client_id"] for d in as_child["devices"]] == [kid.client_id]
    assert all("pin_locked" not in m and "email" not in m for m in as_child["members"])


def test_profile_is_for_self_and_parents_only(client: TestClient[Any]) -> None:
    family, other = Family.create(client), Family.create(client, ("민수",))
    kid, sibling = family.child("지우"), family.child("하늘")
    url = f"/api/users/{kid.user_id}/profile"
    own = client.get(url, headers=kid.headers).json()
    assert own["display_name"] == "지우" and not {"pin_locked", "pin_failures", "email"} & set(own)
    seen_by_parent = client.get(url, headers=family.parent.headers).json()
    assert seen_by_parent["pin_locked"] is False
    assert client.get(url, headers=sibling.headers).status_code == 404
    assert client.get(url, headers=other.parent.headers).status_code == 404
    assert client.get(f"/api/users/{family.parent.user_id}/profile", headers=kid.headers).status_code == 404
    parent_self = client.get(
        f"/api/users/{family.parent.user_id}/profile", headers=family.parent.headers
    ).json()
    assert parent_self["email"] == family.parent.email


def test_admin_setup_token_creates_the_operator_once(client: TestClient[Any], app: Any) -> None:
    body = {"email": "ops@example.org", "password": PASSWORD, "display_name": "운영자"}
    assert client.post("/api/admin/setup", json={**body, "token": "guess"}).status_code == 403
    token = new_setup_token(app.state.db)
    assert token is not None
    response = client.post("/api/admin/setup", json={**body, "token": token})
    assert response.status_code == 201
    admin = response.json()
    assert admin["role"] == "admin" and admin["family_id"] is None
    headers = {"Authorization": f"Bearer {admin['access_token']}"}
    assert client.get("/api/family", headers=headers).status_code == 404  # no family data for the operator
    assert (
        client.post("/api/admin/setup", json={**body, "token": token, "email": "b@example.org"}).status_code
        == 403
    )
    assert new_setup_token(app.state.db) is None
    again = client.post(
        LOGIN, json={"email": "ops@example.org", "password": PASSWORD, "client_id": "ops-laptop"}
    )
    assert again.status_code == 200 and again.json()["role"] == "admin"


def test_first_start_prints_the_setup_token_once(
    make_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.app import create_app

    settings = make_settings(announce_setup_token=True)
    create_app(settings).state.db.dispose()
    assert "one-time setup token" in capsys.readouterr().err
    create_app(settings).state.db.dispose()
    assert "setup token" not in capsys.readouterr().err


def test_second_parent_joins_with_an_invite(client: TestClient[Any]) -> None:
    family = Family.create(client, ("지우",))
    code = client.post(
        "/api/users/family/link", json={"kind": "parent_invite"}, headers=family.parent.headers
    )
    assert code.status_code == 201
    join = {
        "code": code.json()["code"].lower(),
        "client_id": "dads-phone-1",
        "device_name": "phone",
        "email": "dad@example.org",
        "password": PASSWORD,
        "display_name": "아빠",
    }
    response = client.post("/api/users/family/join", json=join)
    assert response.status_code == 200
    assert response.json()["role"] == "parent" and response.json()["family_id"] == family.family_id
    assert (
        client.post("/api/users/family/join", json={**join, "client_id": "dads-phone-2"}).status_code == 404
    )
    create_child(client, family.parent, "하늘")


BAD_NAMES = {
    "zero-width only": "\u200b\u200d\ufeff",
    "hangul filler": "\u3164",
    "control": "엄마\x07",
    "direction override": "\u202e엄마",
    "direction isolate": "지우\u2066",
}


@pytest.mark.parametrize("bad", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_names_that_show_nothing_or_reorder_text_are_refused_everywhere(
    client: TestClient[Any], app: Any, bad: str
) -> None:
    family = Family.create(client, ("지우",))
    parent, kid = family.parent, family.child("지우")
    device_code = link_code(client, parent, "child_device", kid.user_id)
    invite = link_code(client, parent, "parent_invite")
    admin_token = new_setup_token(app.state.db)
    register = {"email": "new@example.org", "password": PASSWORD, "display_name": "엄마", "family_name": "집"}
    dad = {
        "email": "dad@example.org",
        "password": PASSWORD,
        "display_name": "아빠",
        "client_id": "dads-phone",
    }
    attempts = [
        ("/api/users/register", {**register, "display_name": bad}, "display_name"),
        ("/api/users/register", {**register, "family_name": bad}, "family_name"),
        ("/api/users/register", {**register, "device_name": bad}, "device_name"),
        (LOGIN, {"email": parent.email, "password": PASSWORD, "client_id": "laptop-2", "device_name": bad},
         "device_name"),
        ("/api/users/family/join", {"code": device_code, "client_id": "tablet-2", "device_name": bad},
         "device_name"),
        ("/api/users/family/join", {**dad, "code": invite, "display_name": bad}, "display_name"),
        ("/api/admin/setup", {"token": admin_token, "email": "ops@example.org", "password": PASSWORD,
                              "display_name": bad}, "display_name"),
    ]  # fmt: skip
    for path, body, field in attempts:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, field, response.text)
        assert response.json()["code"] == "INVALID_ARGS"
        assert response.json()["detail"].startswith(f"{field}: "), response.json()
    child = {"display_name": bad, "birth_year": 2015, "pin": "482915"}
    response = client.post("/api/users/children", json=child, headers=parent.headers)
    assert response.status_code == 422 and response.json()["detail"].startswith("display_name: ")
    # nothing was spent or made: the codes still work and the family has its two members
    members = client.get("/api/family", headers=parent.headers).json()["members"]
    assert [m["display_name"] for m in members] == ["엄마", "지우"]
    joined = client.post("/api/users/family/join", json={"code": device_code, "client_id": "tablet-2"})
    assert joined.status_code == 200
    assert client.post("/api/users/family/join", json={**dad, "code": invite}).status_code == 200


def test_korean_english_and_emoji_names_keep_working(client: TestClient[Any]) -> None:
    body = {
        "email": "kim@example.org",
        "password": PASSWORD,
        "display_name": "Mom 엄마",
        "family_name": "👨\u200d👩\u200d👧 김씨네",
        "client_id": "moms-phone-1",
        "device_name": "Galaxy (거실)",
    }
    tokens = client.post("/api/users/register", json=body).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    child = {"display_name": "Ji-woo 🌟", "birth_year": 2015, "pin": "482915"}
    assert client.post("/api/users/children", json=child, headers=headers).status_code == 201
    family = client.get("/api/family", headers=headers).json()
    assert family["name"] == "👨\u200d👩\u200d👧 김씨네"
    assert [m["display_name"] for m in family["members"]] == ["Mom 엄마", "Ji-woo 🌟"]
    assert [d["name"] for d in family["devices"]] == ["Galaxy (거실)"]

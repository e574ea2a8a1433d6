"""Refresh rotation, reuse detection, logout, device revocation and step-up."""

from __future__ import annotations

import threading
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select

from server.db.models import RefreshToken
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, bearer, register_parent, step_up


def _refresh(client: TestClient[Any], token: str) -> Any:
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_and_the_new_pair_works(client: TestClient[Any], clock: MovableClock) -> None:
    parent = register_parent(client)
    clock.advance(minutes=16)
    assert client.get("/api/family", headers=parent.headers).status_code == 401
    response = _refresh(client, parent.refresh)
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["refresh_token"] != parent.refresh
    assert client.get("/api/family", headers=bearer(fresh["access_token"])).status_code == 200
    assert _refresh(client, fresh["refresh_token"]).status_code == 200


def test_reusing_a_rotated_token_revokes_the_whole_chain(
    client: TestClient[Any], clock: MovableClock
) -> None:
    parent = register_parent(client)
    first = _refresh(client, parent.refresh).json()
    second = _refresh(client, first["refresh_token"]).json()
    clock.advance(seconds=11)  # past the grace window
    reused = _refresh(client, parent.refresh)
    assert reused.status_code == 401 and reused.json()["code"] == "UNAUTHENTICATED"
    # the thief's and the owner's tokens all die with the chain, access tokens included
    assert _refresh(client, second["refresh_token"]).status_code == 401
    assert client.get("/api/family", headers=bearer(second["access_token"])).status_code == 401
    # a new sign-in starts a new chain
    login = client.post(
        "/api/users/login", json={"email": parent.email, "password": PASSWORD, "client_id": parent.client_id}
    )
    assert login.status_code == 200


def test_a_lost_refresh_answer_is_answered_again_within_the_grace_window(
    client: TestClient[Any], clock: MovableClock
) -> None:
    """The device sent its refresh token, the server rotated it, the answer never arrived: the
    device retries with the old token and gets the same new one, so it stays signed in."""
    parent = register_parent(client)
    lost = _refresh(client, parent.refresh).json()
    clock.advance(seconds=5)
    retried = _refresh(client, parent.refresh)
    assert retried.status_code == 200, retried.text
    assert retried.json()["refresh_token"] == lost["refresh_token"]  # the chain did not fork
    assert client.get("/api/family", headers=bearer(retried.json()["access_token"])).status_code == 200
    assert client.get("/api/family", headers=bearer(lost["access_token"])).status_code == 200
    assert _refresh(client, retried.json()["refresh_token"]).status_code == 200


def test_the_old_token_after_the_grace_window_is_theft(client: TestClient[Any], clock: MovableClock) -> None:
    parent = register_parent(client)
    successor = _refresh(client, parent.refresh).json()
    clock.advance(seconds=11)
    assert _refresh(client, parent.refresh).status_code == 401
    assert _refresh(client, successor["refresh_token"]).status_code == 401  # the chain is revoked


def test_reuse_after_the_successor_was_used_revokes_even_inside_the_grace_window(
    client: TestClient[Any], clock: MovableClock
) -> None:
    parent = register_parent(client)
    first = _refresh(client, parent.refresh).json()
    second = _refresh(client, first["refresh_token"]).json()
    clock.advance(seconds=1)
    assert _refresh(client, parent.refresh).status_code == 401
    assert _refresh(client, second["refresh_token"]).status_code == 401


def test_parallel_refresh_of_one_token_makes_one_successor(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    successors: list[str] = []

    def attempt() -> None:
        barrier.wait()
        answer = _refresh(client, parent.refresh)
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            successors.append(answer.json()["refresh_token"])

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 200 in statuses and set(statuses) <= {200, 401}
    # whoever got an answer got the same successor: the chain has one new token, not eight
    assert len({token for token in successors}) == 1


def test_parallel_rotation_in_the_service_makes_one_successor(app: Any, clock: MovableClock) -> None:
    """The same race below HTTP, on separate sessions (a conditional UPDATE decides who writes it)."""
    from server.accounts.services import refresh
    from server.errors import DomainError
    from server.gateway import AccountDoor

    with TestClient(app) as client:
        parent = register_parent(client)
    results: list[object] = []
    barrier = threading.Barrier(6)
    door = AccountDoor(app.state.db, clock, app.state.limiter)

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(refresh(door, app.state.settings, parent.refresh))
        except Exception as error:  # a busy database counts as "no success"
            results.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = [r for r in results if isinstance(r, dict)]
    assert answers and len({a["refresh_token"] for a in answers}) == 1
    with app.state.db.read() as session:
        chain = session.scalars(select(RefreshToken).where(RefreshToken.user_id == parent.user_id)).all()
    assert len(chain) == 2  # the first token and its one successor
    assert all(isinstance(r, dict | DomainError) for r in results)


def test_refresh_tokens_expire_seven_days_after_sign_in(client: TestClient[Any], clock: MovableClock) -> None:
    parent = register_parent(client)
    token = parent.refresh
    for _ in range(6):  # rotating daily does not extend the chain
        clock.advance(days=1)
        token = _refresh(client, token).json()["refresh_token"]
    clock.advance(days=1)
    assert _refresh(client, token).status_code == 401


def test_logout_ends_the_session(client: TestClient[Any]) -> None:
    parent = register_parent(client)
    assert client.post("/api/auth/logout", json={"refresh_token": parent.refresh}).status_code == 204
    assert _refresh(client, parent.refresh).status_code == 401
    assert client.get("/api/family", headers=parent.headers).status_code == 401
    # unknown tokens answer the same (nothing to learn)
    assert client.post("/api/auth/logout", json={"refresh_token": "nope"}).status_code == 204


def test_revoked_device_is_refused_at_once(client: TestClient[Any]) -> None:
    family = Family.create(client, ("지우",))
    kid = family.child("지우")
    assert client.get("/api/family", headers=kid.headers).status_code == 200
    elevated = step_up(client, family.parent)
    response = client.delete(f"/api/family/devices/{kid.client_id}", headers=elevated)
    assert response.status_code == 204
    assert client.get("/api/family", headers=kid.headers).status_code == 401
    # the busiest routes confirm the token in their own handler (server.auth.middleware): refused alike
    sync = {"protocol": 1, "client_id": kid.client_id}
    pulled = {**sync, "cursor": 0, "checksum_mismatch": False, "last_seq_acked": 0}
    args = {"trade_id": "t-1", "side": "buy", "symbol": "005930.KS", "amount": 2_000}
    pushed = {**sync, "mutations": [{"seq": 1, "id": "m-1", "name": "trade.place/v1", "args": args}]}
    for refused in (
        client.post("/api/sync/pull", json=pulled, headers=kid.headers),
        client.post("/api/sync/push", json=pushed, headers=kid.headers),
        client.get("/api/market/stocks/005930.KS/price", headers=kid.headers),
        # a body that does not parse: still "your token is dead" first, not "bad input"
        client.post("/api/sync/push", json={**sync, "mutations": "nope"}, headers=kid.headers),
        client.post("/api/sync/pull", content=b"{not json", headers=kid.headers),
    ):
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert _refresh(client, kid.refresh).status_code == 401
    devices = client.get("/api/family", headers=family.parent.headers).json()["devices"]
    assert next(d for d in devices if d["client_id"] == kid.client_id)["revoked_at"] is not None
    # the PIN no longer works on that device either
    pin = client.post(
        "/api/users/login/pin", json={"client_id": kid.client_id, "child_id": kid.user_id, "pin": kid.pin}
    )
    assert pin.status_code == 403


def test_device_revocation_needs_step_up_and_family_scope(client: TestClient[Any]) -> None:
    family = Family.create(client, ("지우",))
    other = Family.create(client, ("민수",))
    kid = family.child("지우")
    plain = client.delete(f"/api/family/devices/{kid.client_id}", headers=family.parent.headers)
    assert plain.status_code == 403 and plain.json()["code"] == "STEP_UP_REQUIRED"
    assert client.delete(f"/api/family/devices/{kid.client_id}", headers=kid.headers).status_code == 403
    foreign = client.delete(f"/api/family/devices/{kid.client_id}", headers=step_up(client, other.parent))
    assert foreign.status_code == 404


def test_step_up_lasts_five_minutes(client: TestClient[Any], clock: MovableClock) -> None:
    family = Family.create(client, ("지우",))
    kid = family.child("지우")
    wrong = client.post(
        "/api/auth/step-up", json={"password": "not the password"}, headers=family.parent.headers
    )
    assert wrong.status_code == 403
    assert (
        client.post("/api/auth/step-up", json={"password": PASSWORD}, headers=kid.headers).status_code == 403
    )
    elevated = step_up(client, family.parent)
    body = {"pin": "572946"}
    url = f"/api/users/children/{kid.user_id}/pin"
    assert client.post(url, json=body, headers=family.parent.headers).json()["code"] == "STEP_UP_REQUIRED"
    clock.advance(minutes=4, seconds=59)
    assert client.post(url, json=body, headers=elevated).status_code == 204
    clock.advance(seconds=1)
    late = client.post(url, json=body, headers=elevated)
    assert late.status_code == 403 and late.json()["code"] == "STEP_UP_REQUIRED"


def test_a_revoked_client_id_cannot_sign_in_again(client: TestClient[Any]) -> None:
    family = Family.create(client, ("지우",))
    second = client.post(
        "/api/users/login",
        json={"email": family.parent.email, "password": PASSWORD, "client_id": "old-phone-01"},
    )
    assert second.status_code == 200
    elevated = step_up(client, family.parent)
    assert client.delete("/api/family/devices/old-phone-01", headers=elevated).status_code == 204
    again = client.post(
        "/api/users/login",
        json={"email": family.parent.email, "password": PASSWORD, "client_id": "old-phone-01"},
    )
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"
    # the parent's other device is untouched
    assert client.get("/api/family", headers=family.parent.headers).status_code == 200

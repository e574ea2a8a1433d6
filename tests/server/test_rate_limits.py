"""Rate limits: per user (never per address for signed-in calls), per group, each with its own counter.

Who is throttled for wrong passwords, PINs and pairing codes: ``test_lockout.py`` and
``test_pairing_limits.py``.
"""

from __future__ import annotations

import secrets
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.errors import DomainError
from server.ratelimit import MemoryCounters, RateLimiter
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family, enroll_device
from tests.server.limits_support import refused

TRADE = "/api/game/trade/buy"


def test_general_and_trading_counters_are_separate(limited: TestClient[Any], clock: MovableClock) -> None:
    family = Family.create(limited, ("지우", "하늘"))
    kid, sibling = family.child("지우"), family.child("하늘")
    # 100 general requests in this minute (the family was built in the same window: stay inside the budget)
    used = 0
    while (response := limited.get("/api/family", headers=kid.headers)).status_code == 200:
        used += 1
    refused(response)
    assert used <= 100
    # the first trade is not blocked by the exhausted general counter
    trades = [limited.post(TRADE, json={}, headers=kid.headers).status_code for _ in range(11)]
    assert 429 not in trades[:10]
    refused(limited.post(TRADE, json={}, headers=kid.headers))
    # per user, not per address: the sibling behind the same address is unaffected
    assert limited.get("/api/family", headers=sibling.headers).status_code == 200
    assert limited.post(TRADE, json={}, headers=sibling.headers).status_code != 429
    clock.advance(minutes=1)
    assert limited.get("/api/family", headers=kid.headers).status_code == 200
    assert limited.post(TRADE, json={}, headers=kid.headers).status_code != 429


def test_the_101st_request_in_a_minute_is_refused(limited: TestClient[Any], clock: MovableClock) -> None:
    family = Family.create(limited, ("지우",))
    kid = family.child("지우")
    clock.advance(minutes=1)  # a fresh window
    statuses = [limited.get("/api/family", headers=kid.headers).status_code for _ in range(101)]
    assert statuses[:100] == [200] * 100
    assert statuses[100] == 429


@contextmanager
def _server(data: Path, template: Path, clock: MovableClock, **env: str) -> Iterator[TestClient[Any]]:
    """A server configured from the environment only, as ``yongdon server`` is."""
    data.mkdir(parents=True)
    shutil.copyfile(template, data / "yongdon.db")
    values = {
        "YONGDON_JWT_SECRET": secrets.token_urlsafe(48),
        "YONGDON_PIN_PEPPER": secrets.token_urlsafe(48),
    }
    values |= {"YONGDON_DATA_DIR": str(data), **env}
    app = create_app(
        Settings.from_env(values, announce_setup_token=False, notify_dispatcher=False), clock=clock
    )
    with TestClient(app) as client:
        yield client
    app.state.db.dispose()


@pytest.mark.redis
def test_servers_sharing_a_redis_keep_their_counters_apart_by_prefix(
    redis_url: str, sqlite_template: Path, tmp_path: Path, clock: MovableClock
) -> None:
    ours, theirs = f"t{uuid.uuid4().hex}", f"t{uuid.uuid4().hex}"
    login = {"email": "nobody@example.org", "password": "wrong password!", "client_id": "probe-0001"}
    with ExitStack() as stack:
        first, other, second = (
            stack.enter_context(
                _server(
                    tmp_path / name,
                    sqlite_template,
                    clock,
                    YONGDON_REDIS_URL=redis_url,
                    YONGDON_REDIS_PREFIX=prefix,
                )
            )
            for name, prefix in (("first", ours), ("other", theirs), ("second", ours))
        )
        assert [first.post("/api/users/login", json=login).status_code for _ in range(5)] == [401] * 5
        refused(first.post("/api/users/login", json=login))
        # another server on the same Redis has counters of its own ...
        assert other.post("/api/users/login", json=login).status_code == 401
        # ... while a second process of the same server (same prefix) shares them
        refused(second.post("/api/users/login", json=login))


def test_forgetting_finished_windows_keeps_the_longer_budgets(clock: MovableClock) -> None:
    """In-memory counters forget finished windows once they hold many keys; an hour's budget is not
    finished when a minute's is (a guesser must not get a fresh hour by filling memory)."""
    limiter = RateLimiter(MemoryCounters(), clock)
    start = clock.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for minute in (0, 10, 20, 30):  # 20 failures, spread so only the hour's budget is spent
        clock.now = start + timedelta(minutes=minute)
        for _ in range(5):
            limiter.attempt(("password", "mom"))
    clock.now = start + timedelta(minutes=40)
    with pytest.raises(DomainError):
        limiter.attempt(("password", "mom"))
    for n in range(20_000):  # 60,000 counters: the finished ones are forgotten
        limiter.attempt(("password", f"someone-{n}"))
    with pytest.raises(DomainError) as still:
        limiter.attempt(("password", "mom"))
    assert still.value.code == "RATE_LIMITED" and 20 * 60 - 60 <= still.value.extra["retry_after"] <= 20 * 60


def test_a_revoked_device_spends_none_of_its_users_budget(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    """A lost tablet, revoked by a parent, keeps sending with its still-signed token until that
    expires: each is refused, and none of them holds back the child's new tablet."""
    family = Family.create(limited, ("지우",))
    lost = family.child("지우")
    new = enroll_device(limited, family.parent, lost.user_id, pin=lost.pin)
    assert (
        limited.delete(f"/api/family/devices/{lost.client_id}", headers=family.elevated(limited)).status_code
        == 204
    )
    clock.advance(minutes=1)  # a fresh window
    pull = {
        "protocol": 1,
        "client_id": lost.client_id,
        "cursor": 0,
        "checksum_mismatch": False,
        "last_seq_acked": 0,
    }
    refused = [
        limited.post("/api/sync/pull", json=pull, headers=lost.headers).status_code for _ in range(101)
    ]
    assert refused == [401] * 101
    mine = {**pull, "client_id": new.client_id}
    assert limited.post("/api/sync/pull", json=mine, headers=new.headers).status_code == 200

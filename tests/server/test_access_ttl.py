"""``YONGDON_ACCESS_TOKEN_TTL``: how long an access token lives (15 minutes unless set; a journey test
shortens it to watch devices refresh). Every token the server signs — sign-in, refresh, step-up —
and the live channel's expiry follow it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from server.app import create_app
from server.market.clock import FixedMarketClock
from server.settings import Settings, SettingsError
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, bearer, register_parent

SECRETS = {"YONGDON_JWT_SECRET": secrets.token_urlsafe(48), "YONGDON_PIN_PEPPER": secrets.token_urlsafe(48)}


def test_the_lifetime_comes_from_the_environment_within_bounds() -> None:
    assert Settings.from_env(SECRETS).access_token_ttl_s == 900
    assert Settings.from_env({**SECRETS, "YONGDON_ACCESS_TOKEN_TTL": "60"}).access_token_ttl_s == 60
    for bad in ("29", "0", "-5", "90000", "1.5", "fifteen minutes"):
        with pytest.raises(SettingsError, match="YONGDON_ACCESS_TOKEN_TTL"):
            Settings.from_env({**SECRETS, "YONGDON_ACCESS_TOKEN_TTL": bad})


@pytest.fixture
def short(make_settings: Callable[..., Settings], database_url: str, clock: MovableClock) -> Iterator[Any]:
    settings = make_settings(
        database_url=database_url, access_token_ttl_s=60, notify_dispatcher=False, live_quote_interval_s=0.05
    )
    app: Litestar = create_app(settings, clock=clock)
    app.state.market_clock = FixedMarketClock()
    with TestClient(app) as client:
        yield client
    app.state.db.dispose()


def _lifetime(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


def test_sign_in_refresh_and_step_up_tokens_live_as_long_as_set(
    short: TestClient[Any], clock: MovableClock
) -> None:
    parent = register_parent(short)
    assert _lifetime(parent.access) == 60
    clock.advance(seconds=59)
    assert short.get("/api/family", headers=bearer(parent.access)).status_code == 200
    clock.advance(seconds=1)
    assert short.get("/api/family", headers=bearer(parent.access)).status_code == 401

    answer = short.post("/api/auth/refresh", json={"refresh_token": parent.refresh}).json()
    assert answer["expires_in"] == 60 and _lifetime(answer["access_token"]) == 60
    elevated = short.post(
        "/api/auth/step-up", json={"password": PASSWORD}, headers=bearer(answer["access_token"])
    ).json()
    assert elevated["expires_in"] == 60 and _lifetime(elevated["access_token"]) == 60


def test_the_live_channel_closes_at_the_short_expiry(short: TestClient[Any], clock: MovableClock) -> None:
    kid = Family.create(short, ("지우",)).child("지우")
    with short.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": kid.access})
        assert ws.receive_json(timeout=5)["type"] == "ready"
        clock.advance(seconds=61)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json(timeout=5)  # the pump's next round sees the expiry
    assert closed.value.code == 4401

"""X-Forwarded-For is believed only from the proxies the operator lists (issue 14 hole 3).

The app runs under uvicorn exactly as ``yongdon server`` runs it (the same options), on loopback.
Anonymous calls are limited per caller address (100 a minute); a caller that could choose its
address with a header would never be limited.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from server.app import create_app
from server.cli import uvicorn_options
from server.settings import Settings, SettingsError
from tests.conftest import MovableClock
from tests.support.live import free_port

REFRESH = "/api/auth/refresh"  # anonymous, cheap, counted in the general group per caller address


@contextmanager
def _serving(settings: Settings, clock: MovableClock) -> Iterator[str]:
    app = create_app(settings, clock=clock)
    port = free_port()
    options = {**uvicorn_options(settings), "host": "127.0.0.1", "port": port, "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.db.dispose()


def _client(url: str, source: str = "127.0.0.1") -> httpx.Client:
    return httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address=source))


def _refresh(client: httpx.Client, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(REFRESH, json={"refresh_token": "not-a-token"}, headers=headers).status_code


@pytest.fixture
def serve(
    make_settings: Callable[..., Settings], database_url: str, clock: MovableClock
) -> Callable[..., Any]:
    def start(**overrides: Any) -> Any:
        settings = make_settings(database_url=database_url, rate_limits=True, **overrides)
        return _serving(settings, clock)

    return start


def test_a_rotated_forwarded_header_does_not_give_new_budgets(serve: Callable[..., Any]) -> None:
    with serve() as url, _client(url) as client:
        statuses = [_refresh(client, f"203.0.113.{i % 250}, 10.1.{i // 250}.{i % 250}") for i in range(101)]
    assert statuses[:100] == [401] * 100
    assert statuses[100] == 429


def test_a_listed_proxy_is_believed_and_nobody_else(serve: Callable[..., Any]) -> None:
    with serve(trusted_proxies=("127.0.0.2",)) as url, _client(url, "127.0.0.2") as proxy:
        # behind the proxy, each caller has its own budget
        assert [_refresh(proxy, "198.51.100.7") for _ in range(101)][-2:] == [401, 429]
        assert _refresh(proxy, "198.51.100.8") == 401
        # the proxy appends the real peer: a header the caller wrote itself is not believed
        assert _refresh(proxy, "198.51.100.8, 198.51.100.7") == 429
        # a caller reaching the server directly cannot pretend to be someone else
        with _client(url, "127.0.0.3") as direct:
            assert [_refresh(direct, f"192.0.2.{i}") for i in range(101)][-2:] == [401, 429]


def test_proxies_are_read_from_the_environment_as_addresses_and_networks() -> None:
    env = {"YONGDON_JWT_SECRET": secrets.token_urlsafe(48), "YONGDON_PIN_PEPPER": secrets.token_urlsafe(48)}
    assert Settings.from_env(env).trusted_proxies == ()
    listed = Settings.from_env({**env, "YONGDON_TRUSTED_PROXIES": " 10.0.0.5, 192.168.1.0/24 ,::1"})
    assert listed.trusted_proxies == ("10.0.0.5", "192.168.1.0/24", "::1")
    assert uvicorn_options(listed)["forwarded_allow_ips"] == "10.0.0.5,192.168.1.0/24,::1"
    assert uvicorn_options(Settings.from_env(env))["proxy_headers"] is False
    for bad in ("*", "10.0.0.300", "proxy.lan"):
        with pytest.raises(SettingsError, match="YONGDON_TRUSTED_PROXIES"):
            Settings.from_env({**env, "YONGDON_TRUSTED_PROXIES": bad})

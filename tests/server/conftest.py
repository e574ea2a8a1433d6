"""Fixtures shared by the server tests: a real SMTP server (e-mail, payouts, alerts) and the app with
its rate limits on (``limited``)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.app import create_app
from server.settings import Settings
from tests.conftest import MovableClock
from tests.support.live import LiveServer

from .channel_support import Mailbox, smtp_server


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[Mailbox, int, Path]]:
    """A real SMTP server requiring STARTTLS: (mailbox, port, CA file)."""
    yield from smtp_server(tmp_path)


@pytest.fixture
def mail_settings(
    make_settings: Callable[..., Settings], database_url: str, smtp: tuple[Mailbox, int, Path]
) -> Callable[..., Settings]:
    """Settings that send e-mail to ``smtp``, the dispatcher driven by the test (plus overrides)."""
    _, port, ca_file = smtp

    def make(**overrides: object) -> Settings:
        return make_settings(
            database_url=database_url,
            notify_dispatcher=False,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_ca_file=str(ca_file),
            **overrides,
        )

    return make


_LIMITED = [
    ("sqlite", "memory"),
    pytest.param(("postgres", "memory"), marks=pytest.mark.postgres, id="postgres-memory"),
    pytest.param(("sqlite", "redis"), marks=pytest.mark.redis, id="sqlite-redis"),
]


@pytest.fixture(params=_LIMITED, ids=lambda p: "-".join(p) if isinstance(p, tuple) else None)
def limited_app(
    request: pytest.FixtureRequest,
    make_settings: Callable[..., Settings],
    clock: MovableClock,
    tmp_path: Path,
) -> Iterator[Litestar]:
    """The app with its rate limits on: SQLite or PostgreSQL with counters in memory, and SQLite with
    the counters in Redis (a fresh key prefix per test)."""
    backend, store = request.param
    if backend == "postgres":
        url = str(request.getfixturevalue("pg_url"))
    else:
        path = tmp_path / "data" / "yongdon.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    extra: dict[str, Any] = {}
    if store == "redis":
        extra = {"redis_url": request.getfixturevalue("redis_url"), "redis_prefix": f"t{uuid.uuid4().hex}"}
    app = create_app(make_settings(rate_limits=True, database_url=url, **extra), clock=clock)
    yield app
    app.state.db.dispose()


@pytest.fixture
def limited(limited_app: Litestar) -> Iterator[TestClient[Any]]:
    """A client of ``limited_app`` as the family's reverse proxy (a trusted one, as uvicorn trusts a
    proxy listed in ``YONGDON_TRUSTED_PROXIES``): a request carrying ``X-Forwarded-For`` comes from
    that address, any other from the family's home address."""
    with TestClient(ProxyHeadersMiddleware(limited_app, trusted_hosts="testclient")) as client:
        yield client


@pytest.fixture
def servers(
    pg_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two real server processes on one PostgreSQL database sharing Redis (as several processes run
    in production), started and running."""
    monkeypatch.setenv("YONGDON_REDIS_URL", redis_url)  # the fork server passes its environment on
    monkeypatch.setenv("YONGDON_REDIS_PREFIX", f"t{uuid.uuid4().hex}")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with LiveServer(pg_url, tmp_path / "one") as one:
        secrets = {"jwt_secret": one.jwt_secret, "pin_pepper": one.pin_pepper}
        with LiveServer(pg_url, tmp_path / "two", **secrets) as two:
            one.start()
            two.start()
            yield one, two

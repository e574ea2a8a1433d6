"""Shared fixtures: settings, a movable clock, database backends (SQLite, PostgreSQL), Redis, the app.

Backends: ``app`` runs each test on SQLite and, marked ``postgres``, on PostgreSQL. PostgreSQL and
Redis tests skip when the service is unreachable, unless ``YONGDON_REQUIRE_SERVICES=1`` (CI), where
an unreachable service fails the run instead.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.db.migrate import upgrade
from server.settings import Settings
from tests.support.shots import pytest_sessionstart, pytest_terminal_summary

__all__ = ["pytest_sessionstart", "pytest_terminal_summary"]  # hooks: the run's screenshots, listed

PG_ADMIN_URL = os.environ.get("YONGDON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("YONGDON_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("YONGDON_REQUIRE_SERVICES") == "1"


class MovableClock:
    """A clock tests move by hand: ``clock.advance(minutes=15)``. Starts at the real current time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def chromium_path() -> str:
    """Debian's chromium for the browser tests (pip Playwright drives it; never a downloaded one).

    On a laptop without it those tests skip; in CI (``YONGDON_REQUIRE_SERVICES=1``) they fail.
    """
    found = shutil.which("chromium")
    if found is None:
        _unavailable("chromium (apt-get install chromium)", FileNotFoundError("not on PATH"))
    assert found is not None
    return found


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is unreachable ({type(error).__name__}: {error})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; YONGDON_REQUIRE_SERVICES=1 requires it")
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2() -> None:
    """Argon2 at its smallest cost: the suite hashes thousands of passwords and PINs."""
    from argon2 import PasswordHasher

    from server.auth.credentials import use_hasher

    use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a temporary data dir (SQLite file), random secrets, rate limits off unless asked."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "jwt_secret": secrets.token_urlsafe(48),
            "pin_pepper": secrets.token_urlsafe(48),
            "data_dir": tmp_path / "data",
            "announce_setup_token": False,
            "rate_limits": False,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this test run, migrated to head (dropped at the end); yields its URL."""
    import sqlalchemy as sa

    name = f"yongdon_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        _unavailable("PostgreSQL", error)
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def reset_pg(url: str) -> None:
    """Drop every table and the migration record: the next upgrade migrates from scratch."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The run's PostgreSQL database at head, every table emptied for this test."""
    import sqlalchemy as sa

    from server.db import Base

    engine = sa.create_engine(pg_database)
    with engine.begin() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        if not existing >= set(Base.metadata.tables):  # a test dropped the schema: migrate again
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            names = ", ".join(f'"{name}"' for name in Base.metadata.tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    upgrade(pg_database)
    return pg_database


@pytest.fixture
def pg_empty_url(pg_database: str) -> str:
    """The run's PostgreSQL database with no tables at all (for migration tests)."""
    reset_pg(pg_database)
    return pg_database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; each test starts from a copy."""
    path = tmp_path_factory.mktemp("template") / "yongdon.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        _unavailable("Redis", error)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("pg_url"))
    path = tmp_path / "data" / "yongdon.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url=database_url)


@pytest.fixture
def app(settings: Settings, clock: MovableClock) -> Iterator[Litestar]:
    application = create_app(settings, clock=clock)
    yield application
    application.state.db.dispose()  # a test may use the database after the client shut the app down


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client


class _LogTap(logging.Handler):
    """Keeps every log line the suite produces (message and traceback, as a handler would write them,
    after the server's own scrubbing filter), for the canary check at the end of the session."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a record that cannot format is not a leak
            self.lines.append(str(record.msg))


@pytest.fixture(scope="session", autouse=True)
def log_canary() -> Iterator[None]:
    """security.md: every log line the whole session produced — this process's records (stdlib and
    structlog, which renders through stdlib) and the logs of the server processes tests started —
    carries none of the planted secrets (``tests.support.logs``) and no hash, JWT or e-mail address.
    A leak fails the run."""
    from server.logs import scrub_handlers
    from tests.support.logs import leaks, server_logs

    tap = _LogTap()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # as `yongdon server` logs (server.cli)
    root.addHandler(tap)
    scrub_handlers(root)  # what the server does to its process's handlers (server.logs)
    yield
    root.removeHandler(tap)
    root.setLevel(level)
    lines = list(tap.lines)
    for path in server_logs():
        if path.exists():
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    found = leaks(lines)
    assert not found, f"{len(found)} log lines carry secrets, e.g.:\n" + "\n".join(found[:5])

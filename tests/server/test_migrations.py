"""The Alembic head creates exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from litestar.testing import TestClient

from server.app import create_app
from server.auth.credentials import hash_password
from server.db import Base
from server.db import models as _models  # noqa: F401  (registers every table)
from server.db.migrate import at_head, head_revisions, upgrade
from server.db.models import WatchedSymbol
from server.settings import Settings


def _diffs(url: str) -> list[object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_empty_url"))
    return f"sqlite:///{tmp_path / 'migrated.db'}"


def test_migrated_schema_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    assert _diffs(empty_url) == []


def test_upgrade_is_idempotent_and_reports_head(empty_url: str) -> None:
    engine = sa.create_engine(empty_url)
    try:
        assert not at_head(engine)
        upgrade(empty_url)
        upgrade(empty_url)
        assert at_head(engine)
        assert len(head_revisions()) == 1  # one linear history
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_concurrent_upgrades_on_postgres_do_not_collide(pg_empty_url: str) -> None:
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(pg_empty_url)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _diffs(pg_empty_url) == []


def test_symbols_quoted_before_the_upgrade_stay_watched(empty_url: str) -> None:
    """Before ``watched_symbols`` a symbol was refreshed because it had a quote: a server upgraded with
    quotes keeps refreshing those symbols (the rate is always watched and needs no row)."""
    upgrade(empty_url, "b7e2c4a91d08")
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as connection:
            for seq, (symbol, day) in enumerate(
                [("AAPL", 3), ("AAPL", 4), ("005930.KS", 4), ("USDKRW=X", 4)], start=1
            ):
                connection.execute(
                    sa.text(
                        "INSERT INTO quotes (quote_id, symbol, price, currency, as_of, source, seq) "
                        "VALUES (:id, :symbol, 100, 'USD', :as_of, 'yahoo', :seq)"
                    ),
                    {
                        "id": f"q{seq}",
                        "symbol": symbol,
                        "as_of": datetime(2026, 11, day, tzinfo=UTC),
                        "seq": seq,
                    },
                )
        upgrade(empty_url)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(WatchedSymbol.symbol, WatchedSymbol.since).order_by(WatchedSymbol.symbol)
            ).all()
        assert [tuple(row) for row in rows] == [
            ("005930.KS", datetime(2026, 11, 4, tzinfo=UTC)),
            ("AAPL", datetime(2026, 11, 3, tzinfo=UTC)),  # watched since its first quote
        ]
    finally:
        engine.dispose()


def test_names_and_emails_written_before_the_upgrade_are_sealed_and_read_back(
    empty_url: str, make_settings: Callable[..., Settings]
) -> None:
    """A server upgraded from the release that kept names and e-mails in plain text: every such row
    is sealed by the migration, its parent still signs in by e-mail and the family reads the same."""
    upgrade(empty_url, "d5e6f7a8b9c1")  # the schema before the sealing
    now = datetime(2026, 11, 30, tzinfo=UTC)
    email, password = "plain-parent@example.org", "a long and plain old password"
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as connection:
            for statement, values in [
                ("INSERT INTO families (id, name, created_at) VALUES ('f1', '김씨네', :now)", {}),
                (
                    "INSERT INTO users (id, family_id, role, display_name, email, password_hash, "
                    "pin_failures, pin_locked, locale, created_at) VALUES "
                    "('p1', 'f1', 'parent', '김엄마', :email, :hash, 0, false, 'ko', :now)",
                    {"email": email, "hash": hash_password(password)},
                ),
                (
                    "INSERT INTO users (id, family_id, role, display_name, birth_year, pin_failures, "
                    "pin_locked, locale, created_at) VALUES ('c1', 'f1', 'child', '김하늘', 2015, 0, false, "
                    "'ko', :now)",
                    {},
                ),
                (
                    "INSERT INTO notifications (id, family_id, user_id, child_id, event, title, body, data, "
                    "created_at) VALUES ('n1', 'f1', 'p1', 'c1', 'AllowanceRequested', '김하늘의 요청', "
                    "'김하늘이 용돈을 요청했어요', :data, :now)",
                    {"data": json.dumps({"request_id": "r1", "facts": {"child": "김하늘"}})},
                ),
                (
                    "INSERT INTO changelog (family_id, audience, entity, entity_id, op, data, created_at) "
                    "VALUES ('f1', NULL, 'member', 'c1', 'put', :data, :now)",
                    {"data": json.dumps({"user_id": "c1", "role": "child", "display_name": "김하늘"})},
                ),
            ]:
                connection.execute(sa.text(statement), {"now": now, **values})
    finally:
        engine.dispose()

    key = base64.b64encode(bytes(range(32))).decode()
    settings = make_settings(database_url=empty_url, data_keys=f"7:{key}")
    app = create_app(settings)  # upgrades with the server's data keys
    try:
        with TestClient(app) as client:
            login = {"email": email.upper(), "password": password, "client_id": "after-upgrade"}
            signed_in = client.post("/api/users/login", json=login)
            assert signed_in.status_code == 200, signed_in.text
            headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            family = client.get("/api/family", headers=headers).json()
            assert family["name"] == "김씨네"
            assert sorted(m["display_name"] for m in family["members"]) == ["김엄마", "김하늘"]
            inbox = client.get("/api/notifications", headers=headers).json()["notifications"]
            assert [(n["title"], n["data"]["facts"]["child"]) for n in inbox] == [("김하늘의 요청", "김하늘")]
    finally:
        app.state.db.dispose()
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as connection:
            stored = [
                str(value)
                for table in ("families", "users", "notifications", "changelog")
                for row in connection.execute(sa.text(f"SELECT * FROM {table}"))  # noqa: S608
                for value in row
            ]
    finally:
        engine.dispose()
    plain = ("김씨네", "김엄마", "김하늘", "\\uae40\\ud558\\ub298", email)
    assert [value for value in stored if any(p in value for p in plain)] == []

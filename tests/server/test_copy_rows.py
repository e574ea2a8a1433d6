"""A batched push's rows reach PostgreSQL as ``COPY`` (``server.db.copy``) and are stored exactly as the
``INSERT`` stored them: defaults filled, names sealed, the live channel told; a row the database
refuses fails the whole statement and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from server.db import Database
from server.db.copy import COPY_ROWS
from server.db.models import ChangeLog, Family, LedgerEntry, User
from server.db.sealed import MARK
from server.live.commits import publish_commits
from server.payment.crypto import cipher_from_settings
from server.settings import Settings

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _database(url: str, make_settings: Callable[..., Settings]) -> Database:
    db = Database(url, cipher=cipher_from_settings(make_settings(database_url=url)))
    with db.write() as session:
        session.add(Family(id="fam", name="우리집", created_at=NOW))
        session.flush()
        session.add(User(id="kid", family_id="fam", role="child", display_name="지우", created_at=NOW))
    return db


def _entries(family_id: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "family_id": family_id,
            "child_id": "kid",
            "txn_id": f"m{i}",
            "account": "cash",
            "amount": 1_000 * (i + 1),
            "actor_id": "mom",
            "kind": "family.grant",
            "ref_id": f"g{i}",
            "reason": "용돈" if i % 2 else None,
            "created_at": NOW,
        }
        for i in range(n)
    ]


def test_copied_rows_read_back_as_inserted_ones_with_names_sealed_at_rest(
    pg_url: str, make_settings: Callable[..., Settings]
) -> None:
    db = _database(pg_url, make_settings)
    published: list[Any] = []
    publish_commits(db.engine, published.append)
    logs = [
        {
            "server_seq": 100 + i,
            "family_id": "fam",
            "audience": None,
            "entity": "trade",
            "entity_id": f"t{i}",
            "op": "put",
            "data": {"trade_id": f"t{i}", "journal": "지우가 샀어요" if i == 1 else None, "qty": [1, 2]},
            "created_at": NOW,
        }
        for i in range(3)
    ]
    try:
        with db.write("fam") as session:
            session.execute(sa.insert(ChangeLog), logs, execution_options={COPY_ROWS: True})
        with db.read() as session:
            rows = session.execute(sa.select(ChangeLog).order_by(ChangeLog.server_seq)).scalars().all()
            assert [(r.server_seq, r.entity_id, r.data, r.created_at) for r in rows] == [
                (row["server_seq"], row["entity_id"], row["data"], NOW) for row in logs
            ]
            journal = sa.text("SELECT data ->> 'journal' FROM changelog WHERE server_seq = 101")
            # the child's words, sealed as an INSERT seals them
            assert session.execute(journal).scalar_one().startswith(MARK)
        assert [event.family_id for event in published] == ["fam"]  # the family's devices are poked
    finally:
        db.dispose()


def test_copied_entries_take_their_ids_from_the_sequence(
    pg_url: str, make_settings: Callable[..., Settings]
) -> None:
    db = _database(pg_url, make_settings)
    try:
        with db.write("fam") as session:
            session.execute(sa.insert(LedgerEntry), _entries("fam", 3), execution_options={COPY_ROWS: True})
            session.execute(sa.insert(LedgerEntry), _entries("fam", 2))  # and an INSERT after them
        with db.read() as session:
            stored = session.execute(
                sa.select(LedgerEntry.id, LedgerEntry.amount, LedgerEntry.reason).order_by(LedgerEntry.id)
            ).all()
        assert [amount for _, amount, _ in stored] == [1_000, 2_000, 3_000, 1_000, 2_000]
        assert len({entry_id for entry_id, _, _ in stored}) == 5
        assert [reason for _, _, reason in stored][:3] == [None, "용돈", None]
    finally:
        db.dispose()


def test_a_refused_row_fails_the_whole_copy(pg_url: str, make_settings: Callable[..., Settings]) -> None:
    db = _database(pg_url, make_settings)
    rows = _entries("fam", 3) + _entries("no-such-family", 1)
    try:
        with pytest.raises(sa.exc.IntegrityError), db.write("fam") as session:
            session.execute(sa.insert(LedgerEntry), rows, execution_options={COPY_ROWS: True})
        with db.read() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0
    finally:
        db.dispose()

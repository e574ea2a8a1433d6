"""The device's database moves forward with the app: a store written by an older build opens with
everything it held, and what the new columns add reads as "not known" for the old rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from client.store import IdentityRow, LocalStore
from client.store.schema import MIGRATIONS

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_an_outcome_stored_before_0004_opens_without_a_time(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    MIGRATIONS.apply(old, stop_before="0004_outcome_created_at")  # the build before this column
    old.execute(
        """INSERT INTO mutation_outcome (mutation_id, seq, name, args, status, code)
           VALUES ('m1', 1, 'trade.place/v1', '{"trade_id": "t1"}', 'rejected', 'PRICE_MOVED')"""
    )
    old.conn.commit()
    old.close()

    store = LocalStore.open(path)
    try:
        store.init_identity(IdentityRow("c1", "kid-1", "child", "fam-1", "지우", "http://x"), START)
        (outcome,) = store.outcomes()
        assert (outcome.mutation_id, outcome.code, outcome.created_at) == ("m1", "PRICE_MOVED", None)
        columns = {c.name for c in store.db["mutation_outcome"].columns}
        assert "created_at" in columns
    finally:
        store.close()

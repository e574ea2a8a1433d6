"""(d) The raw SQLite baseline: Python's sqlite3 doing the writes one applied trade needs, nothing else.

Same pragmas as the server (WAL, ``synchronous=FULL``). Per mutation: read the two balances, insert
two ledger entries, update the two balances, append a change-log row, insert the outcome row and
advance the device's ``last_seq``. Batched: one transaction per 500 with a savepoint per mutation
(the push shape); single: one transaction per mutation (the one-per-push shape).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

__all__ = ["apply_trade", "batched_rate", "single_rate"]

_SCHEMA = """
CREATE TABLE balances (child_id TEXT, account TEXT, balance INTEGER NOT NULL,
                       PRIMARY KEY (child_id, account));
CREATE TABLE entries (id INTEGER PRIMARY KEY, txn_id TEXT NOT NULL, child_id TEXT NOT NULL,
                      account TEXT NOT NULL, amount INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX ix_entries_txn ON entries (txn_id);
CREATE TABLE changelog (server_seq INTEGER PRIMARY KEY AUTOINCREMENT, family_id TEXT, entity TEXT,
                        entity_id TEXT, data TEXT, created_at TEXT);
CREATE TABLE mutations (mutation_id TEXT PRIMARY KEY, client_id TEXT, seq INTEGER, status TEXT,
                        args TEXT, server_seq INTEGER, UNIQUE (client_id, seq));
CREATE TABLE devices (client_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
"""


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.executescript(_SCHEMA)
    connection.execute("INSERT INTO balances VALUES ('kid', 'cash', 1000000000), ('kid', 'market', 0)")
    connection.execute("INSERT INTO devices VALUES ('dev', 0)")
    return connection


_BALANCES = (
    "SELECT balance FROM balances WHERE child_id = 'kid' AND account IN ('cash', 'market') ORDER BY account"
)
_ENTRY = "INSERT INTO entries (txn_id, child_id, account, amount, created_at) VALUES (?, 'kid', ?, ?, 'now')"
_BALANCE = "UPDATE balances SET balance = ? WHERE child_id = 'kid' AND account = ?"
_LOG = (
    "INSERT INTO changelog (family_id, entity, entity_id, data, created_at) "
    "VALUES ('fam', 'balance', ?, ?, 'now') RETURNING server_seq"
)
_OUTCOME = "INSERT INTO mutations VALUES (?, 'dev', ?, 'applied', '{}', ?)"
_DEVICE = "UPDATE devices SET last_seq = ? WHERE client_id = 'dev'"


def apply_trade(connection: Any, seq: int, mark: str = "?") -> None:
    """One applied trade's writes on a DB-API ``connection`` whose ``execute`` returns its cursor
    (sqlite3's, psycopg's); ``mark`` is the driver's parameter placeholder."""

    def run(sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        return connection.execute(sql.replace("?", mark), parameters)

    mutation_id = f"m{seq}"
    cash, market = (row[0] for row in run(_BALANCES))
    amount = 1_400
    for account, delta in (("cash", -amount), ("market", amount)):
        run(_ENTRY, (mutation_id, account, delta))
    for account, value in (("cash", cash - amount), ("market", market + amount)):
        run(_BALANCE, (value, account))
    server_seq = run(_LOG, ("kid:cash", f'{{"balance": {cash - amount}}}')).fetchone()[0]
    run(_OUTCOME, (mutation_id, seq, server_seq))
    run(_DEVICE, (seq,))


def batched_rate(path: Path, mutations: int, batch: int = 500) -> float:
    """Mutations per second, ``batch`` per transaction, a savepoint around each."""
    connection = _open(path)
    try:
        started, seq = time.perf_counter(), 0
        while seq < mutations:
            connection.execute("BEGIN IMMEDIATE")
            for _ in range(min(batch, mutations - seq)):
                seq += 1
                connection.execute("SAVEPOINT m")
                apply_trade(connection, seq)
                connection.execute("RELEASE m")
            connection.execute("COMMIT")
        return mutations / (time.perf_counter() - started)
    finally:
        connection.close()


def single_rate(path: Path, mutations: int) -> float:
    """Mutations per second, one committed (fsynced) transaction each."""
    connection = _open(path)
    try:
        started = time.perf_counter()
        for seq in range(1, mutations + 1):
            connection.execute("BEGIN IMMEDIATE")
            apply_trade(connection, seq)
            connection.execute("COMMIT")
        return mutations / (time.perf_counter() - started)
    finally:
        connection.close()

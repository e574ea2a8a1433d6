"""(d) The raw PostgreSQL baseline: psycopg doing the writes one applied trade needs, nothing else.

The same statements as :mod:`bench.raw_sqlite` (:func:`~bench.raw_sqlite.apply_trade`), one round
trip each, in their own schema of the bench's database. Batched: one
transaction per 500 with a savepoint per mutation (the push shape, compared with c1); single: one
committed transaction per mutation (the one-per-push shape, compared with c3).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from .raw_sqlite import apply_trade

__all__ = ["batched_rate", "single_rate"]

_SCHEMA = """
CREATE TABLE balances (child_id TEXT, account TEXT, balance BIGINT NOT NULL,
                       PRIMARY KEY (child_id, account));
CREATE TABLE entries (id BIGSERIAL PRIMARY KEY, txn_id TEXT NOT NULL, child_id TEXT NOT NULL,
                      account TEXT NOT NULL, amount BIGINT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX ix_entries_txn ON entries (txn_id);
CREATE TABLE changelog (server_seq BIGSERIAL PRIMARY KEY, family_id TEXT, entity TEXT,
                        entity_id TEXT, data JSONB, created_at TEXT);
CREATE TABLE mutations (mutation_id TEXT PRIMARY KEY, client_id TEXT, seq INTEGER, status TEXT,
                        args JSONB, server_seq BIGINT, UNIQUE (client_id, seq));
CREATE TABLE devices (client_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
INSERT INTO balances VALUES ('kid', 'cash', 1000000000), ('kid', 'market', 0);
INSERT INTO devices VALUES ('dev', 0);
"""


@contextmanager
def _opened(url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection whose tables are a fresh ``schema`` (dropped afterwards)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as setup:
        setup.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        setup.execute(f"CREATE SCHEMA {schema}")
        setup.execute(f"SET search_path TO {schema}")
        setup.execute(_SCHEMA)  # fixed text, several statements
        try:
            with psycopg.connect(
                url.replace("postgresql+psycopg://", "postgresql://"), options=f"-c search_path={schema}"
            ) as connection:
                yield connection
        finally:
            setup.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _rate(url: str, mutations: int, run: Callable[[psycopg.Connection[Any]], None]) -> float:
    with _opened(url, "raw_baseline") as connection:
        started = time.perf_counter()
        run(connection)
        return mutations / (time.perf_counter() - started)


def batched_rate(url: str, mutations: int, batch: int = 500) -> float:
    """Mutations per second, ``batch`` per transaction, a savepoint around each."""

    def run(connection: psycopg.Connection[Any]) -> None:
        seq = 0
        while seq < mutations:
            with connection.transaction():
                for _ in range(min(batch, mutations - seq)):
                    seq += 1
                    with connection.transaction():  # a savepoint
                        apply_trade(connection, seq, "%s")

    return _rate(url, mutations, run)


def single_rate(url: str, mutations: int) -> float:
    """Mutations per second, one committed transaction each."""

    def run(connection: psycopg.Connection[Any]) -> None:
        for seq in range(1, mutations + 1):
            with connection.transaction():
                apply_trade(connection, seq, "%s")

    return _rate(url, mutations, run)

"""The local database's schema, as ``sqlite_utils`` migrations (each commits with its record).

Confirmed state and the view are stored one JSON document per (entity, id), exactly as the server
sent it (``c_entity``) or as the rebase predicts it (``v_entity``): new entity kinds from a newer
server need no migration, and the shared ``sync.replica`` reads both.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["MIGRATIONS"]

MIGRATIONS = Migrations("yongdon-client")


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    db.execute(
        """CREATE TABLE sync_meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            client_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,
            family_id TEXT NOT NULL, display_name TEXT NOT NULL, server_url TEXT NOT NULL,
            next_seq INTEGER NOT NULL DEFAULT 1,
            cursor INTEGER NOT NULL DEFAULT 0,
            last_seq_acked INTEGER NOT NULL DEFAULT 0,
            server_offset_ms INTEGER NOT NULL DEFAULT 0,
            protocol INTEGER NOT NULL DEFAULT 1,
            last_synced_at TEXT,
            created_at TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE pending_mutation (
            seq INTEGER PRIMARY KEY,
            mutation_id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL, args TEXT NOT NULL,
            base_cursor INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            first_sent_at TEXT,
            local_status TEXT NOT NULL DEFAULT 'pending',
            at_risk INTEGER NOT NULL DEFAULT 0,
            code TEXT)"""
    )
    # acknowledged mutations, kept to re-send if the server comes back from an older backup
    db.execute(
        """CREATE TABLE acked_mutation (
            seq INTEGER PRIMARY KEY, mutation_id TEXT NOT NULL, name TEXT NOT NULL,
            args TEXT NOT NULL, base_cursor INTEGER NOT NULL, created_at TEXT NOT NULL,
            first_sent_at TEXT)"""
    )
    db.execute(
        """CREATE TABLE mutation_outcome (
            mutation_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL,
            args TEXT NOT NULL, status TEXT NOT NULL, code TEXT, detail TEXT,
            server_seq INTEGER, seen INTEGER NOT NULL DEFAULT 0)"""
    )
    for prefix in ("c", "v"):
        db.execute(
            f"""CREATE TABLE {prefix}_entity (
                entity TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (entity, id)) WITHOUT ROWID"""
        )


@MIGRATIONS(name="0002_parent_email")
def _parent_email(db: Database) -> None:
    # a parent identity signs in again with e-mail and password; children have no e-mail at all
    db.execute("ALTER TABLE sync_meta ADD COLUMN email TEXT")


@MIGRATIONS(name="0003_offline_pin")
def _offline_pin(db: Database) -> None:
    # a child's PIN checked on the device while offline (scrypt verifier, its own failure counter)
    db.execute("ALTER TABLE sync_meta ADD COLUMN pin_verifier TEXT")
    db.execute("ALTER TABLE sync_meta ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0")


@MIGRATIONS(name="0004_outcome_created_at")
def _outcome_created_at(db: Database) -> None:
    # when the mutation was made on the device: a refused order leaves no trade behind, and its
    # outcome is then the only place that remembers when the child ordered (older rows stay NULL)
    db.execute("ALTER TABLE mutation_outcome ADD COLUMN created_at TEXT")


@MIGRATIONS(name="0005_acked_at")
def _acked_at(db: Database) -> None:
    # when a mutation was acknowledged: the acknowledged history is pruned by age and count
    # (rows from before this column are dated at the next pull)
    db.execute("ALTER TABLE acked_mutation ADD COLUMN acked_at TEXT")


@MIGRATIONS(name="0006_cursor_mark")
def _cursor_mark(db: Database) -> None:
    # the mark the server answered with the cursor (protocol 3), sent back with it; none before
    db.execute("ALTER TABLE sync_meta ADD COLUMN cursor_mark TEXT")

"""``LocalStore``: one identity's SQLite database — confirmed state, the view, the mutation queue.

Every method that changes anything is one SQLite transaction (sync.md C1–C4):

- ``record`` — a user action: the pending row, ``next_seq`` and the rebuilt view commit together, so
  a pending mutation is in the queue exactly when its predicted effect is in ``v_entity`` (I11);
- ``commit_pull`` — confirmed state, ``cursor`` and ``last_seq_acked`` change only together (C2);
  confirmed mutations leave the queue with their outcome (C3);
- ``cancel`` — a never-sent mutation becomes ``noop/v1`` in place (C4).

Acknowledged mutations are kept only to send again to a server restored from a backup that lost
them (the server recognises each by its ``mutation_id``): the last ``ACKED_DAYS`` days of them, and
at least the newest ``ACKED_KEEP``. Older ones are deleted, so the database does not grow with every
mutation this device ever sent; a restore from further back than that is the server's backup's loss.
Their outcomes go with them when they were applied (nothing shows those); refused and adjusted
ones stay for the inbox and the order history, the newest ``ACKED_KEEP`` of those already seen.

The confirmed replica and the view books are cached in memory: this process is the database's only
writer, and the cache is rebuilt from disk on open.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from sqlite_utils import Database

from sync.book import MemoryBook
from sync.market import Quote
from sync.protocol import ARGS, MutationResult, PullResponse, decode_args
from sync.rebase import Pending, rebase
from sync.records import Actor, Role
from sync.replica import Replica, advance

from .rows import IdentityRow, InvalidMutation, PendingRow, StoredOutcome, dumps, parse_time
from .schema import MIGRATIONS
from .view import Key, book_records, row_data, written_records

__all__ = ["LocalStore"]

NOOP = "noop/v1"
ACKED_DAYS = 7
ACKED_KEEP = 1_000


class LocalStore:
    """The database of one enrolled identity (``<data_dir>/profiles/<client_id>.db``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        MIGRATIONS.apply(db)
        self._view_books: dict[str, MemoryBook] = {}
        self._view_records: dict[Key, tuple[str, Any]] = {}
        # what the view was last rebuilt from: the confirmed books, their rows, the rebase's rows
        self._view_base: dict[str, MemoryBook] | None = None
        self._base_records: dict[Key, tuple[str, Any]] = {}
        self._written: dict[Key, tuple[str, Any]] = {}
        self._base_dirty: set[Key] = set()  # rows of the confirmed state a pull changed since
        self._reload()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """One write transaction; if it fails, the in-memory caches are reloaded from disk (they may
        have run ahead of a transaction that rolled back)."""
        try:
            with self.db.atomic():
                yield
        except BaseException:
            if not self.db.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._reload()
            raise

    def _reload(self) -> None:
        self._replica = self._load_replica("c_entity")
        self._confirmed_books = self._books_of(self._replica)
        self._load_view()

    # -- opening -------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str) -> LocalStore:
        """Open (creating) the database: WAL and ``synchronous=FULL`` (a commit survives power loss)."""
        if str(path) == ":memory:":
            return cls(Database(memory=True, execute_plugins=False))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = Database(sqlite3.connect(str(path), timeout=10), execute_plugins=False)
        db.enable_wal()
        db.execute("PRAGMA synchronous=FULL")
        return cls(db)

    def close(self) -> None:
        self.db.close()

    @staticmethod
    def peek_meta(path: Path) -> dict[str, Any] | None:
        """The ``sync_meta`` row of a database file, read without opening it as a store (cheap:
        listing identities must not load every profile's data)."""
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
            conn.row_factory = sqlite3.Row
            try:
                row = conn.execute("SELECT * FROM sync_meta WHERE id = 1").fetchone()
            except sqlite3.OperationalError:  # created but never migrated (a crash at enrolment)
                return None
        return dict(row) if row else None

    def init_identity(self, identity: IdentityRow, now: datetime) -> None:
        """Bind this fresh database to one identity (once: a second call with another user fails)."""
        with self._tx():
            existing = self.identity()
            if existing is not None:
                if (existing.user_id, existing.server_url) != (identity.user_id, identity.server_url):
                    raise ValueError("this database belongs to another identity")
                self.db.execute(
                    "UPDATE sync_meta SET display_name = ?, role = ?, family_id = ? WHERE id = 1",
                    [identity.display_name, identity.role, identity.family_id],
                )
                return
            self.db.execute(
                """INSERT INTO sync_meta (id, client_id, user_id, role, family_id, display_name,
                   server_url, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    identity.client_id,
                    identity.user_id,
                    identity.role,
                    identity.family_id,
                    identity.display_name,
                    identity.server_url,
                    now.isoformat(),
                ],
            )

    # -- reading ---------------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        rows = list(self.db.query("SELECT * FROM sync_meta WHERE id = 1"))
        if not rows:
            raise LookupError("this database has no identity yet")
        return rows[0]

    def identity(self) -> IdentityRow | None:
        rows = list(
            self.db.query(
                "SELECT client_id, user_id, role, family_id, display_name, server_url FROM sync_meta"
            )
        )
        return IdentityRow(**rows[0]) if rows else None

    def actor(self) -> Actor:
        meta = self.meta()
        return Actor(user_id=meta["user_id"], role=Role(meta["role"]), family_id=meta["family_id"])

    def pending(self) -> list[PendingRow]:
        return [self._pending(r) for r in self.db.query("SELECT * FROM pending_mutation ORDER BY seq")]

    def unsent_after(self, seq: int, limit: int) -> list[PendingRow]:
        """Queued mutations with ``seq`` greater than ``seq``, oldest first (the next push page)."""
        rows = self.db.query(
            "SELECT * FROM pending_mutation WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit]
        )
        return [self._pending(r) for r in rows]

    def outcomes(self, *, applied: bool = True) -> list[StoredOutcome]:
        """The servers' decisions, oldest first; ``applied=False``: only what the inbox shows (the
        refused and the adjusted), without reading every applied one."""
        where = "" if applied else "WHERE status != 'applied' "
        rows = self.db.query(f"SELECT * FROM mutation_outcome {where}ORDER BY seq")  # noqa: S608 - constant
        return [
            StoredOutcome(
                mutation_id=r["mutation_id"],
                seq=r["seq"],
                name=r["name"],
                args=json.loads(r["args"]),
                status=r["status"],
                code=r["code"],
                detail=json.loads(r["detail"]) if r["detail"] else None,
                server_seq=r["server_seq"],
                seen=bool(r["seen"]),
                created_at=parse_time(r["created_at"]),
            )
            for r in rows
        ]

    def confirmed(self) -> Replica:
        """The confirmed replica (a copy: callers may change it freely)."""
        return copy.deepcopy(self._replica)

    def confirmed_entities(self, entity: str) -> dict[str, dict[str, Any]]:
        return self._replica.table(entity)

    def view_books(self) -> dict[str, MemoryBook]:
        return self._view_books

    def view_rows(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``v_entity`` as stored on disk (tests compare it with ``c_entity``)."""
        return self._read_entities("v_entity")

    # -- C1: a user action ------------------------------------------------------------------------------
    def record(self, name: str, args: dict[str, Any], mutation_id: str, now: datetime) -> PendingRow:
        """Queue one mutation and show its predicted effect, in one transaction."""
        if name not in ARGS:
            raise InvalidMutation(f"unknown mutation {name!r}")
        try:
            decode_args(name, args)
        except msgspec.ValidationError as error:
            raise InvalidMutation(str(error)) from None
        with self._tx():
            meta = self.meta()
            seq = int(meta["next_seq"])
            self.db.execute(
                """INSERT INTO pending_mutation (seq, mutation_id, name, args, base_cursor, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                [seq, mutation_id, name, dumps(args), int(meta["cursor"]), now.isoformat()],
            )
            self.db.execute("UPDATE sync_meta SET next_seq = ? WHERE id = 1", [seq + 1])
            self._rebuild_view(now)
        return self._pending(next(iter(self.db.query("SELECT * FROM pending_mutation WHERE seq = ?", [seq]))))

    def cancel(self, seq: int, now: datetime) -> bool:
        """C4: a never-sent mutation is rewritten to ``noop/v1`` (same seq and id); a sent one stays."""
        with self._tx():
            rows = list(
                self.db.query("SELECT first_sent_at, name FROM pending_mutation WHERE seq = ?", [seq])
            )
            if not rows or rows[0]["first_sent_at"] is not None or rows[0]["name"] == NOOP:
                return False
            self.db.execute(
                "UPDATE pending_mutation SET name = ?, args = '{}', local_status = 'cancelled', "
                "at_risk = 0, code = NULL WHERE seq = ?",
                [NOOP, seq],
            )
            self._rebuild_view(now)
        return True

    def mark_sent(self, seqs: Sequence[int], now: datetime) -> None:
        """Record the first send before sending: from here on, only the server may decide (C4)."""
        if not seqs:
            return
        marks = ",".join("?" * len(seqs))
        with self._tx():
            self.db.execute(
                "UPDATE pending_mutation SET first_sent_at = ? "  # noqa: S608 - only placeholders
                f"WHERE first_sent_at IS NULL AND seq IN ({marks})",
                [now.isoformat(), *seqs],
            )

    def mark_seen(self, mutation_ids: Iterable[str]) -> None:
        ids = list(mutation_ids)
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with self._tx():
            sql = f"UPDATE mutation_outcome SET seen = 1 WHERE mutation_id IN ({marks})"  # noqa: S608
            self.db.execute(sql, ids)

    def set_meta(self, **fields: Any) -> None:
        allowed = {
            "server_offset_ms",
            "last_synced_at",
            "protocol",
            "display_name",
            "email",
            "pin_verifier",
            "pin_failures",
            "server_url",  # the family server moved (Runtime.move_server)
        }
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"cannot set {sorted(set(fields) - allowed)}")
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self._tx():
            sql = f"UPDATE sync_meta SET {assignments} WHERE id = 1"  # noqa: S608 - names from `allowed`
            self.db.execute(sql, list(fields.values()))

    def adopt_queue(self, old: LocalStore, now: datetime) -> int:
        """Client reset (sync.md): queue ``old``'s surviving mutations here with fresh seqs and their
        original mutation ids (the server recognises those it already decided). Returns how many."""
        survivors = [p for p in old.pending() if p.name != NOOP]
        with self._tx():
            seq = int(self.meta()["next_seq"])
            cursor = int(self.meta()["cursor"])
            for p in survivors:
                self.db.execute(
                    """INSERT INTO pending_mutation (seq, mutation_id, name, args, base_cursor, created_at)
                       VALUES (?, ?, ?, ?, ?, ?)""",
                    [seq, p.mutation_id, p.name, dumps(p.args), cursor, p.created_at.isoformat()],
                )
                seq += 1
            self.db.execute("UPDATE sync_meta SET next_seq = ? WHERE id = 1", [seq])
            self._rebuild_view(now)
        return len(survivors)

    # -- C2/C3: applying a pull --------------------------------------------------------------------------
    def preview(self, pages: Sequence[PullResponse]) -> Replica:
        """The confirmed replica as it would be after ``pages`` (nothing is written)."""
        replica = self._replica.copy()
        for page in pages:
            replica.apply(page.changes, reset=page.reset)
        return replica

    def commit_pull(self, pages: Sequence[PullResponse], replica: Replica, now: datetime) -> None:
        """Apply the pages of one pull (``replica`` = ``preview(pages)``) in one transaction."""
        last = pages[-1]
        with self._tx():
            meta = self.meta()
            for page in pages:
                if page.reset:
                    self.db.execute("DELETE FROM c_entity WHERE entity != 'quote'")
                puts = [(c.entity, c.id, dumps(c.data or {})) for c in page.changes if c.op == "put"]
                dels = [(c.entity, c.id) for c in page.changes if c.op == "del"]
                self.db.conn.executemany(
                    "INSERT OR REPLACE INTO c_entity (entity, id, data) VALUES (?, ?, ?)", puts
                )
                self.db.conn.executemany("DELETE FROM c_entity WHERE entity = ? AND id = ?", dels)
            acked = int(meta["last_seq_acked"])
            if last.last_seq < acked:
                # the server forgot acknowledged work (restored from a backup): send it again
                self._requeue_after(last.last_seq)
            for page in pages:
                self._record_results(page.results)
            self._acknowledge(last.last_seq)
            self._prune_acked(now)
            self.db.execute(
                "UPDATE sync_meta SET cursor = ?, cursor_mark = ?, last_seq_acked = ? WHERE id = 1",
                [last.cursor, last.cursor_mark, last.last_seq],
            )
            self._replica = replica
            self._advance_books(pages)
            self._rebuild_view(now)

    def _advance_books(self, pages: Sequence[PullResponse]) -> None:
        """The confirmed books after a pull: forks with the changed rows (and the view's rows of the
        confirmed state updated with them), or built again from the replica after a reset."""
        old = self._confirmed_books
        changes = [c for page in pages for c in page.changes]
        books = None if any(page.reset for page in pages) else advance(old, changes)
        if books is None:
            self._confirmed_books = self._books_of(self._replica)
            return
        if self._view_base is old:  # keep comparing only what changed
            versions = {cid: d.get("version") for cid, d in self._replica.table("rules").items()}
            for child, book in books.items():
                if book is not old[child]:
                    rows = written_records(book, versions.get(child))
                    self._base_records.update(rows)
                    self._base_dirty.update(rows)
            self._view_base = books
        self._confirmed_books = books

    def keep_quote(self, data: dict[str, Any], now: datetime) -> bool:
        """A quote the server pushed on the live channel; ``False`` if it is already here.

        The server recorded it as served to this device, so no pull will bring it again, and the
        fill rule will compare an order against it: the device must keep it. A quote is an
        immutable observation, so keeping it changes nothing else that is confirmed (C2 is about
        balances, records and cursors moving together).
        """
        quote_id = str(data["quote_id"])
        if quote_id in self._replica.table("quote"):
            return False
        with self._tx():
            self.db.execute(
                "INSERT OR REPLACE INTO c_entity (entity, id, data) VALUES ('quote', ?, ?)",
                [quote_id, dumps(data)],
            )
            self._replica.entities.setdefault("quote", {})[quote_id] = data
            # the confirmed books plus one quote: forks (the old books stay as the view reads them),
            # and a quote is no view row, so the next rebuild still compares only what was written
            quote = msgspec.convert(data, Quote, strict=False)
            books = {child: book.fork() for child, book in self._confirmed_books.items()}
            for book in books.values():
                served = book.newest_served_quote(quote.symbol)
                book.add_quote(quote, served=served is None or quote.seq >= served.seq)
            if self._view_base is self._confirmed_books:
                self._view_base = books
            self._confirmed_books = books
            self._rebuild_view(now)
        return True

    def requeue_after(self, seq: int, now: datetime) -> None:
        """A GAP below what was acknowledged: the server lost mutations after ``seq``; queue them again."""
        with self._tx():
            self._requeue_after(seq)
            self.db.execute("UPDATE sync_meta SET last_seq_acked = ? WHERE id = 1", [seq])
            self._rebuild_view(now)

    # -- internals ----------------------------------------------------------------------------------------
    def _record_results(self, results: Iterable[MutationResult]) -> None:
        for result in results:
            source = list(
                self.db.query(
                    "SELECT name, args, created_at FROM pending_mutation WHERE mutation_id = ? "
                    "UNION ALL SELECT name, args, created_at FROM acked_mutation WHERE mutation_id = ?",
                    [result.id, result.id],
                )
            )
            row = source[0] if source else {"name": "", "args": "{}", "created_at": None}
            name, args = row["name"], row["args"]
            self.db.execute(
                """INSERT INTO mutation_outcome
                   (mutation_id, seq, name, args, status, code, detail, server_seq, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (mutation_id) DO UPDATE SET status = excluded.status, code = excluded.code,
                     detail = excluded.detail, server_seq = excluded.server_seq""",
                [
                    result.id,
                    result.seq,
                    name,
                    args,
                    result.status.value,
                    result.code,
                    dumps(result.detail) if result.detail else None,
                    result.server_seq,
                    row["created_at"],
                ],
            )

    def _acknowledge(self, last_seq: int) -> None:
        """C3: queued mutations up to ``last_seq`` are decided; keep them in the acknowledged history
        (``acked_at`` is set by ``_prune_acked``, in the same transaction)."""
        self.db.execute(
            """INSERT OR REPLACE INTO acked_mutation (seq, mutation_id, name, args, base_cursor, created_at,
               first_sent_at) SELECT seq, mutation_id, name, args, base_cursor, created_at, first_sent_at
               FROM pending_mutation WHERE seq <= ?""",
            [last_seq],
        )
        self.db.execute("DELETE FROM pending_mutation WHERE seq <= ?", [last_seq])

    def _prune_acked(self, now: datetime) -> None:
        """Date what was just acknowledged, then keep the last ``ACKED_DAYS`` days and at least the
        newest ``ACKED_KEEP`` of the acknowledged history, and the outcomes that go with it."""
        # rows acknowledged before the store dated them (schema 0004) are dated at the first pull
        self.db.execute(
            "UPDATE acked_mutation SET acked_at = ? WHERE acked_at IS NULL", [now.astimezone(UTC).isoformat()]
        )
        cutoff = (now - timedelta(days=ACKED_DAYS)).astimezone(UTC).isoformat()
        self.db.execute(
            """DELETE FROM acked_mutation WHERE acked_at < ?
               AND seq <= (SELECT seq FROM acked_mutation ORDER BY seq DESC LIMIT 1 OFFSET ?)""",
            [cutoff, ACKED_KEEP],
        )
        self.db.execute(
            """DELETE FROM mutation_outcome WHERE status = 'applied'
               AND mutation_id NOT IN (SELECT mutation_id FROM acked_mutation)
               AND mutation_id NOT IN (SELECT mutation_id FROM pending_mutation)"""
        )
        self.db.execute(
            """DELETE FROM mutation_outcome WHERE status != 'applied' AND seen = 1
               AND seq <= (SELECT seq FROM mutation_outcome WHERE status != 'applied'
                           ORDER BY seq DESC LIMIT 1 OFFSET ?)""",
            [ACKED_KEEP],
        )

    def _requeue_after(self, seq: int) -> None:
        self.db.execute(
            """INSERT OR REPLACE INTO pending_mutation (seq, mutation_id, name, args, base_cursor, created_at,
               first_sent_at) SELECT seq, mutation_id, name, args, base_cursor, created_at, first_sent_at
               FROM acked_mutation WHERE seq > ?""",
            [seq],
        )
        self.db.execute(
            "DELETE FROM mutation_outcome WHERE mutation_id IN "
            "(SELECT mutation_id FROM acked_mutation WHERE seq > ?)",
            [seq],
        )
        self.db.execute("DELETE FROM acked_mutation WHERE seq > ?", [seq])

    def _rebuild_view(self, now: datetime) -> None:
        """v_* = confirmed ⊕ replay(pending), with the shared rules; at-risk marks are stored too.

        Only the rows that changed are written, and only the rows that may have changed are looked
        at: the rebase's books are forks of the confirmed ones, so a tap compares what this rebase
        and the previous one wrote, not the whole history. After a pull (new confirmed books) every
        row is compared once.
        """
        confirmed = self._confirmed_books
        rows = self.pending()
        queue = [Pending(p.seq, p.mutation_id, p.name, p.args) for p in rows]
        books, replayed = rebase(confirmed, queue, self.actor(), now)  # forks: confirmed stays as it is
        marked = {p.seq: (p.at_risk, p.code) for p in rows}
        self.db.conn.executemany(
            "UPDATE pending_mutation SET at_risk = ?, code = ? WHERE seq = ?",
            [(int(r.at_risk), r.code, r.seq) for r in replayed if marked.get(r.seq) != (r.at_risk, r.code)],
        )
        versions = {cid: d.get("version") for cid, d in self._replica.table("rules").items()}
        written: dict[Key, tuple[str, Any]] = {}
        for child, book in books.items():
            written.update(written_records(book, versions.get(child)))
        old = self._view_records
        if self._view_base is confirmed:
            base, records = self._base_records, old
            keys = written.keys() | self._written.keys() | self._base_dirty
        else:
            base = {}
            for child, book in confirmed.items():
                base.update(book_records(book, versions.get(child)))
            keys, records = base.keys() | written.keys() | old.keys(), {}
        puts: list[tuple[str, str, str]] = []
        gone: list[Key] = []
        for key in keys:
            value = written.get(key) or base.get(key)
            if value is None:
                if key in old:
                    gone.append(key)
                records.pop(key, None)
                continue
            if old.get(key) != value:
                puts.append((key[0], key[1], dumps(row_data(key[0], value[0], value[1]))))
            records[key] = value
        self.db.conn.executemany("INSERT OR REPLACE INTO v_entity (entity, id, data) VALUES (?, ?, ?)", puts)
        self.db.conn.executemany("DELETE FROM v_entity WHERE entity = ? AND id = ?", gone)
        self._view_books, self._view_records = books, records
        self._view_base, self._base_records, self._written = confirmed, base, written
        self._base_dirty = set()

    @staticmethod
    def _books_of(replica: Replica) -> dict[str, MemoryBook]:
        """Confirmed books, built once per applied pull (each rebuild of the view forks them)."""
        return {child: replica.book(child) for child in replica.children()}

    def _load_replica(self, table: str) -> Replica:
        return Replica(entities=self._read_entities(table))

    def _read_entities(self, table: str) -> dict[str, dict[str, dict[str, Any]]]:
        entities: dict[str, dict[str, dict[str, Any]]] = {}
        for row in self.db.query(f"SELECT entity, id, data FROM {table}"):  # noqa: S608 - fixed names
            entities.setdefault(row["entity"], {})[row["id"]] = json.loads(row["data"])
        return entities

    def _load_view(self) -> None:
        """The view books from ``v_entity`` (plus the confirmed members and quotes they refer to)."""
        self._view_base = None  # the next rebuild compares every row
        stored = self._read_entities("v_entity")
        entities = {**stored, "member": self._replica.table("member"), "quote": self._replica.table("quote")}
        view = Replica(entities=entities)
        self._view_books = {child: view.book(child) for child in view.children()}
        versions = {cid: d.get("version") for cid, d in entities.get("rules", {}).items()}
        self._view_records = {}
        for child, book in self._view_books.items():
            self._view_records.update(book_records(book, versions.get(child)))
        # rows the books cannot express (none today) are rewritten by the next build
        for entity, rows in stored.items():
            for entity_id in rows:
                self._view_records.setdefault((entity, entity_id), ("", None))

    @staticmethod
    def _pending(r: dict[str, Any]) -> PendingRow:
        return PendingRow(
            seq=r["seq"],
            mutation_id=r["mutation_id"],
            name=r["name"],
            args=json.loads(r["args"]),
            base_cursor=r["base_cursor"],
            created_at=datetime.fromisoformat(r["created_at"]),
            first_sent_at=parse_time(r["first_sent_at"]),
            local_status=r["local_status"],
            at_risk=bool(r["at_risk"]),
            code=r["code"],
        )

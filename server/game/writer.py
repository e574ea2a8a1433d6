"""Posting a decision: ledger entries, balances, records, change-log rows and outbox events.

Everything here runs inside the caller's write transaction, so a decision's effects, its outcome
and the device's ``last_seq`` become visible together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Table, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.book import Effects
from sync.ledger import account_spec
from sync.records import Position, Request, Stats, Trade
from sync.rules import HouseRules

from ..db.copy import COPY_ROWS
from ..db.models import (
    Balance,
    ChangeLog,
    ChildState,
    LedgerEntry,
    MutationRow,
    Outbox,
    PositionRow,
    RequestRow,
    RulesVersion,
    ServerAction,
    TradeRow,
)
from ..db.pipeline import pipelined

__all__ = [
    "OwnerMismatch",
    "Posting",
    "WriteBehind",
    "change_log_head",
    "log_change",
    "post_effects",
    "post_server_action",
]

# Core statements on the tables, built once: the ORM-enabled insert/update path costs several times
# more per statement, and one trade writes about a dozen of these rows (see bench/).
_BALANCES = Balance.__table__
_LOG = ChangeLog.__table__
_LOG_INSERT = _LOG.insert().returning(_LOG.c.server_seq, sort_by_parameter_order=True)
_NEXT_LOG_SEQS = text(
    "SELECT nextval(pg_get_serial_sequence('changelog', 'server_seq')) FROM generate_series(1, :n)"
)
# inline: no RETURNING of a generated key, even for one row: nothing reads it, and in a pipeline
# (WriteBehind.flush) no result may be read before its end
_ENTRY_INSERT = LedgerEntry.__table__.insert().inline()
_OUTBOX_INSERT = Outbox.__table__.insert().inline()
_RULES_INSERT = RulesVersion.__table__.insert().inline()
_MUTATION_INSERT = MutationRow.__table__.insert().inline()
_KEYED_LOG_INSERT = _LOG.insert().inline()
# built once, as the reads and writes above: a statement built per call costs its construction and
# its cache key each time, under the family's write lock
_LOG_ROWS_INSERT = _LOG.insert()
_LOG_LAST = select(func.max(_LOG.c.server_seq))
_FAMILY_HEAD = select(func.max(_LOG.c.server_seq)).where(_LOG.c.family_id == bindparam("family"))
_RULES_VERSIONS = RulesVersion.__table__
_NEWEST_RULES_VERSION = select(func.max(_RULES_VERSIONS.c.version)).where(
    _RULES_VERSIONS.c.child_id == bindparam("child")
)
# a push's rows, held to its end: PostgreSQL receives each table's as one COPY (server.db.copy) when
# they are many. A COPY waits for one round trip more than pipelined INSERTs, which a single push's
# two or three rows a table do not pay back (bench c3: 7 % of a single push was COPY's)
_COPY_FROM = 16


def _bulk(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {COPY_ROWS: True} if len(rows) >= _COPY_FROM else {}


# the CHECK constraint refuses a balance that may not go negative: a rule bug cannot overdraw
_BALANCE_ADD = (
    _BALANCES.update()
    .where(_BALANCES.c.child_id == bindparam("c"), _BALANCES.c.account == bindparam("a"))
    .values(balance=_BALANCES.c.balance + bindparam("d"))
    .returning(_BALANCES.c.balance)
)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _owned(model: type) -> bool:
    """Rows keyed by an id a device chose (a trade, a request), not by their child."""
    return "child_id" not in model.__table__.primary_key.columns  # type: ignore[attr-defined]


class OwnerMismatch(Exception):
    """A write would have moved an existing trade or request to another child (or family)."""


def _upsert(
    db: Connection,
    model: type,
    values: dict[str, Any] | list[dict[str, Any]],
    later: list[Callable[[], None]] | None = None,
) -> None:
    """Insert the row(s), or overwrite the non-key columns where the primary key exists.

    A row keyed by an id a device chose (a trade, a request) is only ever overwritten by its own
    child: the gateway refuses another child's id before deciding, and should one get this far the
    row keeps its owner and the write fails (:class:`OwnerMismatch`) instead. The statement is built
    once per table and backend (both speak ``ON CONFLICT … DO UPDATE``).

    ``later``: in a pipeline (``server.db.pipeline``), where the count of rows written is known only
    at its end, the check goes there (one row only: psycopg counts an ``executemany``'s last).
    """
    table: Table = model.__table__  # type: ignore[attr-defined]
    backend = db.dialect.name
    owned = _owned(model)
    # PostgreSQL counts the rows written from the driver's row count (psycopg pipelines the
    # executemany); RETURNING would make SQLAlchemy build one statement of a thousand rows, which
    # psycopg parses anew each time (a third of a batched push)
    returning = owned and backend != "postgresql"
    statement = _UPSERTS.get((backend, table.name))
    if statement is None:
        dialect = postgresql if backend == "postgresql" else sqlite
        keys = [column.name for column in table.primary_key]
        insert = dialect.insert(table)
        changes = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
        if owned:
            same_owner = (table.c.child_id == insert.excluded.child_id) & (
                table.c.family_id == insert.excluded.family_id
            )
            statement = insert.on_conflict_do_update(index_elements=keys, set_=changes, where=same_owner)
            if returning:
                # only the count of rows written is read: unordered RETURNING lets SQLAlchemy send
                # many rows per statement (in parameter order it sent one statement per trade, having
                # no sentinel column to sort by)
                statement = statement.returning(*table.primary_key.columns)
            else:
                statement = statement.execution_options(preserve_rowcount=True)
        else:
            statement = insert.on_conflict_do_update(index_elements=keys, set_=changes)
        _UPSERTS[(backend, table.name)] = statement
    result = db.execute(statement, values)
    if not owned:
        return
    if later is not None:
        assert not returning and (isinstance(values, dict) or len(values) == 1)
        cursor = result.context.cursor  # its count arrives when the pipeline's results do

        def written_once() -> None:
            if cursor.rowcount != 1:
                raise OwnerMismatch(table.name)

        later.append(written_once)
        return
    written = len(result.all()) if returning else result.rowcount
    if written != (len(values) if isinstance(values, list) else 1):
        raise OwnerMismatch(table.name)


@dataclass(frozen=True)
class Posting:
    """Who and what a set of effects belongs to, for the ledger's audit columns."""

    family_id: str
    child_id: str
    txn_id: str
    actor_id: str
    kind: str
    ref_id: str | None = None
    reason: str | None = None


def log_change(
    session: Session,
    family_id: str,
    audience: str | None,
    entity: str,
    entity_id: str,
    data: dict[str, Any] | None,
    now: datetime,
    op: str = "put",
) -> int:
    """Append one change-log row; returns its ``server_seq`` (the pull cursor)."""
    row = {
        "family_id": family_id,
        "audience": audience,
        "entity": entity,
        "entity_id": entity_id,
        "op": op,
        "data": data,
        "created_at": now,
    }
    return int(session.connection().execute(_LOG_INSERT, [row]).scalar_one())


def change_log_head(session: Session, family_id: str) -> int:
    """The family's newest change-log ``server_seq`` (0 for none)."""
    return session.connection().execute(_FAMILY_HEAD, {"family": family_id}).scalar() or 0


def _builtins(record: object) -> dict[str, Any]:
    data = msgspec.to_builtins(record)
    assert isinstance(data, dict)
    return data


def _totals(effects: Effects) -> dict[str, int]:
    """Each account's net change in ``effects``."""
    totals: dict[str, int] = {}
    for entry in effects.entries:
        totals[entry.account] = totals.get(entry.account, 0) + entry.amount
    return totals


def _balance_row(p: Posting, account: str, balance: int) -> dict[str, Any]:
    """A new ``balances`` row, with the account's ledger, unit and overdraft rule from its spec."""
    spec = account_spec(account)
    return {
        "child_id": p.child_id,
        "account": account,
        "family_id": p.family_id,
        "ledger": spec.ledger.value,
        "unit": spec.unit,
        "may_go_negative": spec.may_go_negative,
        "balance": balance,
    }


def _post_entries(session: Session, p: Posting, effects: Effects, now: datetime) -> dict[str, int]:
    if not effects.entries:
        return {}
    db = session.connection()
    db.execute(_ENTRY_INSERT, _entry_rows(p, effects, now))
    changed: dict[str, int] = {}
    for account, delta in _totals(effects).items():
        new = db.execute(_BALANCE_ADD, {"c": p.child_id, "a": account, "d": delta}).scalar()
        if new is None:  # the account's first posting
            new = delta
            db.execute(_BALANCES.insert(), _balance_row(p, account, new))
        changed[account] = int(new)
    return changed


def _record_row(p: Posting, record: object) -> tuple[type, dict[str, Any], tuple[str, str, dict[str, Any]]]:
    """The row that stores ``record`` (model, values) and its change-log (entity, id, data).

    House rules are versioned rows, not upserts: see :func:`_rules_row`.
    """
    fam, child = p.family_id, p.child_id
    if isinstance(record, Position):
        values = {
            "child_id": child,
            "symbol": record.symbol,
            "family_id": fam,
            "quantity": record.quantity,
            "cost": record.cost,
        }
        change = ("position", f"{child}:{record.symbol}", {"child_id": child, **_builtins(record)})
        return PositionRow, values, change
    if isinstance(record, Trade):
        data = _builtins(record)
        values = {
            "trade_id": record.trade_id,
            "family_id": fam,
            "child_id": child,
            "symbol": record.symbol,
            "status": record.status.value,
            "created_at": record.created_at,
            "data": data,
        }
        return TradeRow, values, ("trade", record.trade_id, data)
    if isinstance(record, Request):
        data = _builtins(record)
        values = {
            "request_id": record.request_id,
            "family_id": fam,
            "child_id": child,
            "status": record.status.value,
            "created_at": record.created_at,
            "data": data,
        }
        return RequestRow, values, ("request", record.request_id, data)
    if isinstance(record, Stats):
        values = {
            "child_id": child,
            "family_id": fam,
            "invested": record.invested,
            "realised": record.realised,
            "converted": record.converted,
        }
        return ChildState, values, ("stats", child, _builtins(record))
    raise TypeError(f"unknown record {type(record).__name__}")


def _rules_row(
    p: Posting, record: HouseRules, version: int, now: datetime
) -> tuple[dict[str, Any], tuple[str, str, dict[str, Any]]]:
    data = _builtins(record)
    values = {
        "child_id": p.child_id,
        "version": version,
        "family_id": p.family_id,
        "effective_at": now,
        "set_by": p.actor_id,
        "data": data,
    }
    return values, ("rules", p.child_id, {"child_id": p.child_id, "version": version, **data})


def _latest_rules_version(session: Session, child_id: str) -> int:
    return session.connection().execute(_NEWEST_RULES_VERSION, {"child": child_id}).scalar() or 0


def _post_record(
    session: Session, p: Posting, record: object, now: datetime
) -> tuple[str, str, dict[str, Any]]:
    """Store one record; returns its change-log (entity, id, data)."""
    if isinstance(record, HouseRules):
        values, change = _rules_row(p, record, _latest_rules_version(session, p.child_id) + 1, now)
        session.connection().execute(_RULES_INSERT, values)
        return change
    model, values, change = _record_row(p, record)
    _upsert(session.connection(), model, values)
    return change


Change = tuple[str, str, dict[str, Any]]
"""A change-log (entity, id, data)."""


def _insert_log(db: Connection, rows: list[dict[str, Any]], *, bulk: bool = False) -> list[int]:
    """Insert change-log rows in one go; their ``server_seq`` values, in the rows' order.

    ``bulk``: a push's many rows, which PostgreSQL receives as one ``COPY`` (a mutation's few go
    pipelined: ``COPY`` waits for one more round trip)."""
    if db.dialect.name == "postgresql":
        # the keys first (one small statement), then the rows with them, pipelined or copied:
        # RETURNING in order made SQLAlchemy build statements of a thousand rows that psycopg parsed
        # anew each time. The family's lock is held, so no other writer of this family takes keys
        # in between (as with the default).
        seqs = _log_keys(db, len(rows))
        _insert_keyed_log(db, rows, seqs, bulk=bulk)
        return seqs
    # SQLAlchemy keeps RETURNING in parameter order on SQLite only one row per statement (6,500
    # statements for a push of 1,000 trades). The write transaction holds SQLite's only write lock,
    # so nothing else inserts into the log meanwhile: the rows take consecutive keys, ending at the max.
    db.execute(_LOG_ROWS_INSERT, rows)
    last = int(db.execute(_LOG_LAST).scalar() or 0)
    return list(range(last - len(rows) + 1, last + 1))


def _log_keys(db: Connection, count: int) -> list[int]:
    """PostgreSQL: ``count`` new change-log keys, ascending (the family's lock is held)."""
    return sorted(int(s) for s in db.execute(_NEXT_LOG_SEQS, {"n": count}).scalars())


def _insert_keyed_log(db: Connection, rows: list[dict[str, Any]], seqs: list[int], *, bulk: bool) -> None:
    keyed = [{**row, "server_seq": seq} for row, seq in zip(rows, seqs, strict=True)]
    db.execute(_KEYED_LOG_INSERT, keyed, execution_options=_bulk(keyed) if bulk else {})


def _log_rows(p: Posting, changes: list[Change], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "family_id": p.family_id,
            "audience": p.child_id,
            "entity": entity,
            "entity_id": entity_id,
            "op": "put",
            "data": data,
            "created_at": now,
        }
        for entity, entity_id, data in changes
    ]


def _event_rows(p: Posting, effects: Effects, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "family_id": p.family_id,
            "child_id": p.child_id,
            "event": name,
            "payload": {**payload, "txn_id": p.txn_id, "actor_id": p.actor_id},
            "created_at": now,
        }
        for name, payload in effects.events
    ]


def _entry_rows(p: Posting, effects: Effects, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "family_id": p.family_id,
            "child_id": p.child_id,
            "txn_id": p.txn_id,
            "account": e.account,
            "amount": e.amount,
            "actor_id": p.actor_id,
            "kind": p.kind,
            "ref_id": p.ref_id,
            "reason": p.reason,
            "created_at": now,
        }
        for e in effects.entries
    ]


def post_effects(session: Session, p: Posting, effects: Effects, now: datetime) -> int | None:
    """Write ``effects``; returns the last change-log ``server_seq`` written (``None`` if nothing changed)."""
    changes: list[tuple[str, str, dict[str, Any]]] = [
        (
            "balance",
            f"{p.child_id}:{account}",
            {"child_id": p.child_id, "account": account, "balance": value},
        )
        for account, value in _post_entries(session, p, effects, now).items()
    ]
    changes += [_post_record(session, p, record, now) for record in effects.records]
    last: int | None = None
    if changes:
        last = max(_insert_log(session.connection(), _log_rows(p, changes, now)))
    if effects.events:
        session.connection().execute(_OUTBOX_INSERT, _event_rows(p, effects, now))
    return last


def post_server_action(
    session: Session, p: Posting, effects: Effects, now: datetime, inputs: dict[str, Any]
) -> None:
    """Write what the server decided on its own, and log it with the facts it read (``inputs``) in
    its place among the family's decisions, so a replay of the log decides it again."""
    last = post_effects(session, p, effects, now)
    session.add(
        ServerAction(
            txn_id=p.txn_id,
            family_id=p.family_id,
            child_id=p.child_id,
            kind=p.kind,
            ref_id=p.ref_id or "",
            server_seq=last,
            inputs=inputs,
            decided_at=now,
        )
    )


class WriteBehind:
    """A push's writes, held until the push ends and then written with one statement per table.

    Posting each mutation as it is decided costs about fifteen statements a trade; holding them
    costs none until :meth:`flush`, which writes ledger entries, records, change-log rows and
    events with one ``executemany`` each and every touched balance once, at its final value.
    That is safe because the push's books read every balance inside this transaction, under the
    family's write lock, and the CHECK constraints still refuse a balance that may not go
    negative. A flush that fails fails the whole push (the caller retries it mutation by mutation).
    """

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._balances: dict[tuple[str, str], dict[str, Any]] = {}
        self._records: dict[type, dict[tuple[Any, ...], dict[str, Any]]] = {}
        self._rules: list[dict[str, Any]] = []
        self._rule_versions: dict[str, int] = {}
        self._log: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._mutations: list[tuple[dict[str, Any], int | None, Any]] = []
        self._statements: list[tuple[Any, dict[str, Any]]] = []

    def add(self, session: Session, p: Posting, effects: Effects, now: datetime, balance: Any) -> int | None:
        """Hold ``effects``; ``balance(account)`` is the book's balance before them.

        Returns a placeholder for the mutation's last change-log row (its ``server_seq`` is known
        only after :meth:`flush`), or ``None`` if nothing changed.
        """
        balances: dict[tuple[str, str], dict[str, Any]] = {}
        changes: list[tuple[str, str, dict[str, Any]]] = []
        for account, delta in _totals(effects).items():
            value = balance(account) + delta
            balances[(p.child_id, account)] = _balance_row(p, account, value)
            data = {"child_id": p.child_id, "account": account, "balance": value}
            changes.append(("balance", f"{p.child_id}:{account}", data))
        records: list[tuple[type, dict[str, Any]]] = []
        rules: list[dict[str, Any]] = []
        for record in effects.records:
            if isinstance(record, HouseRules):
                version = self._rule_versions.get(p.child_id) or _latest_rules_version(session, p.child_id)
                values, change = _rules_row(p, record, version + 1, now)
                self._rule_versions[p.child_id] = version + 1
                rules.append(values)
            else:
                model, values, change = _record_row(p, record)
                records.append((model, values))
            changes.append(change)
        # everything above may raise; only now does the push's state change
        self._entries += _entry_rows(p, effects, now)
        self._balances.update(balances)
        for model, values in records:
            table: Table = model.__table__  # type: ignore[attr-defined]
            key = tuple(values[c.name] for c in table.primary_key)
            self._records.setdefault(model, {})[key] = values
        self._rules += rules
        self._log += _log_rows(p, changes, now)
        self._events += _event_rows(p, effects, now)
        return len(self._log) - 1 if changes else None

    def hold_mutation(self, row: dict[str, Any], placeholder: int | None, result: Any) -> None:
        """Hold the mutation's outcome row; ``result.server_seq`` is set when the log is written."""
        self._mutations.append((row, placeholder, result))

    def hold_statement(self, statement: Any, parameters: dict[str, Any]) -> None:
        """Hold a write of the caller's own (a device's cursor), executed with the others at the end;
        nothing reads its result."""
        self._statements.append((statement, parameters))

    def flush(self, session: Session) -> None:
        db = session.connection()
        if db.dialect.name != "postgresql" or not self._few():
            self._write(db, lambda: _insert_log(db, self._log, bulk=True) if self._log else [])
            return
        # a single push's few rows: the change log's keys first (its rows and the outcomes need
        # them), then every write in one pipeline (server.db.pipeline): one round trip under the
        # family's lock instead of nine
        seqs = _log_keys(db, len(self._log)) if self._log else []

        def log() -> list[int]:
            if self._log:
                _insert_keyed_log(db, self._log, seqs, bulk=False)
            return seqs

        with pipelined(db) as later:
            self._write(db, log, later)

    def _few(self) -> bool:
        """No table gets so many rows that it would go as ``COPY`` (not allowed in a pipeline), and
        each owned table (trades, requests) one row (its owner check counts the rows written)."""
        held = (self._entries, self._rules, self._log, self._events, self._mutations)
        return all(len(rows) < _COPY_FROM for rows in held) and all(
            len(rows) == 1 for model, rows in self._records.items() if _owned(model)
        )

    def _write(
        self,
        db: Connection,
        log: Callable[[], list[int]],
        later: list[Callable[[], None]] | None = None,
    ) -> None:
        """Every held write, in this order; ``log`` writes the change log and returns its keys."""
        for statement, parameters in self._statements:
            db.execute(statement, parameters)
        if self._entries:
            db.execute(_ENTRY_INSERT, self._entries, execution_options=_bulk(self._entries))
        if self._balances:
            _upsert(db, Balance, list(self._balances.values()), later)
        for model, rows in self._records.items():
            _upsert(db, model, list(rows.values()), later)
        if self._rules:
            db.execute(_RULES_INSERT, self._rules, execution_options=_bulk(self._rules))
        seqs = log()
        if self._events:
            db.execute(_OUTBOX_INSERT, self._events, execution_options=_bulk(self._events))
        if self._mutations:
            for row, placeholder, result in self._mutations:
                row["server_seq"] = result.server_seq = None if placeholder is None else seqs[placeholder]
            outcomes = [row for row, _, _ in self._mutations]
            db.execute(_MUTATION_INSERT, outcomes, execution_options=_bulk(outcomes))

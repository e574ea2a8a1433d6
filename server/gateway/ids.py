"""Ids a caller chooses: each belongs to one family and one child, and a clash touches nothing.

Devices make the ids of what they create (a trade, a request, a grant) and of their mutations, so
that offline screens can refer to them (sync.md, "Identities"). The tables keep trades, requests and
mutations under those ids alone, so an id already used by another child — of another family, or a
sibling — is refused (``ID_TAKEN``, the same answer as reusing one's own) instead of reaching
that child's object. Grant ids live in a family's ledger: they must be new in the family.

REST callers name their requests with an ``Idempotency-Key``; the mutation id is derived from the
caller and the key (:func:`rest_mutation_id`), so one caller's key never meets another's.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    any_,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from sync.policy import claimed_ids
from sync.protocol import Mutation, MutationResult

from ..db.models import LedgerEntry, MutationRow, RequestRow, TradeRow, User

__all__ = ["Claims", "Known", "rest_mutation_id"]

Known = tuple[str | None, str, str, MutationResult | None]
"""A processed mutation id: (family, user, arguments' hash, its outcome if decided in this transaction)."""

_KEYS = uuid.UUID("6f0c8a4e-3d2b-4f61-9a57-0e1d2c3b4a59")  # the namespace of REST mutation ids
_CHUNK = 500


def _among(column: InstrumentedAttribute[str], arrays: bool, ids: str) -> ColumnElement[bool]:
    """``column`` is one of the ids bound as ``ids``. PostgreSQL gets them as one array: an ``IN``
    of 500 parameters is rendered, and parsed by the server, anew for each push (a twentieth of one)."""
    if arrays:
        return column == any_(bindparam(ids, type_=ARRAY(String)))
    return column.in_(bindparam(ids, expanding=True))


def _statements(arrays: bool, ids: str = "ids") -> dict[str, Any]:
    """The lookups of every push, built once per kind of backend; ``ids`` names their ids' parameter."""
    return {
        "mutation": select(
            MutationRow.mutation_id, MutationRow.family_id, MutationRow.user_id, MutationRow.args_hash
        ).where(_among(MutationRow.mutation_id, arrays, ids)),
        "trade": select(TradeRow.trade_id, TradeRow.child_id).where(_among(TradeRow.trade_id, arrays, ids)),
        "request": select(RequestRow.request_id, RequestRow.child_id).where(
            _among(RequestRow.request_id, arrays, ids)
        ),
        # a grant: a reference in the family's ledger (one index lookup per child)
        "grant": select(LedgerEntry.ref_id, LedgerEntry.child_id).where(
            LedgerEntry.child_id.in_(
                select(User.id)
                .where(User.family_id == bindparam("family"), User.role == "child")
                .scalar_subquery()
            ),
            _among(LedgerEntry.ref_id, arrays, ids),
            LedgerEntry.kind == "family.grant",
        ),
    }


_BY_BACKEND = {arrays: _statements(arrays) for arrays in (False, True)}
_MUTATION = "mutation"  # the label of the mutation ids' rows in :func:`_together`


@functools.cache
def _together(arrays: bool, kinds: tuple[str, ...]) -> Any:
    """The mutation ids' lookup and each kind's in one statement (one per push instead of one per
    kind and one more), a row ``(label, id, …)`` each: the mutation's family, user and arguments'
    hash, or an id's child. Each kind's ids are bound as ``ids_<kind>``."""
    mutation = _statements(arrays)[_MUTATION]
    parts = [select(literal_column(f"'{_MUTATION}'"), *mutation.selected_columns).where(mutation.whereclause)]
    for kind in kinds:
        queries = _statements(arrays, f"ids_{kind}")
        query = queries.get(kind, queries["grant"])
        parts.append(
            select(literal_column(f"'{kind}'"), *query.selected_columns, null(), null()).where(
                query.whereclause
            )
        )
    return union_all(*parts) if kinds else parts[0]


def rest_mutation_id(user_id: str, key: str) -> str:
    """The mutation id of a REST call made with ``Idempotency-Key: key``: the same for the same
    caller and key, different for any other caller."""
    return str(uuid.uuid5(_KEYS, f"{user_id}\n{key}"))


class Claims:
    """Who holds each id the transaction's mutations create (looked up together, once).

    ``owner`` answers the child that holds an id (any family; for grants, this family), or ``None``
    when it is free; ids created earlier in the transaction count too.
    """

    def __init__(self, session: Session, family_id: str) -> None:
        self.session, self.family_id = session, family_id
        self._arrays = session.get_bind().dialect.name == "postgresql"
        self._queries = _BY_BACKEND[self._arrays]
        self._owners: dict[tuple[str, str], str | None] = {}
        self._mutations: dict[str, Known] = {}
        self._connection: Connection | None = None

    def _db(self) -> Connection:
        # the session's connection, asked for once: each ask walks the ORM's transaction state
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    def load(self, mutations: Iterable[Mutation]) -> None:
        """Look up every id ``mutations`` would create, and their mutation ids, in a few queries."""
        wanted: dict[str, set[str]] = {}
        mutation_ids = set()
        for m in mutations:
            mutation_ids.add(m.id)
            for _, kind, value in claimed_ids(m.name, m.args):
                if (kind, value) not in self._owners:
                    wanted.setdefault(kind, set()).add(value)
        fresh = sorted(mutation_ids - set(self._mutations))
        lists = {kind: sorted(values) for kind, values in sorted(wanted.items())}
        found: dict[str, dict[str, str]] = {kind: {} for kind in lists}
        statement = _together(self._arrays, tuple(lists))
        longest = max([len(fresh), *map(len, lists.values())])
        for start in range(0, longest, _CHUNK):
            params = {f"ids_{kind}": values[start : start + _CHUNK] for kind, values in lists.items()}
            params.update(ids=fresh[start : start + _CHUNK], family=self.family_id)
            for label, value, a, b, c in self._db().execute(statement, params):
                if label == _MUTATION:
                    self._mutations[value] = (a, b, c, None)
                elif value:
                    found[label][value] = a
        for kind, values in lists.items():
            for value in values:
                self._owners[(kind, value)] = found[kind].get(value)

    def _lookup(self, kind: str, values: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            query = self._queries.get(kind, self._queries["grant"])
            rows: Iterable[Any] = self._db().execute(query, {"ids": chunk, "family": self.family_id})
            found.update({value: child for value, child in rows if value})
        return found

    def new_ids(self, kind: str) -> list[str]:
        """The ids of ``kind`` the loaded mutations would create that nobody holds yet."""
        return [value for (k, value), owner in self._owners.items() if k == kind and owner is None]

    def clash(self, name: str, args: dict[str, object], child_id: str) -> dict[str, object] | None:
        """Why ``name`` may not create what it names for ``child_id`` (an id another child holds),
        as a rejection's detail; ``None`` when every id is free or the child's own (its own rules
        then say whether a repeat is allowed)."""
        for argument, kind, value in claimed_ids(name, dict(args)):
            if (kind, value) not in self._owners:
                self._owners[(kind, value)] = self._lookup(kind, [value]).get(value)
            owner = self._owners[(kind, value)]
            if owner is not None and owner != child_id:
                return {"field": argument, "why": "taken"}
        return None

    def claim(self, name: str, args: dict[str, object], child_id: str) -> None:
        """The mutation was applied: what it created is now ``child_id``'s."""
        for _, kind, value in claimed_ids(name, dict(args)):
            self._owners[(kind, value)] = child_id

    def mutation_owner(self, mutation_id: str) -> Known | None:
        """What is known of an already processed mutation with this id (see :data:`Known`)."""
        return self._mutations.get(mutation_id)

    def record_mutation(
        self, mutation_id: str, family_id: str, user_id: str, hashed: str, result: MutationResult
    ) -> None:
        """A mutation was just processed in this transaction (its row may still be held)."""
        self._mutations[mutation_id] = (family_id, user_id, hashed, result)

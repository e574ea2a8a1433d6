"""Invariants of a real client profile against the server (sync.md I1, I2, I11, I13)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from sqlalchemy import func, select

from client.runtime import Profile
from server.db import Database
from server.db.models import MutationAlias, MutationRow
from server.replication.pull import snapshot_of
from sync.book import MemoryBook
from sync.replica import Replica


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(msgspec.to_builtins(value), sort_keys=True))


def book_state(book: MemoryBook) -> dict[str, Any]:
    """What a screen can see of a book, zero balances and empty positions left out."""
    return _plain(
        {
            "balances": {k: v for k, v in book.balances.items() if v},
            "positions": {s: p for s, p in book.positions_.items() if p.quantity},
            "trades": book.trades,
            "requests": book.requests_,
            "stats": book.stats_,
            "rules": book.rules_,
        }
    )


def predicted_ids(profile: Profile) -> set[str]:
    """Trade and request ids present in the stored view ``v_entity`` (read back from disk)."""
    rows = profile.store.view_rows()
    return set(rows.get("trade", {})) | set(rows.get("request", {}))


def confirmed_ids(profile: Profile) -> set[str]:
    return set(profile.store.confirmed_entities("trade")) | set(profile.store.confirmed_entities("request"))


def check_i11(profile: Profile) -> None:
    """A queued trade or request is in the stored view; the view holds nothing else new."""
    queued = set()
    for p in profile.store.pending():
        for key in ("trade_id", "request_id"):
            if p.name.endswith(("place/v1", "request/v1")) and key in p.args and not p.at_risk:
                queued.add(p.args[key])
    view, confirmed = predicted_ids(profile), confirmed_ids(profile)
    assert queued <= view, f"queued but not shown: {queued - view}"
    assert view - confirmed <= queued, f"shown but neither queued nor confirmed: {view - confirmed - queued}"


def applied_count(db: Database, mutation_id: str) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(MutationRow).where(MutationRow.mutation_id == mutation_id)
            )
            or 0
        )


def check_converged(db: Database, profiles: list[Profile], created: dict[str, Profile]) -> None:
    """I1, I2, I13: queues empty, every mutation known once on the server and its outcome on its
    device, each device's confirmed state equal to the server's state for its scope, and v_* == c_*."""
    with db.read() as s:
        known = set(s.scalars(select(MutationRow.mutation_id))) | set(
            s.scalars(select(MutationAlias.mutation_id))
        )
        doubled = list(
            s.execute(
                select(MutationRow.mutation_id, func.count())
                .group_by(MutationRow.mutation_id)
                .having(func.count() > 1)
            )
        )
    assert not doubled, f"applied twice: {doubled[:3]}"
    assert set(created) <= known, f"lost mutations: {sorted(set(created) - known)[:5]}"
    for mutation_id, profile in created.items():
        outcomes = {o.mutation_id for o in profile.store.outcomes()}
        assert mutation_id in outcomes, f"{profile.identity.display_name} never learned {mutation_id}"
    for profile in profiles:
        me = profile.identity
        assert not profile.store.pending(), f"{me.client_id} still has queued work"
        confirmed = profile.store.confirmed()
        members = confirmed.table("member")
        children = (
            [me.user_id]
            if me.role == "child"
            else sorted(m["user_id"] for m in members.values() if m["role"] == "child")
        )
        with db.read() as s:
            changes = snapshot_of(s, me.family_id, children, [me.user_id] if me.role == "parent" else [])
        server = Replica()
        server.apply(changes, reset=True)
        for entity, rows in server.entities.items():
            if entity != "quote":
                mine, theirs = _plain(confirmed.table(entity)), _plain(rows)
                assert mine == theirs, (
                    f"{me.role} {entity} differs: only here {sorted(set(mine) - set(theirs))[:3]}, "
                    f"only on the server {sorted(set(theirs) - set(mine))[:3]}, changed "
                    f"{[(mine[k], theirs[k]) for k in set(mine) & set(theirs) if mine[k] != theirs[k]][:2]}"
                )
        view = profile.view()
        assert sorted(view.books) == sorted(children)
        for child in children:
            assert book_state(view.books[child]) == book_state(confirmed.book(child)), "v_* != c_*"
        # the view on disk (written row by row as it changed) reads back to the same books:
        # what a restarted app would show
        stored = profile.store.view_rows()
        assert set(stored) <= {"balance", "position", "trade", "request", "stats", "rules"}
        on_disk = Replica(entities={**stored, "member": members, "quote": confirmed.table("quote")})
        for child in children:
            assert book_state(on_disk.book(child)) == book_state(confirmed.book(child)), "stored v_* != c_*"

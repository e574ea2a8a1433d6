"""A mutation that can never be written never wedges its device's queue.

Text the database cannot store (a NUL in a reason, PostgreSQL's ``text`` refuses it) is refused by
the shared validation before anything is written, on every path; and any other failure that repeats
for one mutation is counted across pushes and across both ways a push writes (held to its end, or
one mutation at a time) until the mutation is recorded as ``rejected: INTERNAL`` and the queue
moves on.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import DataError

from server.game import writer
from server.gateway import record

from ..support.invariants import check_server
from ..support.world import World
from .homes import home_of


def _outcomes(answer: Any) -> list[tuple[str, str | None]]:
    assert answer.status_code == 200, answer.text
    return [(r["status"], r.get("code")) for r in answer.json()["results"]]


@pytest.mark.parametrize("text", ["a\u0000b", "line\u0007bell", "\u001b[31m", "   ", "\u3000\n"])
def test_text_the_database_cannot_store_or_a_person_cannot_read_is_invalid(world: World, text: str) -> None:
    home = home_of(world)
    kid = home.kid().actor.user_id
    bad = {"child_id": kid, "grant_id": "g-bad", "amount": 1_000, "reason": text}
    good = {"child_id": kid, "grant_id": "g-good", "amount": 2_000, "reason": "심부름\n고마워"}
    pushed = home.push(home.parent, ("family.grant/v1", bad), ("family.grant/v1", good))
    assert _outcomes(pushed) == [("rejected", "INVALID_ARGS"), ("applied", None)]
    rest = {"child_id": kid, "amount": 1_000, "reason": text}
    answer = home.rest(home.parent, "POST", "/api/family/grants", rest)
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_ARGS", answer.text
    assert home.balances(home.kid())["cash"] == 1_000_000 + 2_000
    check_server(world.db)


def _failing_writes(monkeypatch: pytest.MonkeyPatch, poison: str) -> None:
    """The database refuses every write that carries ``poison``'s ledger entries, on both paths."""

    def refuse() -> DataError:
        return DataError("INSERT INTO ledger_entries …", {}, ValueError("the database refused it"))

    held_flush = writer.WriteBehind.flush

    def flush(self: writer.WriteBehind, session: Any) -> None:
        if any(entry["ref_id"] == poison for entry in self._entries):
            raise refuse()
        held_flush(self, session)

    real_post = writer._post_entries

    def post(session: Any, p: writer.Posting, effects: Any, now: Any) -> Any:
        if p.ref_id == poison:
            raise refuse()
        return real_post(session, p, effects, now)

    monkeypatch.setattr(writer.WriteBehind, "flush", flush)
    monkeypatch.setattr(writer, "_post_entries", post)


def test_a_write_that_always_fails_becomes_a_rejection_and_the_queue_moves_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = home_of(world)
    kid = home.kid().actor.user_id
    _failing_writes(monkeypatch, "g-poison")
    grants = [
        ("family.grant/v1", {"child_id": kid, "grant_id": g, "amount": 1_000, "reason": "chores"})
        for g in ("g-before", "g-poison", "g-after")
    ]
    ids = ["m-before", "m-poison", "m-after"]
    first = home.push(home.parent, *grants, ids=ids)
    assert first.status_code == 503 and first.headers["Retry-After"], first.text
    assert first.json()["last_seq"] == 1  # what came before is kept; the failure was counted
    statuses = []
    for _retry in range(record.POISON_AFTER):
        answer = home.push(home.parent, *grants[1:], ids=ids[1:])
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            break
    assert statuses == [503] * (record.POISON_AFTER - 2) + [200]
    assert _outcomes(answer) == [("rejected", "INTERNAL"), ("applied", None)]
    assert home.balances(home.kid())["cash"] == 1_000_000 + 2_000
    check_server(world.db)

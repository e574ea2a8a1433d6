"""Group commit of a family's concurrent pushes on SQLite (``Database.write_together``).

The pushes that arrive while another write is under way share the next transaction: each in a
savepoint of its own, one commit for all, and every push answered only after that commit. Here a
blocking work holds a group open until the pushes under test have all queued behind it, so they are
written as one group whatever the threads' timing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db import TemporaryFailure
from server.db.models import ChangeLog, MutationRow, Outbox
from server.game.writer import WriteBehind
from server.live import commits
from server.live.hub import FamilyEvent
from sync.records import Role

from ..support.device import Device
from ..support.invariants import check_server
from ..support.world import World
from .test_scenarios import applied_once, buy, cash, raw_push, wire

KIDS = ("Jiu", "Minho", "Seoyeon", "Hana")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)  # SQLite: PostgreSQL keeps one transaction per push (the family row lock)
    yield w
    w.close()
    w.db.dispose()


def kids(world: World) -> tuple[str, dict[str, Device]]:
    """One family, a child per name on a device of their own, each with one buy queued."""
    family = world.family()
    devices: dict[str, Device] = {}
    for name in KIDS:
        child = world.member(family, Role.CHILD, name)
        devices[child.user_id] = world.device(child, name)
        devices[child.user_id].sync()
    for device in devices.values():
        buy(device, world)
    return family, devices


@contextmanager
def one_group(world: World, pushes: int) -> Iterator[None]:
    """The body's ``pushes`` requests wait behind a group held open; they are then written as one."""
    together = world.db.together
    busy, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=together.run, args=(lambda _s: (busy.set(), release.wait(30)),))
    holder.start()
    assert busy.wait(30)
    try:
        yield
        deadline = time.monotonic() + 60
        while together.queued < pushes and time.monotonic() < deadline:
            time.sleep(0.005)
        assert together.queued == pushes
    finally:
        release.set()
        holder.join(30)


def pushed_at_once(world: World, devices: list[Device]) -> dict[str, httpx.Response]:
    answers: dict[str, httpx.Response] = {}

    def send(device: Device) -> None:
        answers[device.client_id] = raw_push(world, device, wire(device))

    threads = [threading.Thread(target=send, args=(d,)) for d in devices]
    with one_group(world, len(devices)):
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def seen_by_live(monkeypatch: pytest.MonkeyPatch) -> list[FamilyEvent]:
    """What the live channel publishes from now on (it publishes after a commit, at check-in)."""
    published: list[FamilyEvent] = []
    real_events = commits.events

    def events(rows: list[Any]) -> list[FamilyEvent]:
        made = real_events(rows)
        published.extend(made)
        return made

    monkeypatch.setattr(commits, "events", events)
    return published


def logged(world: World, family: str, after: int = 0) -> list[tuple[int, str | None]]:
    """The family's change log: (server_seq, audience) in order."""
    with world.db.read() as s:
        rows = s.execute(
            select(ChangeLog.server_seq, ChangeLog.audience)
            .where(ChangeLog.family_id == family, ChangeLog.server_seq > after)
            .order_by(ChangeLog.server_seq)
        )
        return [(seq, audience) for seq, audience in rows]


def test_concurrent_pushes_of_one_family_land_in_one_commit_in_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    family, devices = kids(world)
    events = seen_by_live(monkeypatch)
    head = logged(world, family)[-1][0]
    groups = world.db.together.groups
    answers = pushed_at_once(world, list(devices.values()))
    assert world.db.together.groups == groups + 2  # the held group, then the four pushes in one
    assert all(a.status_code == 200 for a in answers.values()), [a.text for a in answers.values()]
    results = [a.json()["results"][0] for a in answers.values()]
    assert [r["status"] for r in results] == ["applied"] * len(KIDS)
    for child_id in devices:
        assert cash(world, child_id) == 1_000_000 - 70_000
    # the pushes' change-log rows come one push after the other, each ending at its server_seq
    runs: list[tuple[str | None, int]] = []
    for seq, audience in logged(world, family, after=head):
        if runs and runs[-1][0] == audience:
            runs[-1] = (audience, seq)
        else:
            runs.append((audience, seq))
    ends = {r["server_seq"] for r in results}
    assert sorted(ends) == [seq for _audience, seq in runs] and {a for a, _seq in runs} == set(devices)
    assert {e.family_id for e in events} == {family}
    assert set(devices) <= {a for e in events for a in e.audiences}
    # the notification each trade queued names the request that made it (run by another thread)
    with world.db.read() as s:
        rows = s.execute(select(Outbox.child_id, Outbox.request_id).where(Outbox.family_id == family))
        queued = {child_id: request_id for child_id, request_id in rows}
    assert queued == {c: answers[d.client_id].headers["X-Request-ID"] for c, d in devices.items()}
    check_server(world.db)
    for device in devices.values():
        device.sync()
        assert device.state.pending == []


def test_a_push_failing_in_the_group_changes_nothing_and_the_others_commit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    family, devices = kids(world)
    bad, *good = devices
    mutation_id = devices[bad].state.pending[0].mutation_id
    real_flush = WriteBehind.flush

    def flush_then_fail(self: WriteBehind, session: Session) -> Any:
        written = real_flush(self, session)  # the push's rows are in the transaction now
        if any(child == bad for child, _account in self._balances):
            raise TemporaryFailure("database is locked")
        return written

    monkeypatch.setattr(WriteBehind, "flush", flush_then_fail)
    events = seen_by_live(monkeypatch)
    answers = pushed_at_once(world, list(devices.values()))
    assert answers[devices[bad].client_id].status_code == 503
    assert all(answers[devices[g].client_id].status_code == 200 for g in good)
    assert cash(world, bad) == 1_000_000
    assert all(cash(world, g) == 1_000_000 - 70_000 for g in good)
    with world.db.read() as s:
        assert s.scalar(select(func.count()).where(MutationRow.mutation_id == mutation_id)) == 0
    audiences = {a for e in events for a in e.audiences}
    assert set(good) <= audiences and bad not in audiences
    monkeypatch.setattr(WriteBehind, "flush", real_flush)
    devices[bad].sync()
    applied_once(world, mutation_id)
    assert cash(world, bad) == 1_000_000 - 70_000
    check_server(world.db)


def test_a_failed_group_commit_fails_every_push_in_it_and_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    family, devices = kids(world)
    ids = [d.state.pending[0].mutation_id for d in devices.values()]
    dialect = world.db.engine.dialect
    real_commit: Callable[[Any], None] = dialect.do_commit

    def refused(dbapi_connection: Any) -> None:
        # the commit that would store these pushes is refused, as a busy database refuses one
        stored = dbapi_connection.execute(
            "SELECT count(*) FROM mutations WHERE mutation_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        if stored.fetchone()[0]:
            raise sqlite3.OperationalError("database is locked")
        real_commit(dbapi_connection)

    monkeypatch.setattr(dialect, "do_commit", refused)
    events = seen_by_live(monkeypatch)
    head = logged(world, family)
    answers = pushed_at_once(world, list(devices.values()))
    assert [a.status_code for a in answers.values()] == [503] * len(KIDS)
    assert all(a.headers["Retry-After"] for a in answers.values())
    assert logged(world, family) == head
    assert all(cash(world, child_id) == 1_000_000 for child_id in devices)
    assert not any(e.family_id == family for e in events)  # no device is poked for nothing
    monkeypatch.setattr(dialect, "do_commit", real_commit)
    for device in devices.values():
        device.sync()
    for mutation_id in ids:
        applied_once(world, mutation_id)
    check_server(world.db)

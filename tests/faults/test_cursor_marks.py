"""Cursor marks (protocol 3): a device proves its pull cursor with the mark the server answered it
with, so pulls that only see the family's log move on write nothing; a device of protocol 2 (or one
with no mark yet) is still checked against the cursors the server recorded serving it. A server
restored from a backup is found out either way (tests/ops/test_restore_drill.py, both protocols)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server.db.models import Device as DeviceRow
from sync.records import Role

from ..support.device import Device
from ..support.invariants import check_converged
from ..support.world import World
from .test_scenarios import SAMSUNG, buy


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path, database_url)
    yield made
    made.close()


def _served(world: World, device: Device) -> int:
    with world.db.read() as session:
        return int(
            session.scalar(select(DeviceRow.served_cursor).where(DeviceRow.client_id == device.client_id))
        )


def test_a_marked_cursor_is_proved_by_its_mark_and_an_unmarked_one_by_the_record(world: World) -> None:
    family = world.family()
    jiu = world.member(family, Role.CHILD, "Jiu")
    tablet, old_phone = world.device(jiu, "tablet"), world.device(jiu, "old-phone")
    old_phone.protocol = 2  # an app of the release before marks
    quote = world.quote(SAMSUNG, 70_000)
    for device in (tablet, old_phone):
        device.sync()
    first = _served(world, tablet)
    trades = [buy(device, world, quote=quote) for device in (tablet, old_phone, tablet)]
    for _ in range(2):
        for device in (tablet, old_phone):
            device.sync()
    assert tablet.state.cursor_mark is not None and old_phone.state.cursor_mark is None
    # the tablet's cursor moved on without a record of it (within the minute of its first pull) …
    assert tablet.state.cursor > first and _served(world, tablet) == first
    # … and the old phone's cursor was recorded as it was served
    assert _served(world, old_phone) == old_phone.state.cursor
    assert tablet.state.resets == old_phone.state.resets == 1  # only their first pull was a snapshot
    check_converged(world.db, [tablet, old_phone], set(trades))


def test_a_mark_the_server_never_gave_brings_a_fresh_copy(world: World) -> None:
    family = world.family()
    jiu = world.member(family, Role.CHILD, "Jiu")
    tablet = world.device(jiu, "tablet")
    bought = buy(tablet, world, quote=world.quote(SAMSUNG, 70_000))
    tablet.sync()
    tablet.state.cursor_mark = "0"  # not the mark of the row at its cursor (a restored server's view)
    tablet.sync()
    assert tablet.state.resets == 2
    assert tablet.state.cursor_mark not in (None, "0")
    check_converged(world.db, [tablet], {bought})

"""Reads that show a device its quotes take no write lock unless a quote is new to the device, and the
record of what a device was shown still decides its fills ("the newest quote served", domain.md).

Every pull and price GET used to open a write transaction (one fsync, the process's write lock, on
PostgreSQL the family's row) just to record quotes the device already had; under a busy evening's
reads they queued behind pushes. Each test runs on SQLite and PostgreSQL through the real app.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app

from ..support.device import Device
from ..support.world import World
from .test_scenarios import family

SAMSUNG = "005930.KS"
PRICE = f"/api/market/stocks/{SAMSUNG}/price"


@contextmanager
def counted_writes(world: World) -> Iterator[list[float]]:
    """Every write transaction the server opens meanwhile (its seconds held), on any thread."""
    held: list[float] = []

    def observe(_waited: float, seconds: float) -> None:
        held.append(seconds)

    world.db.write_observers.append(observe)
    try:
        yield held
    finally:
        world.db.write_observers.remove(observe)


def price(client: TestClient[Any], device: Device) -> dict[str, Any]:
    answer = client.get(PRICE, headers=device.headers())
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def buy(client: TestClient[Any], device: Device, seq: int, quote: dict[str, Any]) -> dict[str, Any]:
    args = {"trade_id": f"{device.client_id}-t{seq}", "side": "buy", "symbol": SAMSUNG, "quantity": 1_000_000}
    mutation = {
        "seq": seq,
        "id": f"{device.client_id}-{seq}",
        "name": "trade.place/v1",
        "args": {**args, "quote_id": quote["quote_id"], "price": quote["price"]},
    }
    body = {"protocol": 1, "client_id": device.client_id, "mutations": [mutation]}
    answer = client.post("/api/sync/push", json=body, headers=device.headers())
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    return dict(result)


def test_a_pull_or_price_with_nothing_new_to_serve_writes_nothing(world: World) -> None:
    _child, (kid,) = family(world)
    world.quote(SAMSUNG, 70_000)
    kid.pull()  # served the quote: this pull writes the record
    price(world.client, kid)  # the first GET of a symbol may start watching it
    with counted_writes(world) as writes:
        for _ in range(3):
            kid.pull()
            assert price(world.client, kid)["price"] == 70_000
    assert writes == []
    world.quote(SAMSUNG, 71_000)
    with counted_writes(world) as writes:
        assert price(world.client, kid)["price"] == 71_000  # new to the device: recorded, once
        kid.pull()  # the GET served it already: nothing to record
        assert price(world.client, kid)["price"] == 71_000
    assert len(writes) == 1


def test_a_held_write_lock_does_not_hold_up_reads(world: World) -> None:
    """A long push holds the write lock (SQLite: the process's; PostgreSQL: the family's row) while the
    family's other devices pull and ask prices they already have: they answer meanwhile."""
    child, (kid,) = family(world)
    world.quote(SAMSUNG, 70_000)
    kid.pull()
    price(world.client, kid)
    writing, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with world.db.write(kid.actor.family_id):
            writing.set()
            release.wait(30)

    writer = threading.Thread(target=long_write)
    writer.start()
    read: list[int] = []

    def reads() -> None:
        kid.pull()
        read.append(price(world.client, kid)["price"])

    reader = threading.Thread(target=reads)
    try:
        assert writing.wait(10)
        reader.start()
        reader.join(10)
        assert read == [70_000], "the reads waited for the writer"
    finally:
        release.set()
        writer.join()
        reader.join()


@pytest.fixture
def other_process(world: World) -> Iterator[TestClient[Any]]:
    """A second server on the same database (another process's app: nothing in memory shared)."""
    app = create_app(world.settings, clock=world.clock)
    app.state.market_clock = world.market
    with TestClient(app) as client:
        yield client


def test_the_quote_a_device_was_shown_is_honoured_at_fill_by_another_server(
    world: World, other_process: TestClient[Any]
) -> None:
    """Shown 69,000 by one server, a newer price arrives that the device was not shown: the push,
    taken by another server, fills at the price the child saw. Once shown the newer price, citing
    the older one is cherry-picking: it fills at the newest price served."""
    _child, (kid,) = family(world)
    world.quote(SAMSUNG, 69_000)
    shown = price(world.client, kid)
    world.quote(SAMSUNG, 70_000)
    first = buy(other_process, kid, 1, shown)
    assert (first["status"], first["detail"]["fill_price"]) == ("applied", 69_000)

    newer = price(world.client, kid)
    assert newer["price"] == 70_000
    again = price(world.client, kid)  # nothing new: no write, and the record stands
    assert again["quote_id"] == newer["quote_id"]
    cherry = buy(other_process, kid, 2, shown)
    assert (cherry["status"], cherry["detail"]["fill_price"]) == ("adjusted", 70_000)
    fair = buy(other_process, kid, 3, again)
    assert (fair["status"], fair["detail"]["fill_price"]) == ("applied", 70_000)


def test_reads_that_queue_behind_a_write_record_what_they_served_together(world: World) -> None:
    """Six devices ask a price that is new to each while another read's record is being written: each
    answers once its own record has committed, the six share one write transaction (group commit),
    and each device's record then decides its fill."""
    _child, kids = family(world, devices=6)
    world.quote(SAMSUNG, 70_000)
    shown = {kid.client_id: price(world.client, kid) for kid in kids}
    world.quote(SAMSUNG, 71_000)  # new to every device
    writing, release = threading.Event(), threading.Event()

    def slow_record(_session: Any) -> None:
        writing.set()
        release.wait(30)

    def long_write() -> None:
        world.db.grouped.run(slow_record)

    answered: dict[str, int] = {}

    def ask(kid: Device) -> None:
        answered[kid.client_id] = price(world.client, kid)["price"]

    writer = threading.Thread(target=long_write)
    readers = [threading.Thread(target=ask, args=(kid,)) for kid in kids]
    with counted_writes(world) as writes:
        writer.start()
        assert writing.wait(10)
        for reader in readers:
            reader.start()
        time.sleep(0.5)  # every reader is waiting for its record to commit: none has answered
        assert answered == {}
        release.set()
        writer.join()
        for reader in readers:
            reader.join(10)
    assert answered == {kid.client_id: 71_000 for kid in kids}
    assert len(writes) == 2, "the six records were not written together"  # the slow one's, then theirs
    for kid in kids:
        cited = buy(world.client, kid, 1, shown[kid.client_id])  # the older price, once shown 71,000
        assert (cited["status"], cited["detail"]["fill_price"]) == ("adjusted", 71_000)

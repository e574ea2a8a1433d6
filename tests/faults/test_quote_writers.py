"""Two server processes on one PostgreSQL database record quotes at the same moment (both refreshers
pass, or both start on a fresh database and record the bundled exchange rate): the quotes they record
stay one sequence, and a price both saw is recorded once.

A quote's seq is the highest so far plus one, read inside the recording transaction. Without a lock
between recorders both took the same seq, and a device's pull that was served both answered HTTP 500
(its record of served quotes upserted one row twice). On SQLite one writer at a time already makes the
recordings take turns, so these tests run on PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.models import QuoteRow
from server.market.providers.base import ProviderQuote
from server.market.watch import record_answers

from ..support.world import World
from .test_scenarios import family
from .test_served_quotes import SAMSUNG, price


def record_at_once(world: World, first: ProviderQuote, second: ProviderQuote) -> None:
    """``first`` and ``second`` recorded as two processes' refreshers would: the second starts while
    the first's transaction is still open, and the first waits (a moment) for it before committing."""
    started, second_recorded = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def one() -> None:
        with Session(world.db.engine) as session:
            record_answers(session, [first], world.clock())
            started.set()
            second_recorded.wait(1.0)  # with the lock the second cannot record until this commits
            session.commit()

    def two() -> None:
        started.wait(10)
        with Session(world.db.engine) as session:
            record_answers(session, [second], world.clock())
            second_recorded.set()
            session.commit()

    def guarded(work: Callable[[], None]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

        return threading.Thread(target=run)

    threads = [guarded(one), guarded(two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def quotes_of(world: World, symbol: str) -> list[tuple[int, int]]:
    with world.db.read() as session:
        rows = session.execute(select(QuoteRow.seq, QuoteRow.price).where(QuoteRow.symbol == symbol))
        return sorted((seq, price) for seq, price in rows)


@pytest.fixture
def postgres(world: World) -> World:
    if world.db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: two recordings cannot overlap")
    return world


def test_two_recorders_of_a_new_price_at_once_record_it_once(postgres: World) -> None:
    world = postgres
    _child, (kid,) = family(world)
    world.quote(SAMSUNG, 70_000)
    kid.pull()
    seen = ProviderQuote(SAMSUNG, 71_000, world.clock(), "yahoo")
    record_at_once(world, seen, seen)
    assert [p for _seq, p in quotes_of(world, SAMSUNG)] == [70_000, 71_000]

    kid.pull()
    assert price(world.client, kid)["price"] == 71_000


def test_two_recorders_of_different_prices_at_once_take_turns_in_seq(postgres: World) -> None:
    world = postgres
    _child, (kid,) = family(world)
    world.quote(SAMSUNG, 70_000)
    kid.pull()
    at: datetime = world.clock()
    one, two = (ProviderQuote(SAMSUNG, p, at, "yahoo") for p in (71_000, 72_000))
    record_at_once(world, one, two)
    recorded = quotes_of(world, SAMSUNG)
    assert [p for _seq, p in recorded] == [70_000, 71_000, 72_000]
    assert len({seq for seq, _p in recorded}) == 3  # no two quotes share a seq
    with world.db.read() as session:
        top = session.scalar(select(func.max(QuoteRow.seq)))
    assert recorded[-1][0] == top

    kid.pull()  # answered 500 when two quotes of one symbol shared a seq and both were served
    assert price(world.client, kid)["price"] == 72_000  # the later recording is the newest

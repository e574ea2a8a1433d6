"""A symbol's first price, made on the request that first names it.

Every symbol in the directory (or the bundled history) can be priced and traded from the first
request: the price, the stock page, the chart, a live subscription, an order and an operator's
backfill each hand their symbols to :meth:`Pricer.ensure`, which watches them (:mod:`.watch`) and,
for a symbol without any quote yet, asks the provider chain right then — Yahoo when live, awaited at
most a moment (:data:`FIRST_QUOTE_WAIT`), else what was stored, the bundled history replay, the
labelled simulation. From then on the background refresher keeps the symbol fresh.

A symbol found watched and quoted is remembered for the process (neither is ever undone), so the
next request for it costs nothing: no read, and no write unless something was missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from litestar.datastructures import State
from litestar.di import Provide

from sync.market import currency_of
from sync.protocol import Mutation

from ..db import Database
from .fx import refresh_fx
from .history import resolve_symbol
from .providers import FX_SYMBOL, ProviderChain
from .quotes import latest_quotes
from .refresher import provide_market_chain
from .watch import record_answers, watch, watched_among

__all__ = ["FIRST_QUOTE_WAIT", "PRICER", "Pricer", "order_symbols", "provide_pricer"]

FIRST_QUOTE_WAIT = 1.5  # seconds a request waits on Yahoo for a first price before falling back


class Pricer:
    """Makes symbols watched and priced (see the module doc); one per server process."""

    def __init__(
        self, db: Database, chain: Callable[[], ProviderChain], *, wait: float = FIRST_QUOTE_WAIT
    ) -> None:
        self.db, self._chain, self.wait = db, chain, wait
        self._ready: set[str] = set()  # watched and quoted: nothing left to do for them
        self._write = threading.Lock()  # one first quote per symbol from this process, not two

    def ensure(self, symbols: Iterable[str], now: datetime) -> None:
        """Watch the known ones among ``symbols`` (tickers or KRX codes; others are left alone) and
        give each a first quote if it has none; a US symbol also gets the USD/KRW rate it trades at."""
        known = {ticker for s in symbols if (ticker := resolve_symbol(s)) is not None}
        if any(currency_of(s) == "USD" for s in known):
            known.add(FX_SYMBOL)
        todo = sorted(known - self._ready)
        if not todo:
            return
        with self.db.read() as session:
            watched = watched_among(session, todo) | {FX_SYMBOL}
            quoted = set(latest_quotes(session, todo))
        chain = self._chain().bounded(self.wait)
        # the rate: the provider's (Yahoo's, or the replayed day's), else the bundled ECB one
        if FX_SYMBOL in todo and FX_SYMBOL not in quoted and refresh_fx(self.db, now, chain) is not None:
            quoted.add(FX_SYMBOL)
        unquoted = [s for s in todo if s not in quoted and s != FX_SYMBOL]
        answers = chain.quotes(unquoted, now) if unquoted else {}
        unwatched = [s for s in todo if s not in watched]
        if unwatched or answers:
            with self._write, self.db.write() as session:
                watch(session, unwatched, now)
                record_answers(session, answers.values(), now, chain.calendars)
        # a symbol the chain could not price yet (a company not listed on the replay date) is
        # watched, and asked again next time and by every refresh until it has a price
        self._ready.update(s for s in todo if s in quoted or s in answers)


_providing = threading.Lock()


def provide_pricer(state: State) -> Pricer:
    """DI provider: the app's pricer over its provider chain (built on first use)."""
    with _providing:
        pricer = state.get("market_pricer")
        if pricer is None:
            pricer = state.market_pricer = Pricer(state.db, lambda: provide_market_chain(state))
    return pricer


PRICER = {"market_pricer": Provide(provide_pricer, sync_to_thread=False)}  # a route's dependencies


def order_symbols(mutations: Iterable[Mutation]) -> list[str]:
    """The symbols a push's orders name (``trade.place/v1``), to price before it is decided."""
    return [
        m.args["symbol"]
        for m in mutations
        if m.name == "trade.place/v1" and isinstance(m.args.get("symbol"), str)
    ]

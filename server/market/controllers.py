"""Market routes: the latest quote of a symbol (recorded as served to the device), symbol search,
the directory entry of a symbol, its chart, the markets' status and the USD/KRW rate.

A symbol's price, page and chart make it watched and give it a first quote (:mod:`.pricer`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter

from sync.errors import Code
from sync.market import market_of

from ..auth.middleware import STANDING_IN_HANDLER, confirm_standing
from ..db import Database
from ..db import utcnow as _now
from ..errors import DomainError
from ..payment.subscriptions import LONG_RANGES, premium
from ..principal import Principal
from ..problems import documented
from ..settings import Settings
from ..wire import NO_CONTROL
from .actions import trading_ended
from .calendar import MarketCalendars
from .clock import MarketClock, provide_market_clock
from .directory import directory, entry_json, match_json
from .fx import fx_json, refresh_fx
from .history import RangeName, history_for, resolve_symbol
from .news import NewsDesk, provide_news_desk
from .pricer import PRICER, Pricer
from .providers import ProviderChain
from .quotes import FX_SYMBOL, latest_quotes, newest_for_device, record_served
from .refresher import provide_market_chain
from .schemas import FxOut, HistoryOut, NewsItemOut, NewsOut, PriceOut, SearchOut, StatusOut, StockOut
from .status import market_status

__all__ = ["ROUTES"]

# a ticker (005930.KS, AAPL, BRK-B, ^KS11) or a KRX code; anything else is simply not found
Symbol = Annotated[str, PathParameter(pattern=NO_CONTROL, min_length=1, max_length=20)]
_UNKNOWN = documented(404)  # a symbol the directory or the quote cache does not know


def _typed(value: dict[str, Any], shape: type[Any]) -> Any:
    """A service's dict as its wire struct: the OpenAPI document states exactly what is sent."""
    return msgspec.convert(value, shape, strict=False)


@get(
    "/api/market/stocks/{symbol:str}/price",
    operation_id="getPrice",
    sync_to_thread=True,
    tags=["market"],
    responses=_UNKNOWN,
    dependencies={"market_clock": Provide(provide_market_clock, sync_to_thread=False), **PRICER},
    opt={STANDING_IN_HANDLER: True},
)
def price(
    request: Request[Principal, Any, Any],
    symbol: Symbol,
    db: NamedDependency[Database],
    clock: NamedDependency[Callable[[], datetime]],
    market_clock: NamedDependency[MarketClock],
    market_pricer: NamedDependency[Pricer],
) -> PriceOut:
    """The newest quote of ``symbol`` (a ticker, or a KRX code); the device may cite it in an order.

    A directory symbol without a quote yet gets its first one now (and is watched from now on)."""
    principal = confirm_standing(request)  # first: the bearer check's database half (STANDING_IN_HANDLER)
    ticker = resolve_symbol(symbol) or symbol
    market_pricer.ensure([ticker], clock())
    device = principal.client_id if principal.family_id is not None else None
    quote, fresh = newest_for_device(db, ticker, device)
    if fresh and device is not None and quote is not None:
        record_served(db, {device: [quote]})  # only a quote new to the device is written, before it sees it
    if quote is None:
        raise DomainError(Code.SYMBOL_UNKNOWN, "no price for this symbol")
    return PriceOut(
        quote_id=quote.quote_id,
        symbol=quote.symbol,
        price=quote.price,
        currency=quote.currency,
        as_of=quote.as_of,
        source=quote.source,
        market_state="open" if market_clock.is_open(market_of(quote.symbol), _now()) else "closed",
    )


@get("/api/market/search", operation_id="searchSymbols", sync_to_thread=False, tags=["market"])
def search_symbols(
    keyword: Annotated[str, QueryParameter(pattern=NO_CONTROL, max_length=100)] = "",
    limit: Annotated[int, QueryParameter(ge=1, le=50)] = 20,  # "삼성" has 13 listings
) -> SearchOut:
    """Ranked matches for ``keyword``: ticker, code, Korean name, initial consonants, English, aliases."""
    found = {"keyword": keyword, "results": [match_json(m) for m in directory().search(keyword, limit)]}
    return _typed(found, SearchOut)  # type: ignore[no-any-return]


@get(
    "/api/market/stocks/{symbol:str}",
    operation_id="getStock",
    sync_to_thread=True,
    tags=["market"],
    responses=_UNKNOWN,
    dependencies=PRICER,
)
def stock(
    symbol: Symbol,
    clock: NamedDependency[Callable[[], datetime]],
    market_pricer: NamedDependency[Pricer],
) -> StockOut:
    """The directory entry of ``symbol`` (a ticker such as ``005930.KS`` or ``AAPL``, or a KRX code);
    the stock is priced and watched from now on, so the device's next pull brings its quote."""
    entry = directory().get(symbol)
    if entry is None:
        raise DomainError(Code.SYMBOL_UNKNOWN, "this symbol is not in the directory")
    market_pricer.ensure([entry.symbol], clock())
    return _typed(entry_json(entry), StockOut)  # type: ignore[no-any-return]


@get("/api/market/status", operation_id="getMarketStatus", sync_to_thread=True, tags=["market"])
def status(
    request: Request[Principal, Any, Any], clock: NamedDependency[Callable[[], datetime]]
) -> StatusOut:
    """Per market: open or closed by the real calendars, the next open and close, provider health."""
    state = request.app.state
    calendars = state.get("market_clock")
    if not isinstance(calendars, MarketCalendars):  # a test's fixed clock has no sessions to show
        calendars = provide_market_chain(state).calendars
    found = market_status(calendars, clock(), state.get("market_provider"))
    return _typed(found, StatusOut)  # type: ignore[no-any-return]


@get(
    "/api/market/fx/USDKRW",
    operation_id="getFxRate",
    sync_to_thread=True,
    tags=["market"],
    responses=_UNKNOWN,
)
def fx_rate(db: NamedDependency[Database], clock: NamedDependency[Callable[[], datetime]]) -> FxOut:
    """The USD/KRW quote US fills use now: the provider's, else the bundled ECB rate (source, date)."""
    with db.read() as session:
        quote = latest_quotes(session, [FX_SYMBOL]).get(FX_SYMBOL)
    if quote is None:  # nothing stored yet (a fresh offline server): the bundled rate, recorded once
        quote = refresh_fx(db, clock())
    if quote is None:
        raise DomainError(Code.QUOTE_UNKNOWN, "no exchange rate is known")
    return _typed(fx_json(quote), FxOut)  # type: ignore[no-any-return]


@get(
    "/api/market/stocks/{symbol:str}/history",
    operation_id="getPriceHistory",
    sync_to_thread=True,
    tags=["market"],
    responses=_UNKNOWN,
    dependencies={"market_chain": Provide(provide_market_chain, sync_to_thread=True), **PRICER},
)
def price_history(
    request: Request[Principal, Any, Any],
    symbol: Symbol,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Callable[[], datetime]],
    market_chain: NamedDependency[ProviderChain],
    market_pricer: NamedDependency[Pricer],
    period: Annotated[RangeName, QueryParameter(name="range")] = "1M",
) -> HistoryOut:
    """Daily bars of ``symbol`` over ``range`` (1W–1Y; weekly bars for 5Y and max), ending at the date
    the family is at (today, or the replay date), each range labelled with the source of its bars;
    ``ended`` when the stock trades no more (delisted, or past its bundled history in replay). On the
    hosted service, 5Y and max are premium: without it the answer is the 1Y range (and says so)."""
    known = resolve_symbol(symbol)
    if known is None:
        raise DomainError(Code.SYMBOL_UNKNOWN, "this symbol is not in the directory")
    now = clock()
    if period in LONG_RANGES and not premium(db, settings, request.user.family_id, now):
        period = "1Y"
    market_pricer.ensure([known], now)
    answer = history_for(db, market_chain, known, period, now)
    ended = trading_ended(db, market_chain, known, now)
    if ended is not None:
        answer["ended"] = {"kind": ended[0], "last_session": ended[1].isoformat()}
    return _typed(answer, HistoryOut)  # type: ignore[no-any-return]


@get(
    "/api/market/stocks/{symbol:str}/news",
    operation_id="getStockNews",
    sync_to_thread=True,
    tags=["market"],
    responses=_UNKNOWN,
    dependencies={
        "market_chain": Provide(provide_market_chain, sync_to_thread=True),
        "news_desk": Provide(provide_news_desk, sync_to_thread=False),
    },
)
def stock_news(
    symbol: Symbol,
    clock: NamedDependency[Callable[[], datetime]],
    market_chain: NamedDependency[ProviderChain],
    news_desk: NamedDependency[NewsDesk],
) -> NewsOut:
    """Headlines about ``symbol``, newest first: Yahoo's news and, for a Korean company when the operator
    set an OpenDART key, its disclosures (공시). Kept 10 minutes; ``offline`` when no source answers."""
    known = resolve_symbol(symbol)
    if known is None:
        raise DomainError(Code.SYMBOL_UNKNOWN, "this symbol is not in the directory")
    page = news_desk.page(market_chain, known, clock())
    items = [
        NewsItemOut(kind=h.kind, title=h.title, source=h.source, published_at=h.published_at, link=h.link)  # type: ignore[arg-type]
        for h in page.items
    ]
    return NewsOut(symbol=known, state=page.state, as_of=page.as_of, sources=page.sources, items=items)  # type: ignore[arg-type]


ROUTES: list[Any] = [price, search_symbols, stock, status, fx_rate, price_history, stock_news]

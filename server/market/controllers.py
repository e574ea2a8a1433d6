"""Market routes: the latest quote of a symbol (recorded as served to the device), symbol search,
the directory entry of a symbol, the markets' status and the USD/KRW rate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from sync.errors import Code
from sync.market import market_of

from ..db import Database
from ..db import utcnow as _now
from ..errors import ProblemError
from ..principal import Principal
from .calendar import market_calendars
from .clock import MarketClock, provide_market_clock
from .directory import directory, entry_json, match_json
from .fx import fx_json, refresh_fx
from .history import RangeName, history_for, resolve_symbol
from .providers import ProviderChain
from .quotes import FX_SYMBOL, latest_quotes, serve_quotes
from .refresher import provide_market_chain
from .status import market_status

__all__ = ["ROUTES"]


@get(
    "/api/market/stocks/{symbol:str}/price",
    operation_id="getPrice",
    sync_to_thread=True,
    tags=["market"],
    dependencies={"market_clock": Provide(provide_market_clock, sync_to_thread=False)},
)
def price(
    request: Request[Principal, Any, Any],
    symbol: FromPath[str],
    db: NamedDependency[Database],
    market_clock: NamedDependency[MarketClock],
) -> dict[str, Any]:
    """The newest quote of ``symbol``; the device may cite it in an order."""
    principal: Principal = request.user
    if principal.client_id is not None and principal.family_id is not None:
        with db.write(principal.family_id) as session:
            serve_quotes(session, principal.client_id, [symbol])
            quote = latest_quotes(session, [symbol]).get(symbol)
    else:
        with db.read() as session:
            quote = latest_quotes(session, [symbol]).get(symbol)
    if quote is None:
        raise ProblemError(404, Code.SYMBOL_UNKNOWN, "no price for this symbol")
    return {
        "quote_id": quote.quote_id,
        "symbol": quote.symbol,
        "price": quote.price,
        "currency": quote.currency,
        "as_of": quote.as_of.isoformat(),
        "source": quote.source,
        "market_state": "open" if market_clock.is_open(market_of(symbol), _now()) else "closed",
    }


@get("/api/market/search", operation_id="searchSymbols", sync_to_thread=False, tags=["market"])
def search_symbols(
    keyword: Annotated[str, QueryParameter(max_length=100)] = "",
    limit: Annotated[int, QueryParameter(ge=1, le=50)] = 20,  # "삼성" has 13 listings
) -> dict[str, Any]:
    """Ranked matches for ``keyword``: ticker, code, Korean name, initial consonants, English, aliases."""
    return {"keyword": keyword, "results": [match_json(m) for m in directory().search(keyword, limit)]}


@get("/api/market/stocks/{symbol:str}", operation_id="getStock", sync_to_thread=False, tags=["market"])
def stock(symbol: FromPath[str]) -> dict[str, Any]:
    """The directory entry of ``symbol`` (a ticker such as ``005930.KS`` or ``AAPL``, or a KRX code)."""
    entry = directory().get(symbol)
    if entry is None:
        raise ProblemError(404, Code.SYMBOL_UNKNOWN, "this symbol is not in the directory")
    return entry_json(entry)


@get("/api/market/status", operation_id="getMarketStatus", sync_to_thread=True, tags=["market"])
def status(
    request: Request[Principal, Any, Any], clock: NamedDependency[Callable[[], datetime]]
) -> dict[str, Any]:
    """Per market: open or closed by the real calendars, the next open and close, provider health."""
    return market_status(market_calendars(), clock(), request.app.state.get("market_provider"))


@get("/api/market/fx/USDKRW", operation_id="getFxRate", sync_to_thread=True, tags=["market"])
def fx_rate(db: NamedDependency[Database], clock: NamedDependency[Callable[[], datetime]]) -> dict[str, Any]:
    """The USD/KRW quote US fills use now: the provider's, else the bundled ECB rate (source, date)."""
    with db.read() as session:
        quote = latest_quotes(session, [FX_SYMBOL]).get(FX_SYMBOL)
    if quote is None:  # nothing stored yet (a fresh offline server): the bundled rate, recorded once
        quote = refresh_fx(db, clock())
    if quote is None:
        raise ProblemError(404, Code.QUOTE_UNKNOWN, "no exchange rate is known")
    return fx_json(quote)


@get(
    "/api/market/stocks/{symbol:str}/history",
    operation_id="getPriceHistory",
    sync_to_thread=True,
    tags=["market"],
    dependencies={"market_chain": Provide(provide_market_chain, sync_to_thread=True)},
)
def price_history(
    symbol: FromPath[str],
    db: NamedDependency[Database],
    clock: NamedDependency[Callable[[], datetime]],
    market_chain: NamedDependency[ProviderChain],
    period: Annotated[RangeName, QueryParameter(name="range")] = "1M",
) -> dict[str, Any]:
    """Daily bars of ``symbol`` over ``range`` (1W–1Y; weekly bars for 5Y and max), ending at the date
    the family is at (today, or the replay date), each range labelled with the source of its bars."""
    known = resolve_symbol(symbol)
    if known is None:
        raise ProblemError(404, Code.SYMBOL_UNKNOWN, "this symbol is not in the directory")
    return history_for(db, market_chain, known, period, clock())


ROUTES: list[Any] = [price, search_symbols, stock, status, fx_rate, price_history]

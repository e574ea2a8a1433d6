"""Market routes: the latest quote of a symbol (recorded as served to the device), symbol search and
the directory entry of a symbol."""

from __future__ import annotations

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
from .clock import MarketClock, provide_market_clock
from .directory import directory, entry_json, match_json
from .quotes import latest_quotes, serve_quotes

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


ROUTES: list[Any] = [price, search_symbols, stock]

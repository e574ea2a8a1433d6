"""Small builders for the sync tests: a child's book, quotes, and mutations run through ``decide``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sync import Actor, Context, Effects, HouseRules, MemoryBook, Quote, Role, Trade, decide
from sync.market import currency_of
from sync.money import MICRO
from sync.trading import open_account

# Monday 4 March 2024, 10:00 in Seoul: KRX is in session, the week and the month have just begun.
T0 = datetime(2024, 3, 4, 1, 0, tzinfo=UTC)

CHILD = Actor("kid", Role.CHILD, "fam")
OTHER_CHILD = Actor("sib", Role.CHILD, "fam")
MOM = Actor("mom", Role.PARENT, "fam")
DAD = Actor("dad", Role.PARENT, "fam")

SAMSUNG = "005930.KS"
KAKAO = "035720.KQ"
AAPL = "AAPL"
FX = "USDKRW=X"


def usd(dollars: float | str) -> int:
    """Micro-dollars from a decimal written in a test (``"150.25"`` → 150_250_000)."""
    whole, _, frac = str(dollars).partition(".")
    return int(whole) * MICRO + int((frac + "000000")[:6])


def shares(n: float | str) -> int:
    """Micro-shares from a decimal share count."""
    return usd(n)


def won_per_usd(rate: float | str) -> int:
    """An FX rate in micro-won per dollar (``1330.5`` → 1_330_500_000)."""
    return usd(rate)


def new_book(rules: HouseRules | None = None, *, parents: int = 1, now: datetime = T0) -> MemoryBook:
    """A child who has just opened the game with the rules' starting money."""
    rules = rules or HouseRules()
    book = MemoryBook(child_id=CHILD.user_id, rules_=rules, parents=parents)
    book.apply(open_account(CHILD.user_id, rules, now))
    return book


def publish(book: MemoryBook, symbol: str, price: int, *, at: datetime = T0, served: bool = True) -> Quote:
    """A new server quote (its ``seq`` after every earlier one); ``served`` to the child's device."""
    seq = max((q.seq for q in book.quotes.values()), default=0) + 1
    quote = Quote(
        quote_id=f"q{seq}",
        symbol=symbol,
        price=price,
        currency="KRW" if symbol == FX else currency_of(symbol),
        as_of=at,
        seq=seq,
    )
    book.add_quote(quote, served=served)
    return quote


def ctx(actor: Actor = CHILD, now: datetime = T0, mutation_id: str = "m1") -> Context:
    return Context(actor=actor, child_id=CHILD.user_id, now=now, mutation_id=mutation_id)


def run(
    book: MemoryBook, name: str, args: dict[str, Any], *, actor: Actor = CHILD, now: datetime = T0
) -> Effects:
    """Decide a mutation against ``book`` and post its effects (``Rejected`` propagates)."""
    effects = decide(name, args, book, ctx(actor, now))
    book.apply(effects)
    return effects


_trade_ids = iter(range(1, 10**9))


def place(
    book: MemoryBook,
    side: str,
    symbol: str,
    *,
    quantity: int | None = None,
    amount: int | None = None,
    quote: Quote | None = None,
    price: int | None = None,
    limit_price: int | None = None,
    now: datetime = T0,
    trade_id: str | None = None,
    journal: str | None = None,
) -> Effects:
    """``trade.place/v1`` citing ``quote`` (its own price unless ``price`` says otherwise)."""
    args: dict[str, Any] = {"trade_id": trade_id or f"t{next(_trade_ids)}", "side": side, "symbol": symbol}
    if quantity is not None:
        args["quantity"] = quantity
    if amount is not None:
        args["amount"] = amount
    if quote is not None:
        args["quote_id"] = quote.quote_id
        args["price"] = quote.price if price is None else price
    if limit_price is not None:
        args["limit_price"] = limit_price
    if journal is not None:
        args["journal"] = journal
    return run(book, "trade.place/v1", args, now=now)


def trade_id_of(effects: Effects) -> str:
    """The id of the trade record a ``trade.place`` posted."""
    (trade,) = [r for r in effects.records if isinstance(r, Trade)]
    return trade.trade_id


def later(base: datetime = T0, **delta: float) -> datetime:
    return base + timedelta(**delta)

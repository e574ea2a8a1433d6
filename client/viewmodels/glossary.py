"""The glossary in context: a word a child meets beside a number, explained with that child's numbers.

Each explanation has the word, what it means in words a 10-year-old understands, and an example: the
child's own numbers where the screen has them ("네 삼성전자 평균 단가는 72,300 G₩이야, 왜냐하면 …"),
else a general one. The screens build a :class:`Gloss` where a number appears; the view only shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sync.money import MICRO
from sync.portfolio import Holding, Summary
from sync.pricing import gross_value
from sync.records import Trade

from .base import Tools

__all__ = [
    "TERMS",
    "Gloss",
    "about_avg_cost",
    "about_diversify",
    "about_fx",
    "about_event",
    "about_holding_return",
    "about_open_price",
    "about_term",
    "about_total_return",
    "about_trade_cost",
]

TERMS = (
    "return",
    "avg_cost",
    "fee",
    "tax",
    "fx",
    "dividend",
    "split",
    "open_close",
    "diversify",
    "delisting",
)


@dataclass(frozen=True)
class Gloss:
    """One word explained: ``title`` heads the dialog, ``example_title`` says whose numbers these are."""

    term: str
    word: str
    title: str
    meaning: str
    example_title: str
    example: str
    mine: bool  # the example uses the child's own numbers
    close: str  # the button that closes the explanation


def _gloss(tools: Tools, term: str, example_key: str | None = None, **numbers: object) -> Gloss:
    tr = tools.tr
    word = tr(f"glossary.{term}.word")
    mine = example_key is not None
    return Gloss(
        term=term,
        word=word,
        title=tr("glossary.open", word=word),
        meaning=tr(f"glossary.{term}.meaning"),
        example_title=tr("glossary.example_title" if mine else "glossary.general_title"),
        example=tr(example_key, **numbers) if example_key else tr(f"glossary.{term}.general"),
        mine=mine,
        close=tr("glossary.close"),
    )


def about_term(tools: Tools, term: str) -> Gloss:
    """A word with its general example (where the screen has no numbers of the child's for it)."""
    if term not in TERMS:
        raise ValueError(f"no glossary entry for {term!r}")
    return _gloss(tools, term)


def about_avg_cost(tools: Tools, name: str, holding: Holding) -> Gloss:
    fmt = tools.fmt
    return _gloss(
        tools,
        "avg_cost",
        "glossary.avg_cost.example",
        name=name,
        avg=fmt.game(holding.avg_cost),
        cost=fmt.game(holding.cost),
        shares=fmt.shares(holding.quantity),
    )


def about_holding_return(tools: Tools, name: str, holding: Holding) -> Gloss:
    fmt = tools.fmt
    pct = holding.unrealized * 100 / holding.cost if holding.cost else 0.0
    return _gloss(
        tools,
        "return",
        "glossary.return.example",
        name=name,
        cost=fmt.game(holding.cost),
        value=fmt.game(holding.value),
        profit=fmt.game(holding.unrealized, signed=True),
        pct=fmt.pct(pct),
    )


def about_total_return(tools: Tools, summary: Summary) -> Gloss:
    fmt = tools.fmt
    return _gloss(
        tools,
        "return",
        "glossary.return.example_total",
        invested=fmt.game(summary.invested),
        value=fmt.game(summary.total_value),
        profit=fmt.game(summary.profit, signed=True),
        pct=fmt.pct(summary.profit_pct),
    )


def about_diversify(tools: Tools, names: Sequence[str]) -> Gloss:
    if not names:
        return about_term(tools, "diversify")
    if len(names) == 1:
        return _gloss(tools, "diversify", "glossary.diversify.example_one", name=names[0])
    return _gloss(tools, "diversify", "glossary.diversify.example", count=len(names), names=", ".join(names))


def about_trade_cost(tools: Tools, term: str, trade: Trade) -> Gloss:
    """The fee or the tax of the order on the ticket, against the order's gross amount."""
    fmt = tools.fmt
    amount = fmt.game(trade.gross)
    if term == "fee":
        return _gloss(tools, "fee", "glossary.fee.example", amount=amount, fee=fmt.game(trade.fee))
    if term == "tax":
        return _gloss(tools, "tax", "glossary.tax.example", amount=amount, tax=fmt.game(trade.tax))
    raise ValueError(f"{term!r} is not a cost of a trade")


def about_fx(tools: Tools, rate: int, usd_price: int | None) -> Gloss:
    """The rate on the ticket; with a US share's price, what one share comes to in game won."""
    fmt = tools.fmt
    if usd_price is None:
        return about_term(tools, "fx")
    game = gross_value(usd_price, MICRO, rate, buying=False)
    return _gloss(
        tools, "fx", "glossary.fx.example", rate=fmt.fx(rate), usd=fmt.usd(usd_price), game=fmt.game(game)
    )


def about_open_price(tools: Tools, name: str, price: str, when: str) -> Gloss:
    """시가/종가 on a stock whose market is closed: the order waits for the next open price."""
    return _gloss(tools, "open_close", "glossary.open_close.example", name=name, price=price, when=when)


# what happened to the child's own shares, worded by the inbox, is the example of its word
# (a delisting's notification names the last price, the shares settled and what the child got)
_EVENT_TERMS = {"DividendPaid": "dividend", "SplitApplied": "split", "StockDelisted": "delisting"}


def about_event(tools: Tools, event: str, what_happened: str) -> Gloss | None:
    """배당, 분할 or 상장 폐지 beside the notification that told the child it happened to their shares, with
    that notification's own words (its numbers) as the example; ``None`` for other events."""
    term = _EVENT_TERMS.get(event)
    if term is None:
        return None
    general = _gloss(tools, term)
    return Gloss(
        term=term,
        word=general.word,
        title=general.title,
        meaning=general.meaning,
        example_title=tools.tr("glossary.example_title"),
        example=what_happened,
        mine=True,
        close=general.close,
    )

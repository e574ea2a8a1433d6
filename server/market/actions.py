"""Corporate actions (dividends, splits, delistings) applied to the children who hold the stock.

Two steps, both plain functions that the background pass (:mod:`.jobs`) and tests call:

1. :func:`refresh_actions` asks the provider for the actions of every symbol a child holds or has
   a queued order for, and records the recent ones (``corporate_actions``, keyed by symbol, kind
   and ex-date, so racing processes record one row). Only ``yahoo`` reports actions: the bundled
   replay history is already adjusted for splits and dividends (a replayed split must not look like
   a crash), so replay and sim report none.
2. :func:`apply_due_actions` applies every recorded action whose ex-date has begun (midnight at the
   exchange) to each child who held shares when it began (ledger entries before that moment: the
   position plus shares reserved by queued sells), and, for a split, also to each child with an
   older queued order of the symbol. The shared rules decide (``sync.trading.pay_dividend`` /
   ``apply_split``); the effects go through the same writer as every mutation with actor
   ``server``: ledger entries, balances, records in the change log, ``DividendPaid`` /
   ``SplitApplied`` / ``OrderCancelled`` events in the outbox, which the dispatcher turns into
   notifications that explain them ("애플이 주식 1주당 0.26달러 배당금을 줬어요 …").

Exactly once per child, across restarts and several server processes: each child's application is
written in its family's write transaction (the family row locked ``FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite) together with an ``corporate_action_applications`` row, which is
looked up again under that lock; its primary key (action, child) is the last line of defence.
Each application that posts anything is logged as a ``ServerAction`` with the action and the facts it
read (the FX rate), so replaying the log decides it again in its place (I6).

A dollar dividend converts at the server's newest USD/KRW quote, rounded down (the child receives);
with no FX quote yet it waits for the next pass. Yahoo reports ex-dates, not pay dates, so a
dividend is credited from its ex-date on.

Settlements (``sync.trading.settle_delisting``): the whole position leaves for cash at the last
price (``amount``), with no fee and no tax, and the stock's queued orders are cancelled with their
money or shares given back; the "ex-date" is the day after the last session. Two kinds, worded
differently because they are different facts:

- ``delisting``: the company really left the exchange. Recorded by the operator
  (``yongdon market delist``, :func:`record_delisting`); Yahoo reports no delistings.
- ``data_end``: in history replay, the bundled price history of a company ends
  (:func:`record_history_ends`). None of the bundled companies was delisted: GOOGL, IBM and META end
  on 2013-03-01 and the others on 2022-12-28 only because the source data stops. Their holdings are
  settled all the same, and the child is told exactly that ("our price history for this company
  ends here"), not that the company went away. Settling rather than freezing: a position whose price
  never moves again would sit in the child's portfolio for the rest of the replay, its value a fiction
  the child cannot act on; the cash at the last real price lets the child keep playing, and the
  explanation teaches that a price needs a market (or data) behind it. In replay the date is the
  server's date when the replay clock passes the end (the ledger lives in server time).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.book import Book, Effects
from sync.korean import attach
from sync.ledger import position_account, reserved_shares_account
from sync.market import currency_of, market_of
from sync.money import MICRO, format_shown_shares
from sync.records import HOLDING, Position, Trade
from sync.trading import apply_split, pay_dividend, settle_delisting

from ..db import Database, TemporaryFailure
from ..db.models import (
    ActionApplication,
    CorporateAction,
    LedgerEntry,
    PositionRow,
    TradeRow,
)
from ..game.book import SqlBook
from ..game.writer import Posting, post_server_action
from .calendar import market_calendars
from .clock import MarketClock
from .directory import directory
from .listing import ended_in, ex_moment, replay_member
from .opening import SERVER_ACTOR
from .providers.base import Action, MarketDataProvider

__all__ = [
    "ACTION",
    "LOOKBACK",
    "SETTLING",
    "ActionsReport",
    "Candidate",
    "RecordedAction",
    "action_posting",
    "apply_due_actions",
    "decide_action",
    "ex_moment",
    "record_actions",
    "record_delisting",
    "record_history_ends",
    "refresh_actions",
    "trading_ended",
]

ACTION = "action"  # the recorded input of a server action: the corporate action it applied
LOOKBACK = timedelta(days=30)  # older actions are history (Yahoo lists decades of dividends)
# the kinds that settle the position at ``amount`` (the last price); never too old to apply: a child
# must not keep a stock that no longer trades because the operator recorded it late
SETTLING = ("delisting", "data_end")

# orders that still hold money or shares: queued ones and those waiting for a parent
_HOLDING = sorted(status.value for status in HOLDING)
_log = logging.getLogger("yongdon.market")


@dataclass(frozen=True)
class RecordedAction:
    """A dividend (``amount`` per share: won or micro-dollars), a split (``numerator`` new shares
    for ``denominator`` old) or a settlement (kind in :data:`SETTLING`: ``amount`` is the last price,
    ``ex_date`` the day after the last session)."""

    symbol: str
    kind: str
    ex_date: date
    amount: int = 0
    numerator: int = 1
    denominator: int = 1

    @property
    def action_id(self) -> str:
        return f"{self.symbol}:{self.kind}:{self.ex_date.isoformat()}"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ex_date": self.ex_date.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedAction:
        return cls(**{**data, "ex_date": date.fromisoformat(data["ex_date"])})


@dataclass
class ActionsReport:
    """What one pass did: (action id, child id) pairs."""

    applied: list[tuple[str, str]] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)  # a dollar dividend without FX yet
    failed: list[tuple[str, str]] = field(default_factory=list)  # an unexpected error; retried next pass


def _from_provider(symbol: str, action: Action) -> RecordedAction | None:
    if action.kind == "dividend" and action.amount > 0:
        return RecordedAction(symbol, "dividend", action.day, amount=action.amount)
    if action.kind == "split" and action.ratio > 0:
        # Yahoo reports numerator/denominator as a float (2.0, 1.5, 0.1): back to a small fraction
        ratio = Fraction(action.ratio).limit_denominator(1000)
        if ratio != 1:
            return RecordedAction(
                symbol, "split", action.day, numerator=ratio.numerator, denominator=ratio.denominator
            )
    return None


def record_actions(
    db: Database, symbol: str, actions: list[Action], source: str, now: datetime, since: date
) -> list[str]:
    """Record the actions of ``symbol`` with an ex-date on or after ``since``; returns the new ids."""
    wanted = [a for a in (_from_provider(symbol, x) for x in actions) if a and a.ex_date >= since]
    return _insert(db, wanted, source, now)


def _insert(db: Database, wanted: list[RecordedAction], source: str, now: datetime) -> list[str]:
    """Record ``wanted`` (those not recorded yet); returns the new ids."""
    if not wanted:
        return []
    with db.write() as session:
        known = set(
            session.scalars(
                select(CorporateAction.id).where(CorporateAction.id.in_([a.action_id for a in wanted]))
            )
        )
        fresh = [a for a in wanted if a.action_id not in known]
        if fresh:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            # another process may record the same action at the same time: the first row wins
            session.execute(
                dialect.insert(CorporateAction)
                .values(
                    [
                        {
                            "id": a.action_id,
                            "symbol": a.symbol,
                            "kind": a.kind,
                            "ex_date": a.ex_date,
                            "amount": a.amount,
                            "numerator": a.numerator,
                            "denominator": a.denominator,
                            "source": source[:32],
                            "recorded_at": now,
                        }
                        for a in fresh
                    ]
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
    return [a.action_id for a in fresh]


def record_delisting(
    db: Database, symbol: str, last_price: int, last_session: date, now: datetime, source: str = "operator"
) -> RecordedAction:
    """Record that ``symbol`` was delisted after ``last_session`` at ``last_price`` (won or
    micro-dollars); the holders are settled from the next day on. Raises ``ValueError`` for an
    unknown market or a price that is not positive; recording it again changes nothing."""
    if last_price <= 0:
        raise ValueError("the last price must be positive")
    market_of(symbol)  # a symbol of no market we know raises here
    action = RecordedAction(symbol, "delisting", last_session + timedelta(days=1), amount=last_price)
    _insert(db, [action], source, now)
    return action


def record_history_ends(db: Database, provider: Any, now: datetime) -> list[str]:
    """In history replay, record a ``data_end`` settlement for each watched symbol whose bundled
    history ended before the replayed day: at its last close, dated the server's day on which the
    replay passed the end. Returns the new ids."""
    replay = replay_member(provider)
    if replay is None:
        return []
    today = replay.today(now)
    wanted: list[RecordedAction] = []
    for symbol in _watched_symbols(db):
        last = replay.store.ended_by(symbol, today)
        hit = replay.store.bar_on(symbol, last) if last is not None else None
        if hit is None:
            continue  # still within its history (or none bundled)
        _, bar = hit
        passed = replay.clock.server_time(datetime.combine(last + timedelta(days=1), time(0), UTC))
        wanted.append(RecordedAction(symbol, "data_end", passed.date(), amount=bar.close))
    return _insert(db, wanted, "replay", now)


def trading_ended(db: Database, provider: Any, symbol: str, now: datetime) -> tuple[str, date] | None:
    """Whether ``symbol`` trades no more, for the stock page (:func:`.listing.ended_in`)."""
    with db.read() as session:
        return ended_in(session, provider, symbol, now)


def _watched_symbols(db: Database) -> list[str]:
    """Symbols some child holds or has a queued order for."""
    with db.read() as session:
        held = session.scalars(select(PositionRow.symbol).where(PositionRow.quantity > 0).distinct())
        queued = session.scalars(select(TradeRow.symbol).where(TradeRow.status.in_(_HOLDING)).distinct())
        return sorted(set(held) | set(queued))


def _ask(provider: Any, symbol: str) -> tuple[list[Action], str]:
    """The first answer of the chain's providers, with the name of the one that gave it."""
    for member in getattr(provider, "providers", [provider]):
        try:
            return member.actions(symbol), member.name
        except Exception as error:  # noqa: BLE001 - a failing provider means "ask the next one"
            _log.warning("market provider %s failed for actions: %s", member.name, type(error).__name__)
    return [], ""


def refresh_actions(db: Database, provider: MarketDataProvider, now: datetime) -> list[str]:
    """Ask ``provider`` for the actions of every watched symbol; record the last ``LOOKBACK``'s."""
    since = (now - LOOKBACK).date()
    recorded: list[str] = []
    for symbol in _watched_symbols(db):
        actions, source = _ask(provider, symbol)
        recorded += record_actions(db, symbol, actions, source, now, since)
    return recorded


# -- applying -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A child an action may concern."""

    family_id: str
    child_id: str


def _to_recorded(row: CorporateAction) -> RecordedAction:
    return RecordedAction(row.symbol, row.kind, row.ex_date, row.amount, row.numerator, row.denominator)


def _due_actions(db: Database, now: datetime) -> list[RecordedAction]:
    with db.read() as session:
        rows = session.scalars(
            select(CorporateAction)
            # a day ahead of UTC: Seoul's day begins at 15:00 UTC the day before; exact check below
            .where(
                or_(CorporateAction.ex_date >= (now - LOOKBACK).date(), CorporateAction.kind.in_(SETTLING)),
                CorporateAction.ex_date <= now.date() + timedelta(days=1),
            )
            .order_by(CorporateAction.ex_date, CorporateAction.id)
        ).all()
        actions = [_to_recorded(r) for r in rows]
    return [a for a in actions if ex_moment(a.symbol, a.ex_date) <= now]


def _candidates(db: Database, action: RecordedAction) -> list[Candidate]:
    """Children who may be concerned and have not had ``action`` yet: every child with a position row
    of the symbol (one who sold since may still have held at the ex-date) and, for a split, every
    child with a queued order of it placed before the ex-date."""
    done = select(ActionApplication.child_id).where(ActionApplication.action_id == action.action_id)
    with db.read() as session:
        found = set(
            session.execute(
                select(PositionRow.family_id, PositionRow.child_id).where(
                    PositionRow.symbol == action.symbol, PositionRow.child_id.not_in(done)
                )
            ).all()
        )
        if action.kind == "split" or action.kind in SETTLING:
            queued = select(TradeRow.family_id, TradeRow.child_id).where(
                TradeRow.symbol == action.symbol,
                TradeRow.status.in_(_HOLDING),
                TradeRow.child_id.not_in(done),
            )
            if action.kind == "split":  # a settlement cancels every queued order, whenever placed
                queued = queued.where(TradeRow.created_at < ex_moment(action.symbol, action.ex_date))
            found |= set(session.execute(queued))
    return [Candidate(f, c) for f, c in sorted(found)]


def _held_at(session: Session, who: Candidate, symbol: str, moment: datetime) -> int:
    """Micro-shares the child owned just before ``moment``: its position and reserved-for-sale entries."""
    accounts = [position_account(symbol), reserved_shares_account(symbol)]
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.family_id == who.family_id,
            LedgerEntry.child_id == who.child_id,
            LedgerEntry.account.in_(accounts),
            LedgerEntry.created_at < moment,
        )
    )
    return int(total or 0)


class _AtExDate:
    """The child's book, except that its position of ``symbol`` counts the shares held when the
    ex-date began, and its shares reserved for sale those of the orders ``reserved`` names
    (a dividend belongs to the holders of record, not to shares bought afterwards)."""

    def __init__(self, book: Book, symbol: str, shares: int, reserved: int | None = None) -> None:
        self._book, self._symbol, self._shares, self._reserved = book, symbol, shares, reserved
        self.child_id = book.child_id

    def position(self, symbol: str) -> Position:
        current = self._book.position(symbol)
        return msgspec.structs.replace(current, quantity=self._shares) if symbol == self._symbol else current

    def balance(self, account: str) -> int:
        if self._reserved is not None and account == reserved_shares_account(self._symbol):
            return self._reserved
        return self._book.balance(account)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)


def _queued(session: Session, who: Candidate, symbol: str) -> list[Trade]:
    rows = session.scalars(
        select(TradeRow.data).where(
            TradeRow.family_id == who.family_id,
            TradeRow.child_id == who.child_id,
            TradeRow.symbol == symbol,
            TradeRow.status.in_(_HOLDING),
        )
    )
    return [msgspec.convert(data, Trade, strict=False) for data in rows]


def _older(queued: list[Trade], action: RecordedAction) -> list[Trade]:
    """The orders placed before the ex-date began (priced and sized in pre-split shares)."""
    return [o for o in queued if o.created_at < ex_moment(action.symbol, action.ex_date)]


def _decide(
    session: Session, book: SqlBook, who: Candidate, action: RecordedAction, shares: int, now: datetime
) -> Effects | None:
    """The shared rule's effects for this child; ``None`` while a dollar dividend waits for FX."""
    if action.kind == "dividend":
        fx = book.fx_quote() if currency_of(action.symbol) == "USD" else None
        if currency_of(action.symbol) == "USD" and fx is None:
            return None
        at_ex: Any = _AtExDate(book, action.symbol, shares)
        return pay_dividend(at_ex, action.symbol, action.amount, fx, now, action.action_id)
    queued = _queued(session, who, action.symbol)
    if shares > 0:
        # Every queued order goes: they name pre-split quantities and prices (``apply_split``'s
        # contract). Only the shares held when the ex-date began are split: shares bought since (before
        # the server learned of the split) were bought at post-split prices already.
        current = book.position(action.symbol)
        view: Any = _AtExDate(book, action.symbol, min(shares, current.quantity))
        effects = apply_split(view, action.symbol, action.numerator, action.denominator, now, queued=queued)
        added = _posted(action, effects)
        effects.records = [
            msgspec.structs.replace(current, quantity=current.quantity + added)
            if isinstance(r, Position)
            else r
            for r in effects.records
        ]
        return effects
    # no shares at the ex-date: only its older queued orders are cancelled; shares it bought since
    # are post-split shares already and are left as they are
    older = _older(queued, action)
    reserved = sum(o.reserved for o in older if o.side == "sell")
    nothing: Any = _AtExDate(book, action.symbol, 0, reserved)
    effects = apply_split(nothing, action.symbol, action.numerator, action.denominator, now, queued=older)
    effects.records = [r for r in effects.records if not isinstance(r, Position)]
    effects.events = [e for e in effects.events if e[0] != "SplitApplied"]
    return effects


def _posted(action: RecordedAction, effects: Effects) -> int:
    """Won paid (dividend or settlement) or micro-shares the split added (its counterparty is
    ``market:<symbol>``; the position also gets back shares a cancelled queued sell had reserved)."""
    if action.kind in SETTLING:
        return sum(int(p["amount"]) for n, p in effects.events if n in _SETTLED_EVENTS)
    if action.kind == "dividend":
        return sum(e.amount for e in effects.entries if e.account == "cash")
    return -sum(e.amount for e in effects.entries if e.account == f"market:{action.symbol}")


def decide_action(
    session: Session, book: SqlBook, who: Candidate, action: RecordedAction, now: datetime
) -> tuple[str, Effects | None, int]:
    """What the shared rules decide for one child: ("applied", effects, shares), or "none" (it held
    nothing then, or earned less than a won) or "waiting" (a dollar dividend without FX) with no
    effects; ``shares`` are the micro-shares it held when the ex-date began. The background pass
    and the replay of the log both decide through here."""
    if action.kind in SETTLING:
        return _settle(session, book, who, action, now)
    shares = _held_at(session, who, action.symbol, ex_moment(action.symbol, action.ex_date))
    concerned = shares > 0 or (
        action.kind == "split" and _older(_queued(session, who, action.symbol), action)
    )
    if not concerned:
        return "none", None, 0  # it held nothing then, and what happened before cannot change
    effects = _decide(session, book, who, action, max(shares, 0), now)
    if effects is None:
        return "waiting", None, shares
    if action.kind == "dividend" and not effects.entries:
        return "none", None, shares  # a few micro-shares earned less than a won: no "you got 0"
    _explain(effects, action, shares, book)
    return "applied", effects, shares


def _settle(
    session: Session, book: SqlBook, who: Candidate, action: RecordedAction, now: datetime
) -> tuple[str, Effects | None, int]:
    """A settlement takes what the child holds when it is applied (nobody can trade a stock without a
    market, so that is what it held at the end) and every queued order of the stock."""
    shares = book.position(action.symbol).quantity
    queued = _queued(session, who, action.symbol)
    if shares <= 0 and not queued:
        return "none", None, 0
    fx = book.fx_quote() if currency_of(action.symbol) == "USD" else None
    if currency_of(action.symbol) == "USD" and fx is None:
        return "waiting", None, shares
    why = "delisted" if action.kind == "delisting" else "data_end"
    effects = settle_delisting(
        book, action.symbol, action.amount, fx, now, action.action_id, queued=queued, reason=why
    )
    _explain(effects, action, shares, book)
    if action.kind == "data_end":  # the same settlement, told as what it is: our data ends here
        effects.events = [("PriceHistoryEnded" if n == "StockDelisted" else n, p) for n, p in effects.events]
    return "applied", effects, shares


def action_posting(who: Candidate, action: RecordedAction) -> Posting:
    return Posting(
        family_id=who.family_id,
        child_id=who.child_id,
        txn_id=f"action:{action.action_id}",
        actor_id=SERVER_ACTOR,
        kind=f"action.{action.kind}",
        ref_id=action.action_id,
        reason=_reason(action),
    )


def _apply_one(
    db: Database, action: RecordedAction, who: Candidate, clock: MarketClock, now: datetime
) -> str:
    """Apply ``action`` to one child in its family's write transaction: "applied", "waiting",
    "none" (it held nothing then) or "gone" (another process got there first)."""
    with db.write(who.family_id) as session:
        already = session.get(ActionApplication, (action.action_id, who.child_id))
        if already is not None:
            return "gone"
        book = SqlBook(
            session,
            family_id=who.family_id,
            child_id=who.child_id,
            client_id=None,
            now=now,
            market_clock=clock,
        )
        outcome, effects, shares = decide_action(session, book, who, action, now)
        if outcome == "waiting":
            return outcome
        if effects is None:  # settled for good: nothing to post
            session.add(_application(action, who, max(shares, 0), 0, now))
            return outcome
        posting = action_posting(who, action)
        session.add(_application(action, who, max(shares, 0), _posted(action, effects), now))
        post_server_action(session, posting, effects, now, {**book.inputs(), ACTION: action.as_json()})
        return "applied"


def _application(
    action: RecordedAction, who: Candidate, shares: int, posted: int, now: datetime
) -> ActionApplication:
    return ActionApplication(
        action_id=action.action_id,
        child_id=who.child_id,
        family_id=who.family_id,
        shares=shares,
        posted=posted,
        applied_at=now,
    )


def apply_due_actions(db: Database, now: datetime, clock: MarketClock | None = None) -> ActionsReport:
    """One pass: every recorded action whose ex-date has begun reaches every child it concerns."""
    report = ActionsReport()
    market_clock: MarketClock = clock or market_calendars()
    for action in _due_actions(db, now):
        for who in _candidates(db, action):
            pair = (action.action_id, who.child_id)
            try:
                outcome = _apply_one(db, action, who, market_clock, now)
            except TemporaryFailure:
                _log.warning("database busy; %s waits for the next pass", action.action_id)
                continue
            except Exception:  # noqa: BLE001 - one broken child (a bug) must not hold back the others
                _log.exception("%s could not be applied to a child; retried next pass", action.action_id)
                report.failed.append(pair)
                continue
            if outcome == "applied":
                report.applied.append(pair)
            elif outcome == "waiting":
                report.waiting.append(pair)
    return report


# -- the explanation a child reads ----------------------------------------------------------------


def _reason(action: RecordedAction) -> str:
    if action.kind in SETTLING:
        unit = "micro-dollars" if currency_of(action.symbol) == "USD" else "won"
        why = "delisted" if action.kind == "delisting" else "bundled price history ends"
        return f"{why}: settled at {action.amount} {unit}, last session before {action.ex_date}"
    if action.kind == "dividend":
        unit = "micro-dollars" if currency_of(action.symbol) == "USD" else "won"
        return f"dividend {action.amount} {unit} per share, ex-date {action.ex_date}"
    return f"split {action.numerator}:{action.denominator}, ex-date {action.ex_date}"


def _subject_ko(name: str) -> str:
    """``name`` with the Korean subject particle: 이 after a final consonant, else 가 (애플이, 엔비디아가)."""
    return attach(name, "이")


def _shares_text(micro: int) -> str:
    """The child's shares as the stored text (push, e-mail) says them: the app's one display rule."""
    return format_shown_shares(micro)


def _per_share(symbol: str, amount: int) -> tuple[str, str]:
    """(Korean, English) of a per-share amount: "0.26달러"/"$0.26", "361원"/"361 won"."""
    if currency_of(symbol) == "KRW":
        return f"{amount:,}원", f"{amount:,} won"
    dollars, micro = divmod(amount, MICRO)
    cents = f"{micro:06d}".rstrip("0").ljust(2, "0")
    return f"{dollars}.{cents}달러", f"${dollars}.{cents}"


_SETTLED_EVENTS = ("StockDelisted", "PriceHistoryEnded")


def _gain_ko(gain: int) -> str:
    if gain > 0:
        return f"산 값보다 {gain:,} G₩ 더 받았어요."
    if gain < 0:
        return f"산 값보다 {-gain:,} G₩ 적게 받았어요."
    return "산 값과 똑같이 받았어요."


def _gain_en(gain: int) -> str:
    if gain > 0:
        return f"That is {gain:,} G₩ more than you paid."
    if gain < 0:
        return f"That is {-gain:,} G₩ less than you paid."
    return "That is exactly what you paid."


def _explain(effects: Effects, action: RecordedAction, shares: int, book: SqlBook) -> None:
    """Add the facts the notification wording needs (names, the per-share amount, the shares)."""
    entry = directory().get(action.symbol)
    name_ko = entry.name_ko if entry else action.symbol
    facts: dict[str, object] = {
        "company_ko": _subject_ko(name_ko),
        "company_en": entry.name_en if entry else action.symbol,
        "ex_date": action.ex_date.isoformat(),
    }
    if action.kind in SETTLING:
        per_ko, per_en = _per_share(action.symbol, action.amount)
        facts.update(price_ko=per_ko, price_en=per_en, shares=_shares_text(shares), company_name_ko=name_ko)
        fx = book.fx_quote() if currency_of(action.symbol) == "USD" else None
        if fx is not None:
            facts["fx_rate"] = fx.price
        for name, payload in effects.events:
            if name == "StockDelisted":
                gain = int(payload["realised"])
                payload.update(
                    facts,
                    total=payload["amount"],
                    profit=gain,
                    gain_ko=_gain_ko(gain),
                    gain_en=_gain_en(gain),
                )
        return
    if action.kind == "dividend":
        per_ko, per_en = _per_share(action.symbol, action.amount)
        facts.update(per_share_ko=per_ko, per_share_en=per_en, shares=_shares_text(shares))
    else:
        after = next((r for r in effects.records if isinstance(r, Position)), None)
        facts.update(
            old=action.denominator,
            new=action.numerator,
            shares=_shares_text(after.quantity if after else book.position(action.symbol).quantity),
        )
    for name, payload in effects.events:
        if name in ("DividendPaid", "SplitApplied"):
            payload.update(facts)

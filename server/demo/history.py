"""The demo family's weeks before today, lived through the product on a clock moved day by day.

Nothing here writes a row itself. The family is made by the account services; every trade, request,
decision and payout goes through the mutation gateway (``server.gateway``: decide-and-record with the
shared rules, as ``/api/game/trade/buy`` and ``/api/allowance/…`` do) and ``Payments.pay``; prices,
FX, fills at the open and notifications come from the server's own background passes (the quote
refresher, the market jobs, the dispatcher), each run at the demo clock's time instead of on its
thread.

Prices are the history replay. The replay clock is set so that the family's first day replays
:data:`HISTORY_START` and today replays the first week of 2012 (2012-01-03 or up to six days later:
the replayed weekday is today's). Whether a market is open is decided by the replayed years' calendars
on the replay clock (``ProviderChain.calendars``), as on the running server. A trade is placed at a
fixed time of its replayed day; when the replayed calendar has a holiday there, it moves to the next
day the market is open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from litestar.datastructures import State

from sync.market import market_of
from sync.money import MICRO
from sync.protocol import MutationResult, Outcome
from sync.rules import Market

from ..db import Database
from ..db.models import RequestRow
from ..gateway import Gateway, Runner
from ..ids import new_id
from ..market.calendar import MarketCalendars
from ..market.jobs import MarketJobs
from ..market.providers import (
    DEFAULT_REPLAY_START,
    MarketConfig,
    ProviderChain,
    ReplayClock,
    build_chain,
    save_config,
)
from ..market.quotes import latest_quotes
from ..market.refresher import Refresher, record_quotes
from ..market.source import DEMO_PRICES
from ..notify.dispatcher import Dispatcher
from ..payment.crypto import cipher_from_settings
from ..payment.services import Payments, rails_from_settings
from ..settings import Settings
from .family import PARENT_NAME, DemoError, DemoFamily, create_family

__all__ = ["HISTORY_START", "STORY", "DemoClock", "live_history", "replay_clock"]

HISTORY_START = date(2011, 11, 21)  # a Monday, six weeks before the replay's default start
JIU, HANEUL = "지우", "하늘"

# times of day on the server's (UTC) clock; the family lives in Korea (UTC+9)
SETUP = time(0, 10)  # 09:10 in Seoul: the parent sets the family up
KRX_OPEN = time(1, 30)  # 10:30 in Seoul
EVENING = time(11, 0)  # 20:00 in Seoul: the child asks
PARENT_EVENING = time(12, 0)  # 21:00 in Seoul: the parent answers
CASH = time(12, 10)  # and hands the money over
US_OPEN = time(15, 0)  # 10:00 in New York in winter, 11:00 in summer


@dataclass(frozen=True)
class Trade:
    side: str
    symbol: str
    shares: int
    journal: str | None = None  # the child's sentence on why (the trade journal)


@dataclass(frozen=True)
class Ask:
    """The child asks to convert ``amount_game`` of realised profit; ``label`` names the request."""

    label: str
    amount_game: int


@dataclass(frozen=True)
class Decide:
    """The parent approves the request (``reason`` ``None``) or rejects it with a reason."""

    label: str
    reason: str | None = None


@dataclass(frozen=True)
class PayCash:
    label: str


Act = Trade | Ask | Decide | PayCash


@dataclass(frozen=True)
class Step:
    day: date  # the replayed day
    at: time
    who: str
    act: Act


def _step(day: str, at: time, who: str, act: Act) -> Step:
    return Step(date.fromisoformat(day), at, who, act)


STORY: tuple[Step, ...] = (
    _step("2011-11-21", KRX_OPEN, HANEUL, Trade("buy", "005930.KS", 3)),
    _step("2011-11-21", KRX_OPEN, JIU, Trade("buy", "005930.KS", 2)),
    # $11.14 (adjusted close)
    _step("2011-11-23", US_OPEN, JIU, Trade("buy", "AAPL", 10, "아이폰을 다들 갖고 싶어 해서")),
    _step("2011-11-25", US_OPEN, JIU, Trade("buy", "GE", 5)),  # $68.27
    _step("2011-11-28", KRX_OPEN, HANEUL, Trade("buy", "035720.KS", 5)),
    _step("2011-12-01", US_OPEN, JIU, Trade("buy", "KO", 3)),
    _step("2011-12-13", US_OPEN, JIU, Trade("sell", "AAPL", 6)),  # $11.80
    _step("2011-12-16", US_OPEN, JIU, Trade("sell", "GE", 5, "많이 올라서 이익을 챙기고 싶어서")),  # $78.99
    # the requests come days after the sales, so a trade moved by a real holiday still comes first
    _step("2011-12-21", EVENING, JIU, Ask("first", 30_000)),
    _step("2011-12-21", PARENT_EVENING, PARENT_NAME, Decide("first")),
    _step("2011-12-21", CASH, PARENT_NAME, PayCash("first")),
    _step("2011-12-23", EVENING, JIU, Ask("second", 15_000)),
    _step(
        "2011-12-23",
        PARENT_EVENING,
        PARENT_NAME,
        Decide("second", "이번 주에는 벌써 용돈으로 바꿨어. 새해에 다시 신청해 줄래?"),
    ),
    _step("2011-12-28", US_OPEN, JIU, Trade("buy", "MSFT", 2)),
    _step("2011-12-30", EVENING, JIU, Ask("waiting", 20_000)),
)
"""지우 (classic rules) buys US stocks at replayed prices and sells two of them at a profit; one
request is approved and paid in cash, one rejected with a reason, one waits for the parent. 하늘
(beginner rules: Korean stocks, practice fills) holds a small portfolio."""

WATCHED = sorted(
    {s for s in DEMO_PRICES if s != "USDKRW=X"} | {s.act.symbol for s in STORY if isinstance(s.act, Trade)}
)


def replay_clock(now: datetime) -> tuple[ReplayClock, datetime]:
    """The replay clock that replays :data:`HISTORY_START` on the family's first day and the first
    week of 2012 today, on today's weekday; and the first day's start (UTC midnight)."""
    today = now.astimezone(UTC).date()
    replay_today = DEFAULT_REPLAY_START + timedelta(
        days=(today.weekday() - DEFAULT_REPLAY_START.weekday()) % 7
    )
    first_day = datetime.combine(today - (replay_today - HISTORY_START), time(0), UTC)
    return ReplayClock(HISTORY_START, first_day, 1.0), first_day


class DemoClock:
    """The server's clock while the history is lived: moved forward by hand, never back."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)


@dataclass
class _History:
    db: Database
    demo: DemoFamily
    calendars: MarketCalendars
    payments: Payments
    clock: DemoClock
    refresher: Refresher
    jobs: MarketJobs
    dispatcher: Dispatcher
    requests: dict[str, str] = field(default_factory=dict)

    def morning(self) -> None:
        """What the background threads do once the replay has moved to a new day: its prices and
        FX rate recorded, queued orders filled at the open, notifications (and on Mondays the weekly
        summaries) delivered. In replay mode prices move only then, so a day needs no other pass."""
        self.refresher.run_once()
        self.jobs.run_once()
        self.dispatcher.run_once()

    def runner(self, who: str) -> Runner:
        chain = self.refresher.chain  # its replay knows where a bundled history ends, as the server's does
        # no trading budget: the story's pace is its own
        gateway = Gateway(self.db, self.clock, self.calendars, budget=False, market=lambda: chain)
        return Runner(gateway, self.demo.principal(who, self.clock()))

    def act(self, who: str, act: Act) -> None:
        runner = self.runner(who)
        if isinstance(act, Trade):
            with self.db.read() as session:
                quote = latest_quotes(session, [act.symbol])[act.symbol]
            args = {
                "trade_id": new_id(),
                "side": act.side,
                "symbol": act.symbol,
                "quantity": act.shares * MICRO,
                "quote_id": quote.quote_id,  # the price the app showed the child
                "price": quote.price,
            }
            if act.journal is not None:
                args["journal"] = act.journal
            _check(runner.run("trade.place/v1", args), act)
        elif isinstance(act, Ask):
            self.requests[act.label] = new_id()
            args = {"request_id": self.requests[act.label], "amount_game": act.amount_game}
            _check(runner.run("allowance.request/v1", args), act)
        elif isinstance(act, Decide):
            seen = self._request(act.label)
            args = {
                "child_id": seen["child_id"],
                "request_id": seen["request_id"],
                "version": seen["version"],
                "amount_real": seen["amount_real"],
                "decision": "approve" if act.reason is None else "reject",
            }
            if act.reason is not None:
                args["reason"] = act.reason
            _check(runner.run("allowance.decide/v1", args), act)
        else:
            # the same path as PUT /api/allowance/{id}/paid; a refusal raises its problem
            self.payments.pay(runner, self.requests[act.label], rail="manual", method="cash")

    def _request(self, label: str) -> dict[str, object]:
        with self.db.read() as session:
            row = session.get(RequestRow, self.requests[label])
            assert row is not None
            return dict(row.data)


def _check(result: MutationResult, act: Act) -> None:
    if result.status is Outcome.REJECTED:
        raise DemoError(f"the demo family's history could not do {act}: {result.code} {result.detail}")


def _moment(first_day: datetime, step: Step, calendars: MarketCalendars) -> datetime:
    """When ``step`` happens on the server's clock: its replayed day's slot, or for a trade the
    next day its market is really open at that time."""
    moment = first_day + timedelta(days=(step.day - HISTORY_START).days) + _since_midnight(step.at)
    if isinstance(step.act, Trade):
        market: Market = market_of(step.act.symbol)
        for _ in range(14):
            if calendars.is_open(market, moment):
                break
            moment += timedelta(days=1)
    return moment


def _since_midnight(at: time) -> timedelta:
    return timedelta(hours=at.hour, minutes=at.minute)


def first_quotes(db: Database, chain: ProviderChain, now: datetime) -> None:
    """The demo's symbols get their first quotes, so the refresher watches them from then on.

    Only until the server prices every symbol a family asks about by itself (the market work on
    "watched symbols"): then this goes, and the first trades' price lookups start the watching.
    """
    record_quotes(db, chain, WATCHED, now)


def live_history(db: Database, settings: Settings, demo: DemoFamily, now: datetime) -> None:
    """Set the replay clock, make the family on its first day and live :data:`STORY` up to ``now``,
    with the background passes run at the start of every day and around every step."""
    replay, first_day = replay_clock(now)
    save_config(db, MarketConfig("replay", replay))
    clock = DemoClock(first_day + _since_midnight(SETUP))
    create_family(db, settings, demo, clock())
    chain = build_chain(db, settings.data_dir, clock())
    calendars = chain.calendars
    payments = Payments(rails_from_settings(settings), cipher_from_settings(settings))
    state = State({"market_provider": chain, "market_clock": calendars})
    history = _History(
        db,
        demo,
        calendars,
        payments,
        clock,
        Refresher(db, chain, clock, calendars),
        MarketJobs(db, clock, state),
        Dispatcher(db, clock),
    )
    first_quotes(db, chain, clock())
    history.morning()
    today = datetime.combine(now.astimezone(UTC).date(), time(0), UTC)
    mornings: list[tuple[datetime, int, Step | None]] = [
        (day, -1, None) for day in _weekdays(first_day + timedelta(days=1), today)
    ]
    steps: list[tuple[datetime, int, Step | None]] = [
        (_moment(first_day, step, calendars), i, step) for i, step in enumerate(STORY)
    ]
    for moment, _, step in sorted(mornings + steps, key=lambda p: (p[0], p[1])):
        if moment >= now:
            raise DemoError(f"the demo family's history reached today before {step}")
        clock.move_to(moment)
        if step is None:
            history.morning()
        else:
            history.act(step.who, step.act)
            clock.move_to(moment + timedelta(seconds=1))
            history.dispatcher.run_once()  # its notifications, a second later


def _weekdays(first: datetime, end: datetime) -> list[datetime]:
    """Each weekday's start before ``end``, five minutes in (the replay has moved to the new day; on
    weekends it replays a weekend too, so nothing moves)."""
    days = []
    day = first + timedelta(minutes=5)
    while day < end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days

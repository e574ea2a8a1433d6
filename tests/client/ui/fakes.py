"""In-memory stand-ins for the client core (client/runtime.py), built from its own types.

The screens only see ``Runtime``/``Profile``/``LocalView``; these twins keep a child's book in a
``MemoryBook`` and apply each action with the shared handlers, as the real core replays pending
mutations over the confirmed state. Network calls answer from canned data or fail as OFFLINE.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from client.engine import SyncState, SyncStatus
from client.runtime import Identity, LocalView, OutcomeItem, PendingItem
from sync.book import MemoryBook
from sync.context import Context
from sync.errors import Rejected
from sync.handlers import decide
from sync.ledger import position_account
from sync.market import Quote
from sync.records import Actor, Position, Role, Stats
from sync.rules import HouseRules

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 11:00 in Seoul: KRX open, US closed


class FakeApiError(Exception):
    """Shaped like client.net.api.ApiError."""

    def __init__(self, status: int, code: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.detail = status, code, detail or {}


@dataclass
class FakeApi:
    online: bool = True
    series: list[dict[str, Any]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)  # more of the history route's answer (``ended``)
    read: list[str] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=lambda: {"markets": []})
    market: dict[str, Any] = field(default_factory=dict)  # the benchmark part of /performance
    headlines: dict[str, Any] = field(default_factory=dict)  # symbol → the news route's answer
    board: dict[str, Any] = field(default_factory=lambda: {"enabled": False, "week": [], "since_start": []})
    missions_list: list[dict[str, Any]] = field(default_factory=list)  # the missions route's answer
    created: list[tuple[str, str, int, int]] = field(default_factory=list)  # missions set: (child, kind, …)

    def _check(self) -> None:
        if not self.online:
            raise FakeApiError(0, "OFFLINE")

    async def performance(self, user_id: str, range_: str = "1M") -> dict[str, Any]:
        self._check()
        return {"series": self.series, "range": range_, "twr_pct": 1.5, **self.market}

    async def history(
        self, symbol: str, range_: str = "1M", interval: str | None = None
    ) -> list[dict[str, Any]] | dict[str, Any]:
        self._check()
        return {"bars": self.bars, **self.chart} if self.chart else self.bars

    async def news(self, symbol: str) -> dict[str, Any]:
        self._check()
        return self.headlines[symbol]

    async def leaderboard(self) -> dict[str, Any]:
        self._check()
        return self.board

    async def market_status(self) -> dict[str, Any]:
        self._check()
        return self.status

    async def missions(self, child_id: str) -> list[dict[str, Any]]:
        self._check()
        return self.missions_list

    async def create_mission(self, child_id: str, kind: str, target: int, reward: int) -> dict[str, Any]:
        self._check()
        self.created.append((child_id, kind, target, reward))
        return {}

    async def cancel_mission(self, child_id: str, mission_id: str) -> dict[str, Any]:
        self._check()
        return {}

    async def mark_notification_read(self, notification_id: str) -> None:
        self._check()
        self.read.append(notification_id)


def notification(
    notification_id: str,
    user: Identity,
    title: str,
    body: str,
    *,
    event: str = "TradeExecuted",
    read: bool = False,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An inbox row in the shape the pull carries it: built by the server's own serializer."""
    from server.db.models import Notification
    from server.notify.inbox import notification_data

    row = Notification(
        id=notification_id,
        family_id=user.family_id,
        user_id=user.user_id,
        child_id=user.user_id if user.role == "child" else None,
        event=event,
        title=title,
        body=body,
        data=data or {},
        created_at=NOW - timedelta(minutes=5),
        read_at=NOW if read else None,
    )
    return notification_data(row)


def quote(symbol: str, price: int, *, age: timedelta = timedelta(minutes=2), qid: str | None = None) -> Quote:
    currency = "KRW" if symbol.endswith((".KS", ".KQ")) else "USD"
    return Quote(qid or f"q-{symbol}-{price}", symbol, price, currency, NOW - age, seq=1)


def child_book(
    child_id: str = "kid-1",
    *,
    cash: int = 1_000_000,
    positions: dict[str, tuple[int, int]] | None = None,  # symbol → (micro-shares, cost)
    realised: int = 0,
    rules: HouseRules | None = None,
) -> MemoryBook:
    book = MemoryBook(child_id=child_id, rules_=rules or HouseRules())
    book.balances = {"cash": cash, "grants": -1_000_000}
    for symbol, (qty, cost) in (positions or {}).items():
        book.positions_[symbol] = Position(symbol=symbol, quantity=qty, cost=cost)
        book.balances[position_account(symbol)] = qty  # the shares the ledger holds (a sell takes them)
    book.stats_ = Stats(child_id=child_id, invested=1_000_000, realised=realised)
    return book


class FakeProfile:
    def __init__(self, identity: Identity, book: MemoryBook, *, clock: Callable[[], datetime] = lambda: NOW):
        self.identity, self.book, self.clock = identity, book, clock
        self.quotes: dict[str, Quote] = {}
        self.pending: list[PendingItem] = []
        self.outcomes: list[OutcomeItem] = []
        self.notifications: list[dict[str, Any]] = []
        self.status = SyncStatus(SyncState.IDLE, NOW - timedelta(minutes=2), 0, None)
        self.api = FakeApi()
        self.charts: dict[tuple[str, str], Any] = {}
        self.acted: list[tuple[str, dict[str, Any]]] = []
        self.seen: list[str] = []
        self._listeners: list[Callable[[], None]] = []

    def add_quote(self, q: Quote) -> None:
        self.quotes[q.symbol] = q
        self.book.add_quote(q)

    def view(self) -> LocalView:
        return LocalView(
            me=self.identity,
            books={self.book.child_id: self.book},
            members=[
                {"user_id": KID.user_id, "role": "child", "display_name": KID.display_name},
                {"user_id": MOM.user_id, "role": "parent", "display_name": MOM.display_name},
            ],
            quotes=dict(self.quotes),
            pending=list(self.pending),
            outcomes=list(self.outcomes),
            notifications=list(self.notifications),
            status=replace(self.status, pending=len(self.pending)),
        )

    def notify(self) -> None:
        for fn in list(self._listeners):
            fn()

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    async def act(self, name: str, args: dict[str, Any]) -> PendingItem:
        """Like the core: record the mutation and show its predicted effect (replayed locally)."""
        actor = Actor(self.identity.user_id, Role(self.identity.role), self.identity.family_id)
        ctx = Context(
            actor=actor, child_id=self.book.child_id, now=self.clock(), mutation_id=f"m{len(self.acted)}"
        )
        with contextlib.suppress(Rejected):  # predicted to fail: it still waits for the server's word
            self.book.apply(decide(name, args, self.book, ctx))
        self.acted.append((name, args))
        item = PendingItem(len(self.acted), f"m{len(self.acted)}", name, args, self.clock())
        self.pending.append(item)
        self.notify()
        return item

    async def cancel_pending(self, seq: int) -> bool:
        return False

    async def sync_now(self) -> SyncStatus:
        return self.view().status

    async def mark_seen(self, mutation_ids: list[str]) -> None:
        self.seen.extend(mutation_ids)
        self.outcomes = [replace(o, seen=True) if o.mutation_id in mutation_ids else o for o in self.outcomes]
        self.notify()


KID = Identity("kid-1", "child", "fam-1", "민수", "dev-1", "http://127.0.0.1:8787")
MOM = Identity("mom-1", "parent", "fam-1", "엄마", "dev-2", "http://127.0.0.1:8787")


class FakeRuntime:
    """Enrolment, unlock and parent mode with fixed secrets: code ABCD-1234, PIN 1234, parent password
    parent-pw (e-mail mom@example.org when the parent first signs in on this device).

    Like the core: a parent identity opened on a child's device becomes the active profile, ``lock``
    drops it (and its sign-in) and the child's profile is active again."""

    def __init__(
        self, profile: FakeProfile | None = None, *, enrolled: bool = True, parent: bool = False
    ) -> None:
        self.profile = profile or FakeProfile(KID, child_book())
        self.parent_profile = FakeProfile(MOM, child_book("kid-1"))
        self._identities = [self.profile.identity] if enrolled else []
        if parent:
            self._identities.append(MOM)
        self.active: FakeProfile | None = None
        self.stepped_up: list[str] = []
        self.calls: list[str] = []
        self.session_listeners: list[Callable[[Identity], None]] = []

    def subscribe(self, fn: Callable[[Identity], None]) -> Callable[[], None]:
        self.session_listeners.append(fn)
        return lambda: self.session_listeners.remove(fn)

    def identities(self) -> list[Identity]:
        return list(self._identities)

    async def enroll_with_code(
        self, server_url: str, code: str, device_name: str, **account: str
    ) -> FakeProfile:
        self.calls.append(f"enroll {server_url} {code} {device_name}")
        if code != "ABCD-1234":
            raise FakeApiError(404, "NOT_FOUND")
        self._identities = [self.profile.identity]
        self.active = self.profile
        return self.profile

    async def join(self, server_url: str, code: str, device_name: str, **account: str) -> Identity:
        """Like the core: a child's code enrols the device and leaves it locked (her PIN opens it)."""
        await self.enroll_with_code(server_url, code, device_name, **account)
        self.active = None
        return self.profile.identity

    async def register_parent(self, *args: Any) -> FakeProfile:
        raise FakeApiError(0, "OFFLINE")

    async def move_server(self, parent: Identity, server_url: str, password: str) -> FakeProfile:
        """No second server here: the move is tested on the real core (tests/client/core/test_moving.py)."""
        raise FakeApiError(0, "OFFLINE")

    async def sign_in_parent(
        self, server_url: str, email: str, password: str, device_name: str
    ) -> FakeProfile:
        self.calls.append(f"sign_in {server_url} {email} {device_name}")
        if (email, password) != ("mom@example.org", "parent-pw"):
            raise FakeApiError(401, "UNAUTHENTICATED")
        self._identities.append(MOM)
        self.active = self.parent_profile
        return self.parent_profile

    async def unlock_child(self, identity: Identity, pin: str) -> FakeProfile:
        if pin != "1234":
            raise FakeApiError(401, "BAD_PIN")
        self.active = self.profile
        return self.profile

    async def unlock_parent(self, identity: Identity, password: str) -> FakeProfile:
        if password != "parent-pw":
            raise FakeApiError(401, "UNAUTHENTICATED")
        self.active = self.parent_profile
        return self.parent_profile

    async def step_up(self, profile: FakeProfile, password: str) -> None:
        if password != "parent-pw":
            raise FakeApiError(401, "UNAUTHENTICATED")
        self.stepped_up.append(profile.identity.user_id)

    async def lock(self) -> None:
        self.calls.append("lock")
        children = [i for i in self._identities if i.role == "child"]
        self.active = self.profile if children else None

    async def sign_out(self, identity: Identity) -> None:
        self._identities.remove(identity)

    async def close(self) -> None:
        return None

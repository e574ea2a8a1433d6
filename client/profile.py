"""One signed-in identity — its local store, API client and sync engine — and what the screens read.

Screens read ``Profile.view()`` — built only from the local database, so it works offline — and
change things only through ``Profile.act()``; online-only calls go through ``Profile.api``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from sync.book import MemoryBook
from sync.market import Quote

from .clock import new_id, utcnow
from .engine import SyncEngine, SyncStatus
from .net.api import ApiClient
from .net.live import LiveClient
from .store import LocalStore, PendingRow

__all__ = ["Identity", "LocalView", "OutcomeItem", "PendingItem", "Profile"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """One enrolled user on this installation (= one local database = one ``client_id``)."""

    user_id: str
    role: str  # "child" | "parent"
    family_id: str
    display_name: str
    client_id: str
    server_url: str


@dataclass(frozen=True)
class PendingItem:
    seq: int
    mutation_id: str
    name: str
    args: dict[str, Any]
    created_at: datetime
    at_risk: bool = False
    code: str | None = None
    sent: bool = False  # sent once: it can no longer be cancelled, only followed (C4)


@dataclass(frozen=True)
class OutcomeItem:
    mutation_id: str
    seq: int
    name: str
    args: dict[str, Any]
    status: str
    code: str | None
    detail: dict[str, Any] | None
    seen: bool = False
    created_at: datetime | None = None  # when the child made it on the device


@dataclass(frozen=True)
class LocalView:
    """confirmed ⊕ replay(pending), read from the local database only."""

    me: Identity
    books: dict[str, MemoryBook]  # child_id → that child's rebased book
    members: list[dict[str, Any]]  # {user_id, role, display_name}
    quotes: dict[str, Quote]  # newest known quote per symbol
    pending: list[PendingItem]
    outcomes: list[OutcomeItem]  # rejected/adjusted results, for the inbox
    notifications: list[dict[str, Any]]  # newest first
    status: SyncStatus


def _pending_item(p: PendingRow) -> PendingItem:
    return PendingItem(
        p.seq, p.mutation_id, p.name, p.args, p.created_at, p.at_risk, p.code, p.first_sent_at is not None
    )


class Profile:
    """One enrolled identity, signed in: its ``LocalStore`` + ``ApiClient`` + ``SyncEngine``."""

    def __init__(
        self,
        identity: Identity,
        store: LocalStore,
        api: ApiClient,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.identity, self.store, self.api, self.clock = identity, store, api, clock
        self._subscribers: list[Callable[[], None]] = []
        self.engine = SyncEngine(store, api, clock=clock, on_change=self._notify)
        api.on_reach = self.engine.reached
        self.charts: dict[tuple[str, str], Any] = {}  # the last chart each screen loaded, shown offline
        self.live: LiveClient | None = None
        self._view: LocalView | None = None

    # -- reading -----------------------------------------------------------------------------------
    def view(self) -> LocalView:
        """The local view; rebuilt after each change, shared by every screen until the next one."""
        if self._view is None:
            self._view = self._build_view()
            return self._view
        return dataclasses.replace(self._view, status=self.engine.status())

    def _build_view(self) -> LocalView:
        store = self.store
        members = sorted(store.confirmed_entities("member").values(), key=lambda m: m.get("user_id", ""))
        quotes: dict[str, Quote] = {}
        for data in store.confirmed_entities("quote").values():
            quote = msgspec.convert(data, Quote, strict=False)
            known = quotes.get(quote.symbol)
            if known is None or (quote.seq, quote.as_of) > (known.seq, known.as_of):
                quotes[quote.symbol] = quote
        notes = sorted(
            store.confirmed_entities("notification").values(),
            key=lambda n: (str(n.get("created_at", "")), str(n.get("notification_id", ""))),
            reverse=True,
        )
        outcomes = [
            OutcomeItem(
                o.mutation_id, o.seq, o.name, o.args, o.status, o.code, o.detail, o.seen, o.created_at
            )
            for o in store.outcomes(applied=False)
        ]
        pending = [_pending_item(p) for p in store.pending() if p.name != "noop/v1"]
        return LocalView(
            me=self.identity,
            books=dict(store.view_books()),
            members=members,
            quotes=quotes,
            pending=pending,
            outcomes=outcomes,
            notifications=notes,
            status=self.engine.status(),
        )

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        """``fn`` runs after every local commit, applied pull and status change."""
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(fn)

        return unsubscribe

    def _notify(self) -> None:
        self._view = None
        for fn in list(self._subscribers):
            try:
                fn()
            except Exception:  # a broken screen must not stop the sync loop
                log.exception("a view subscriber failed")

    # -- acting ------------------------------------------------------------------------------------
    async def act(self, name: str, args: dict[str, Any]) -> PendingItem:
        """C1: queue the mutation and its predicted effect in one local transaction; "done" after it."""
        row = self.store.record(name, args, new_id(), self.engine.server_now())
        self._notify()
        self.engine.kick()
        return _pending_item(row)

    async def cancel_pending(self, seq: int) -> bool:
        """C4: a never-sent mutation becomes a no-op (True); one already sent cannot be (False)."""
        async with self.engine.lock:  # not while a push may be sending it
            cancelled = self.store.cancel(seq, self.engine.server_now())
        if cancelled:
            self._notify()
            self.engine.kick()
        return cancelled

    async def sync_now(self) -> SyncStatus:
        return await self.engine.sync_once()

    async def mark_seen(self, mutation_ids: list[str]) -> None:
        self.store.mark_seen(mutation_ids)
        self._notify()

    def start_live(self, symbols: Iterable[str] = ()) -> LiveClient:
        """Open the live channel: server pokes and notifications make the engine pull at once;
        quotes of the watched symbols (``live.watch(symbols)``) are kept like pulled ones."""
        if self.live is None:
            self.live = LiveClient(
                self.api.server_url,
                token=self.api.access_token,
                refresh=self.api.refresh_after,
                on_poke=self.engine.poke,
                on_quote=self._on_quote,
                on_lost=self.engine.poke,  # a dropped channel: a round now tells whether we are offline
                symbols=symbols,
            )
        self.live.start()
        return self.live

    async def move_to(self, server_url: str) -> None:
        """The family server answers at a new address: this identity follows it with the same
        ``client_id``, database, queue and session (it is the same server), and sends what waits."""
        async with self.engine.lock:  # between rounds: no push is half sent to each address
            self.store.set_meta(server_url=server_url)
            self.api.move_to(server_url)
            self.identity = dataclasses.replace(self.identity, server_url=server_url)
        if self.live is not None:
            await self.live.move_to(server_url)
        self._notify()
        self.engine.kick()

    def _on_quote(self, message: dict[str, Any]) -> None:
        asyncio.get_running_loop().create_task(self.keep_quote(message))

    async def keep_quote(self, message: dict[str, Any]) -> None:
        """Keep a pushed quote (not while a pull is being applied: it would replace the replica)."""
        data = {k: message[k] for k in ("quote_id", "symbol", "price", "currency", "as_of", "source")}
        data["seq"] = int(message.get("seq") or 0)
        async with self.engine.lock:
            kept = self.store.keep_quote(data, self.engine.server_now())
        if kept:
            self._notify()

    async def follow(self, symbols: Iterable[str]) -> None:
        """Receive these symbols' prices while a screen shows them (nothing happens offline)."""
        if self.live is not None:
            await self.live.watch(symbols)

    async def close(self) -> None:
        if self.live is not None:
            await self.live.stop()
        await self.engine.stop()
        async with self.engine.lock:  # a round running on another task (``sync_now``) ends first
            await self.api.close()
            self.store.close()

"""The ``/ws`` socket: authenticate with the first message, then relay this process's share of the
family's events and the quotes of subscribed symbols.

Each socket has one writer (its queue), so replies, pokes, notifications and quotes never interleave
mid-send; the reader only parses and queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
import msgspec
from litestar import WebSocket, websocket
from litestar.datastructures import State
from litestar.exceptions import WebSocketDisconnect

from sync.errors import Code, ProtocolCode
from sync.market import Quote, market_of
from sync.records import Role

from ..auth.middleware import load_principal
from ..auth.tokens import AccessClaims, InvalidToken, decode_access
from ..db import Database
from ..market.clock import provide_market_clock
from ..market.pricer import provide_pricer
from ..market.quotes import latest_quotes, record_served, unserved_quotes
from ..notify.inbox import parent_audience
from ..principal import Principal
from ..settings import Settings
from .commits import publish_commits
from .hub import FamilyEvent, Hub, make_hub
from .messages import (
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    MAX_CHANNELS,
    MAX_MESSAGE,
    Auth,
    Subscribe,
    decode_inbound,
    error,
    price_symbol,
    quote_message,
)

__all__ = ["LiveChannel"]

_log = logging.getLogger("yongdon.live")
_PARENT_ONLY = parent_audience("")  # the prefix of audiences only one parent may pull
RECHECK = timedelta(seconds=30)  # a revoked session or device keeps its socket at most this long
_QUEUE = 256  # a socket this far behind is not reading; further messages are dropped (pull catches up)


_Due = tuple["_Listener", list[str], dict[str, int]]  # a socket, its open symbols, the seqs it has


@dataclass(frozen=True)
class _Close:
    """Queued to make the writer close the socket with 4401 and ``reason``."""

    reason: str


@dataclass(eq=False)
class _Listener:
    principal: Principal
    claims: AccessClaims
    checked_at: datetime  # when the user, device and session were last found still active
    queue: asyncio.Queue[dict[str, Any] | _Close] = field(default_factory=lambda: asyncio.Queue(_QUEUE))
    symbols: set[str] = field(default_factory=set)
    sent: dict[str, int] = field(default_factory=dict)  # symbol -> seq of the newest quote looked at

    def sees(self, audience: str | None) -> bool:
        """The pull's scoping (``server.replication.pull``): a child its own rows, a parent its
        children's and its own parent-only rows, everyone the family-wide rows."""
        me = self.principal
        if audience is None:
            return True
        if me.role is Role.PARENT:
            return audience == parent_audience(me.user_id) or not audience.startswith(_PARENT_ONLY)
        return audience == me.user_id

    def offer(self, message: dict[str, Any] | _Close) -> None:
        try:
            if isinstance(message, _Close) and self.queue.full():
                self.queue.get_nowait()  # closing matters more than the oldest message
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            _log.warning(
                "live socket not reading; message dropped", extra={"user_id": self.principal.user_id}
            )


class LiveChannel:
    """The sockets of this process, the hub that feeds them and the quote pump."""

    def __init__(self, db: Database, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.hub: Hub = make_hub(settings.redis_url, settings.redis_prefix)
        self._families: dict[str | None, set[_Listener]] = {}
        self._pump: asyncio.Task[None] | None = None
        self._state: State | None = None
        self._ticking = asyncio.Lock()
        publish_commits(db.engine, self.hub.publish)

    @property
    def route(self) -> Any:
        @websocket("/ws", name="live")
        async def live(socket: WebSocket[Any, Any, Any]) -> None:
            """The live channel (see ``server.live``)."""
            await self.serve(socket)

        return live

    async def start(self, state: State) -> None:
        self._state = state
        self._ticking = asyncio.Lock()  # bound to this loop (a restarted app runs on a new one)
        await self.hub.start(self.receive)
        self._pump = asyncio.create_task(self._pump_quotes(), name="yongdon-live-quotes")

    async def stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        await self.hub.stop()

    # -- events from the hub (on the event loop) -------------------------------------------------------

    def receive(self, event: FamilyEvent) -> None:
        """Poke every socket that can see one of the rows; hand each new notification to its owner."""
        for listener in self._families.get(event.family_id, ()):
            if any(listener.sees(audience) for audience in event.audiences):
                listener.offer({"type": "poke"})
            for item in event.notifications:
                if item.get("user_id") == listener.principal.user_id:
                    listener.offer({"type": "notification", **item})

    # -- one socket ----------------------------------------------------------------------------------------

    async def serve(self, socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        try:
            listener = await self._authenticate(socket)
        except WebSocketDisconnect:
            return
        if listener is None:
            return
        family = self._families.setdefault(listener.principal.family_id, set())
        family.add(listener)
        try:
            listener.offer({"type": "ready", "user_id": listener.principal.user_id})
            async with anyio.create_task_group() as group:

                async def write() -> None:
                    await self._write(socket, listener)
                    group.cancel_scope.cancel()

                group.start_soon(write)
                await self._read(socket, listener)
                group.cancel_scope.cancel()
        finally:
            family.discard(listener)
            if not family:
                self._families.pop(listener.principal.family_id, None)

    async def _authenticate(self, socket: WebSocket[Any, Any, Any]) -> _Listener | None:
        """The first message must be ``auth`` within the timeout; anything else closes with 4401."""
        try:
            with anyio.fail_after(self.settings.live_auth_timeout_s):
                text = await socket.receive_data(mode="text")
        except TimeoutError:
            await _refuse(socket, "authenticate within the time limit")
            return None
        if len(text) > MAX_MESSAGE:  # under a server without a frame bound: not parsed, not kept
            _log.info("live socket refused", extra={"reason": "first message too big"})
            await socket.close(CLOSE_TOO_BIG, "a message is at most 8 KiB")
            return None
        try:
            message = decode_inbound(text)
        except msgspec.MsgspecError:
            message = None
        if not isinstance(message, Auth):
            await _refuse(socket, 'the first message must be {"type": "auth", "token": …}')
            return None
        checked = await anyio.to_thread.run_sync(self._verify, message.token)
        if checked is None:
            await _refuse(socket, "the access token is not valid")
            return None
        principal, claims = checked
        socket.scope["user"] = principal  # the request log names the caller, as for HTTP
        return _Listener(principal, claims, self.clock())

    def _verify(self, token: str) -> tuple[Principal, AccessClaims] | None:
        """Exactly the bearer middleware's checks: signature and claims, then user, device, session."""
        try:
            claims = decode_access(token, self.clock(), self.settings)
        except InvalidToken:
            return None
        principal = load_principal(self.db, claims)
        return None if principal is None else (principal, claims)

    async def _read(self, socket: WebSocket[Any, Any, Any], listener: _Listener) -> None:
        while True:
            try:
                text = await socket.receive_data(mode="text")
            except WebSocketDisconnect:
                return  # the device went away: an ordinary end, not an error of the task group
            try:
                message = decode_inbound(text)
            except msgspec.MsgspecError as problem:
                listener.offer(error(Code.INVALID_ARGS, f"unreadable message: {problem}"))
                continue
            if isinstance(message, Auth):
                await self._reauthenticate(listener, message.token)
            elif isinstance(message, Subscribe):
                added = self._subscribe(listener, message.channels)
                if added:
                    await anyio.to_thread.run_sync(self._price, added)
            else:
                listener.symbols.difference_update(s for c in message.channels if (s := price_symbol(c)))
                listener.offer({"type": "subscribed", "channels": _channels(listener)})

    async def _reauthenticate(self, listener: _Listener, token: str) -> None:
        """A fresh access token for the same user extends the socket past the old token's expiry."""
        checked = await anyio.to_thread.run_sync(self._verify, token)
        if checked is None or checked[0].user_id != listener.principal.user_id:
            listener.offer(
                error(ProtocolCode.UNAUTHENTICATED, "the access token is not valid for this socket")
            )
            return
        listener.claims, listener.checked_at = checked[1], self.clock()
        listener.offer({"type": "ready", "user_id": listener.principal.user_id})

    def _subscribe(self, listener: _Listener, channels: list[str]) -> set[str]:
        """Add the price channels among ``channels``; returns the symbols that were new to the socket."""
        refused = [c for c in channels if price_symbol(c) is None]
        wanted = {s for c in channels if (s := price_symbol(c))}
        if len(listener.symbols | wanted) > MAX_CHANNELS:
            listener.offer(error(Code.LIMIT_EXCEEDED, f"at most {MAX_CHANNELS} channels per socket"))
            return set()
        if refused:
            listener.offer(
                error(Code.FORBIDDEN, "only prices:<symbol> channels may be named", channels=refused)
            )
        added = wanted - listener.symbols
        listener.symbols |= wanted
        listener.offer({"type": "subscribed", "channels": _channels(listener)})
        return added

    def _price(self, symbols: set[str]) -> None:
        """Watch subscribed symbols, giving a first quote to any that has none: the next round sends it."""
        if self._state is None:
            return
        try:
            provide_pricer(self._state).ensure(symbols, self.clock())
        except Exception:  # noqa: BLE001 - a busy database: the next subscribe or price request retries
            _log.warning("pricing subscribed symbols failed", exc_info=True)

    async def _write(self, socket: WebSocket[Any, Any, Any], listener: _Listener) -> None:
        while True:
            message = await listener.queue.get()
            if isinstance(message, _Close):
                await socket.close(CLOSE_UNAUTHENTICATED, message.reason)
                return
            try:
                await socket.send_json(message)
            except WebSocketDisconnect:
                return

    # -- quotes ----------------------------------------------------------------------------------------------

    async def _pump_quotes(self) -> None:
        while True:
            await asyncio.sleep(self.settings.live_quote_interval_s)
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - a busy database skips one round, the pump keeps going
                _log.warning("live quote round failed", exc_info=True)

    async def tick(self) -> None:
        """One round: close sockets whose token expired or whose session or device was revoked, then
        send each socket the quotes new to it. Rounds never overlap (a socket would get a quote twice)."""
        async with self._ticking:
            await self._tick()

    async def _tick(self) -> None:
        now = self.clock()
        # off the event loop: the first ask builds the app's price chain (database reads)
        state = self._state
        market_clock = (
            await anyio.to_thread.run_sync(provide_market_clock, state) if state is not None else None
        )
        due: list[tuple[_Listener, list[str]]] = []
        stale: list[_Listener] = []
        for family in self._families.values():
            for listener in family:
                if now >= listener.claims.issued_at + self.settings.access_ttl:
                    listener.offer(_Close("the access token expired: authenticate again"))
                    continue
                if now - listener.checked_at >= RECHECK:
                    stale.append(listener)
                symbols = [
                    s for s in listener.symbols if market_clock and market_clock.is_open(market_of(s), now)
                ]
                if symbols:
                    due.append((listener, sorted(symbols)))
        if stale:
            await self._recheck(stale, now)
        if not due:
            return
        snapshot = [(listener, symbols, dict(listener.sent)) for listener, symbols in due]
        for listener, quotes, checked in await anyio.to_thread.run_sync(self._new_quotes, snapshot):
            listener.sent.update(checked)
            for quote in quotes:
                listener.offer(quote_message(quote))

    async def _recheck(self, listeners: list[_Listener], now: datetime) -> None:
        """A signed-out session, a revoked device or a deleted user ends the socket, not only the
        next HTTP request: the bearer middleware's database check, again."""
        claims = [listener.claims for listener in listeners]
        found = await anyio.to_thread.run_sync(lambda: [load_principal(self.db, c) for c in claims])
        for listener, principal in zip(listeners, found, strict=True):
            if principal is None:
                listener.offer(_Close("the session or device was revoked"))
            else:
                listener.checked_at = now

    def _new_quotes(self, due: list[_Due]) -> list[tuple[_Listener, list[Quote], dict[str, int]]]:
        """From the quote cache, never the provider: one read for every socket, and a write only for
        a device with something new. A device's quotes are recorded as served to it before it sees
        them, because the fill rule accepts "the newest quote served to that device"."""
        found = []
        served: dict[str, dict[str, Quote]] = {}  # a device with two sockets is written once
        with self.db.read() as session:
            latest = latest_quotes(session, {s for _, symbols, _ in due for s in symbols})
            for listener, symbols, sent in due:
                newer = {s: q for s in symbols if (q := latest.get(s)) is not None and q.seq > sent.get(s, 0)}
                if not newer:
                    continue
                me = listener.principal
                quotes = list(newer.values())
                if me.client_id is not None and me.family_id is not None:
                    # a quote the device already has (from a pull, or a newer one) is not sent again
                    quotes = unserved_quotes(session, me.client_id, newer, latest=newer)
                    served.setdefault(me.client_id, {}).update((q.symbol, q) for q in quotes)
                found.append((listener, quotes, {q.symbol: q.seq for q in newer.values()}))
        # one short write, and only for the devices with something new
        record_served(self.db, {device: list(q.values()) for device, q in served.items()})
        return found


def _channels(listener: _Listener) -> list[str]:
    return [f"prices:{s}" for s in sorted(listener.symbols)]


async def _refuse(socket: WebSocket[Any, Any, Any], reason: str) -> None:
    _log.info("live socket refused", extra={"reason": reason})
    await socket.close(CLOSE_UNAUTHENTICATED, reason)

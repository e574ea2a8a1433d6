"""``LiveClient``: the device end of ``GET /ws`` (api.md, "Live channel").

It connects, authenticates with its first message (a token never goes into a URL), subscribes to
``prices:<symbol>`` channels, and then calls ``on_poke`` for ``poke`` and ``notification`` messages
(the engine pulls) and ``on_quote`` for ``quote`` messages. A lost connection is retried with
jittered backoff capped at 60 s. A 4401 close (the token expired, at connect or while open) asks
for a fresh token first — ``refresh(refused)``, which takes the one the sync loop may have got
meanwhile, else refreshes — and reconnects at once; only a session that is over stops it.
Every (re)connect also pokes: whatever happened while the socket was down is pulled.

The socket is a hint channel only: missing a message loses nothing, because the pull is the source
of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

__all__ = ["CLOSE_UNAUTHENTICATED", "LiveClient", "ws_url"]

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
BACKOFF_CAP_S = 60.0


def ws_url(server_url: str) -> str:
    """``http://host:port`` → ``ws://host:port/ws`` (``https`` → ``wss``)."""
    base = server_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/ws"
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :] + "/ws"
    raise ValueError(f"not an http(s) server URL: {server_url!r}")


class LiveClient:
    """One reconnecting socket for one signed-in profile."""

    def __init__(
        self,
        server_url: str,
        *,
        token: Callable[[], Awaitable[str]],
        refresh: Callable[[str], Awaitable[str]],
        on_poke: Callable[[], None],
        on_quote: Callable[[dict[str, Any]], None] = lambda message: None,
        symbols: Iterable[str] = (),
        rng: random.Random | None = None,
        on_lost: Callable[[], None] = lambda: None,
    ) -> None:
        self.url = ws_url(server_url)
        self.token, self.refresh = token, refresh
        self.on_poke, self.on_quote, self.on_lost = on_poke, on_quote, on_lost
        self.symbols: set[str] = set(symbols)
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.connected = asyncio.Event()
        self.connects = 0
        self._socket: Any = None
        self._task: asyncio.Task[None] | None = None

    # -- control ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name="yongdon-live")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def move_to(self, server_url: str) -> None:
        """The server moved: reconnect at its new address (if the socket was running)."""
        running = self._task is not None
        await self.stop()
        self.url = ws_url(server_url)
        if running:
            self.start()

    async def watch(self, symbols: Iterable[str]) -> None:
        """Follow these symbols' prices from now on (the screen's watchlist)."""
        wanted = set(symbols)
        added, removed = wanted - self.symbols, self.symbols - wanted
        self.symbols = wanted
        if self._socket is not None:
            with contextlib.suppress(Exception):  # a dead socket resubscribes on reconnect
                if added:
                    await self._send({"type": "subscribe", "channels": _channels(added)})
                if removed:
                    await self._send({"type": "unsubscribe", "channels": _channels(removed)})

    # -- the loop -----------------------------------------------------------------------------
    async def run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

        failures = 0
        refused: str | None = None  # the token the server closed the last socket for (4401)
        while True:
            unauthenticated, token = False, None
            try:
                token = await (self.refresh(refused) if refused is not None else self.token())
                refused = None
                async with connect(self.url, open_timeout=10, max_size=1 << 20) as socket:
                    self._socket = socket
                    await self._send({"type": "auth", "token": token})
                    if self.symbols:
                        await self._send({"type": "subscribe", "channels": _channels(self.symbols)})
                    async for raw in socket:
                        if self._handle(raw):
                            failures = 0
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
                if code == CLOSE_UNAUTHENTICATED and token is not None:
                    refused, unauthenticated = token, True
                log.info("live channel closed (%s)", code)
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
                log.info("live channel unreachable: %s", type(error).__name__)
            except Exception as error:  # noqa: BLE001 - e.g. ApiError from a refresh: keep trying
                if getattr(error, "status", None) == 401:
                    log.info("live channel: signed out; stopping")
                    return
                log.info("live channel failed: %s", type(error).__name__)
            finally:
                self._socket = None
                dropped = self.connected.is_set()
                self.connected.clear()
                task = asyncio.current_task()
                if dropped and not (task is not None and task.cancelling()):
                    self.on_lost()  # an open channel dropped (not stopped by us): the server may be gone
            failures += 1
            ceiling = min(BACKOFF_CAP_S, 0.5 * 2 ** min(failures, 10))
            await asyncio.sleep(
                0 if unauthenticated and failures == 1 else self.rng.uniform(ceiling / 2, ceiling)
            )

    async def _send(self, message: dict[str, Any]) -> None:
        await self._socket.send(json.dumps(message))

    def _handle(self, raw: str | bytes) -> bool:
        """One server message; True once the socket is authenticated (``ready``)."""
        try:
            message = json.loads(raw)
        except ValueError:
            return False
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ready":
            self.connects += 1
            self.connected.set()
            self.on_poke()  # whatever changed while we were away
            return True
        if kind in ("poke", "notification"):
            self.on_poke()
        elif kind == "quote":
            self.on_quote(message)
        elif kind == "error":
            log.info("live channel refused a message: %s", message.get("code"))
        return False


def _channels(symbols: Iterable[str]) -> list[str]:
    return [f"prices:{s}" for s in sorted(symbols)]

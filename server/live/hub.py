"""The hub: carries "this family's change log moved" events from the process that committed them to
every process holding sockets.

:class:`InProcessHub` is for one server process; :class:`RedisHub` (chosen when
``settings.redis_url`` is set) lets a push committed by one process poke a socket held by another.
``publish`` is called from whatever thread committed (request worker threads, the notification
dispatcher), so it is thread-safe and never raises: a lost poke costs a client at most one periodic
pull, a raised one would fail a request whose transaction is already committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

__all__ = ["FamilyEvent", "Hub", "InProcessHub", "RedisHub", "make_hub"]

_log = logging.getLogger("yongdon.live")


class FamilyEvent(msgspec.Struct, frozen=True):
    """One committed transaction's change-log rows, as far as sockets care.

    ``audiences`` are the rows' audiences (``None`` = the whole family, a child id = that child and
    its parents, ``p:<id>`` = that parent); ``notifications`` are inbox items just delivered, each
    with its owner's ``user_id``.
    """

    family_id: str
    audiences: list[str | None]
    notifications: list[dict[str, Any]] = []


Receiver = Callable[[FamilyEvent], None]


class Hub(Protocol):
    def publish(self, event: FamilyEvent) -> None:
        """Send ``event`` to every process's receiver. Thread-safe; never raises."""
        ...

    async def start(self, receive: Receiver) -> None:
        """Begin calling ``receive`` on the running event loop for every published event."""
        ...

    async def stop(self) -> None: ...


class InProcessHub:
    """Hands events to this process's receiver on its event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._receive: Receiver | None = None

    def publish(self, event: FamilyEvent) -> None:
        loop, receive = self._loop, self._receive
        if loop is None or receive is None or loop.is_closed():
            return  # nobody can be listening: the app is not serving
        with contextlib.suppress(RuntimeError):  # the loop closed since the check (shutdown)
            loop.call_soon_threadsafe(receive, event)

    async def start(self, receive: Receiver) -> None:
        self._loop, self._receive = asyncio.get_running_loop(), receive

    async def stop(self) -> None:
        self._loop = self._receive = None


class RedisHub:
    """Redis pub/sub on ``<prefix>:live:<family id>``; each process listens to the whole pattern.

    One pattern subscription per process (rather than one channel per connected family) keeps a
    single reader on the connection; a family server has few families, so filtering is cheap.
    """

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # only when configured: the embedded server has no Redis

        self._url, self._prefix = url, prefix
        self._publisher = redis.Redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def publish(self, event: FamilyEvent) -> None:
        try:
            self._publisher.publish(f"{self._prefix}:live:{event.family_id}", msgspec.json.encode(event))
        except Exception:  # noqa: BLE001 - see the module docstring: never fail a committed request
            _log.warning("live event not published", exc_info=True)

    async def start(self, receive: Receiver) -> None:
        self._subscribed = asyncio.Event()  # bound to this loop (a restarted app runs on a new one)
        self._task = asyncio.create_task(self._listen(receive), name="yongdon-live-redis")
        # wait until subscribed, so an event committed right after startup is not missed; a Redis that
        # is down must not keep the server from starting (the listener keeps retrying)
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        except TimeoutError:
            _log.warning("live events from other processes are not arriving yet: Redis unreachable")

    async def _listen(self, receive: Receiver) -> None:
        import redis.asyncio

        decoder = msgspec.json.Decoder(FamilyEvent)
        while True:
            client = redis.asyncio.Redis.from_url(self._url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{self._prefix}:live:*")
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            try:
                                receive(decoder.decode(message["data"]))
                            except msgspec.DecodeError:
                                _log.warning("malformed live event ignored")
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis restarted or the network blinked: resubscribe
                _log.warning("live subscription lost; resubscribing", exc_info=True)
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._publisher.close()


def make_hub(redis_url: str | None, prefix: str) -> Hub:
    return RedisHub(redis_url, prefix) if redis_url else InProcessHub()

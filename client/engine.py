"""``SyncEngine``: the client's sync loop of sync.md on asyncio.

One round: push every queued mutation the server has not acknowledged (paged; ``first_sent_at`` is
committed before each page goes out; a GAP resends from ``expected_seq``), then pull until
``has_more`` is false and apply it all in one local transaction (``LocalStore.commit_pull``), then
tell the subscribers. Rounds never overlap (an ``asyncio.Lock``) and repeat while a mutation
recorded during the round is still unsent. Network failures keep the queue and back off (jitter,
capped at 60 s); a timer syncs every ``interval`` seconds regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from sync.protocol import (
    CURSOR_MARK,
    MAX_PUSH_BYTES,
    MAX_PUSH_MUTATIONS,
    PROTOCOL_VERSION,
    SUPPORTED_PROTOCOLS,
    Mutation,
    PullRequest,
    PullResponse,
    PushRequest,
    SnapshotKey,
)

from .clock import utcnow
from .net.api import ApiClient, ApiError
from .store import LocalStore, PendingRow

__all__ = ["SyncEngine", "SyncState", "SyncStatus"]

log = logging.getLogger(__name__)

BACKOFF_CAP_S = 60.0
MAX_PULL_PAGES = 10_000


class SyncState(StrEnum):
    IDLE = "idle"
    SYNCING = "syncing"
    OFFLINE = "offline"
    ERROR = "error"
    NEEDS_UPDATE = "needs_update"
    SIGNED_OUT = "signed_out"


@dataclass(frozen=True)
class SyncStatus:
    """What the sync badge shows; ``code`` is a stable code for the UI text (``OFFLINE``, …)."""

    state: SyncState
    last_synced_at: datetime | None
    pending: int
    code: str | None
    server_offset: timedelta = timedelta(0)  # server clock minus device clock ("prices are 2 days old")


class _StopRound(Exception):
    """The round cannot go on (signed out, needs an update, step-up): the queue is kept."""

    def __init__(self, state: SyncState, code: str | None) -> None:
        super().__init__(code or state.value)
        self.state, self.code = state, code


class SyncEngine:
    """Drives one profile's store against its server; ``on_change`` runs after every applied change."""

    def __init__(
        self,
        store: LocalStore,
        api: ApiClient,
        *,
        clock: Callable[[], datetime] = utcnow,
        on_change: Callable[[], None] = lambda: None,
        interval: float = 45.0,
        debounce: float = 0.3,
        rng: random.Random | None = None,
    ) -> None:
        self.store, self.api, self.clock, self.on_change = store, api, clock, on_change
        self.interval, self.debounce = interval, debounce
        self.retry_after = 0.0  # what the server's last refusal asked for (Retry-After)
        self.backoff_base = 1.0  # seconds after the first failure; doubles per failure up to the cap
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.lock = asyncio.Lock()
        self.failures = 0
        # the newest protocol both sides speak: a server of the previous release (a rollback, a
        # blue-green switch) refuses ours and lists its own, and this engine steps down to it
        self.protocol = PROTOCOL_VERSION
        meta = store.meta()
        self.state = SyncState.IDLE
        self.code: str | None = None
        self.offset = timedelta(milliseconds=int(meta["server_offset_ms"]))
        synced = meta["last_synced_at"]
        self.last_synced_at = datetime.fromisoformat(synced) if synced else None
        self._wake = asyncio.Event()
        self._kick_handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    # -- status ---------------------------------------------------------------------------------
    def server_now(self) -> datetime:
        """The device's best guess of the server clock (rebase predictions, quote ages)."""
        return self.clock() + self.offset

    def status(self) -> SyncStatus:
        waiting = sum(1 for p in self.store.pending() if p.name != "noop/v1")
        return SyncStatus(self.state, self.last_synced_at, waiting, self.code, self.offset)

    def reached(self, ok: bool) -> None:
        """Any request of this profile reached the server (``ok``) or found no network. Offline
        shows at the first failed request (a chart, a search), not only at the next sync round;
        the first answer after that brings a round at once (what waited is sent)."""
        if not ok and self.state in (SyncState.IDLE, SyncState.SYNCING, SyncState.ERROR):
            self.failures = max(self.failures, 1)
            self._set(SyncState.OFFLINE, "OFFLINE")
        elif ok and self.state == SyncState.OFFLINE and not self.lock.locked():
            self.poke()

    def _set(self, state: SyncState, code: str | None = None) -> None:
        if (state, code) != (self.state, self.code):
            self.state, self.code = state, code
            self.on_change()

    # -- triggers -------------------------------------------------------------------------------
    def start(self) -> None:
        """Run the background loop (app start): syncs now, then on kicks, pokes and the timer."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="yongdon-sync")
            self._wake.set()

    async def stop(self) -> None:
        if self._kick_handle is not None:
            self._kick_handle.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def kick(self) -> None:
        """A local mutation was recorded: sync soon (debounced, so a burst of taps is one round)."""
        if self._kick_handle is not None:
            self._kick_handle.cancel()
        self._kick_handle = asyncio.get_running_loop().call_later(self.debounce, self._wake.set)

    def poke(self) -> None:
        """The live channel says something changed on the server (or the network came back): now."""
        self.failures = 0
        self._wake.set()

    def next_delay(self) -> float:
        """Seconds until the next round: the timer, or a jittered backoff after failures."""
        if self.failures == 0 or self.state in (SyncState.NEEDS_UPDATE, SyncState.SIGNED_OUT):
            return self.interval
        ceiling = min(BACKOFF_CAP_S, self.backoff_base * 2.0 ** min(self.failures, 10))
        # jitter: many devices do not retry in step; never sooner than a busy server asked
        return max(self.retry_after, self.rng.uniform(ceiling / 2, ceiling))

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.next_delay())
            self._wake.clear()
            await self.sync_once()

    # -- one round ------------------------------------------------------------------------------
    async def sync_once(self) -> SyncStatus:
        """Push, pull and apply until nothing is left unsent; never raises for network trouble."""
        async with self.lock:
            if self.state != SyncState.OFFLINE:  # retrying while offline stays "offline" on screen
                self._set(SyncState.SYNCING, None)
            try:
                for _ in range(100):
                    code = await self._push()
                    await self._pull()
                    if code is not None:
                        raise _StopRound(SyncState.ERROR, code)
                    if not self._unsent():
                        break
            except _StopRound as stop:
                # not a network failure: the timer retries (a step-up or an update may have happened)
                self.failures = 0
                self._set(stop.state, stop.code)
            except ApiError as error:
                self._failed(error)
            except (msgspec.ValidationError, ValueError, KeyError, sqlite3.Error) as error:
                # a malformed answer or a local database error: nothing was applied (one transaction);
                # keep the loop alive and retry later rather than lose the sync task
                log.exception("sync round failed unexpectedly")
                self.failures += 1
                self._set(SyncState.ERROR, "INTERNAL" if not isinstance(error, sqlite3.Error) else "STORAGE")
            else:
                self.failures = 0
                self.last_synced_at = self.clock()
                self.store.set_meta(last_synced_at=self.last_synced_at.isoformat())
                self._set(SyncState.IDLE, None)
            self.rounds += 1
            return self.status()

    def _failed(self, error: ApiError) -> None:
        self.failures += 1
        self.retry_after = error.retry_after
        if error.offline:
            self._set(SyncState.OFFLINE, "OFFLINE")
        elif self.api.session.signed_out:
            self._set(SyncState.SIGNED_OUT, "UNAUTHENTICATED")
        elif error.code == "VERSION_NOT_SUPPORTED":
            self._set(SyncState.NEEDS_UPDATE, error.code)
        else:
            log.info("sync round failed: %s %s", error.status, error.code)
            self._set(SyncState.ERROR, error.code)

    def _step_down(self, error: ApiError) -> bool:
        """After ``VERSION_NOT_SUPPORTED``: speak the newest protocol the server lists that is older
        than ours and that this app speaks too; ``False`` when there is none (this app is too old for
        the server, or the refusal was about a mutation's version)."""
        listed = error.detail.get("supported_protocols")
        both = (
            [p for p in listed if p in SUPPORTED_PROTOCOLS and p < self.protocol]
            if isinstance(listed, list)
            else []
        )
        if not both:
            return False
        log.warning("the server speaks protocol %s only: stepping down from %s", max(both), self.protocol)
        self.protocol = max(both)
        return True

    def _unsent(self) -> bool:
        acked = int(self.store.meta()["last_seq_acked"])
        return bool(self.store.unsent_after(acked, 1))

    def _note_server_time(self, value: Any) -> None:
        if not isinstance(value, str):
            return
        with contextlib.suppress(ValueError):
            offset = datetime.fromisoformat(value) - self.clock()
            # rounded to whole seconds: the estimate is for "2 days old", not for ordering
            offset = timedelta(seconds=round(offset.total_seconds()))
            if offset != self.offset:
                self.offset = offset
                self.store.set_meta(server_offset_ms=int(offset.total_seconds() * 1000))

    def _page(self, start: int) -> list[PendingRow]:
        """The next push page: at most MAX_PUSH_MUTATIONS and well under MAX_PUSH_BYTES."""
        rows = self.store.unsent_after(start, MAX_PUSH_MUTATIONS)
        page: list[PendingRow] = []
        size = 200
        for row in rows:
            size += len(json.dumps(row.args, ensure_ascii=False).encode()) + 300
            if page and size > MAX_PUSH_BYTES * 0.9:
                break
            page.append(row)
        return page

    async def _push(self) -> str | None:
        """Send the queue; returns a code that stops pushing for now (``STEP_UP_REQUIRED``), else None."""
        meta = self.store.meta()
        start = int(meta["last_seq_acked"])
        for _ in range(10_000):
            page = self._page(start)
            if not page:
                return None
            self.store.mark_sent([p.seq for p in page], self.clock())
            body = PushRequest(
                protocol=self.protocol,
                client_id=meta["client_id"],
                mutations=[
                    Mutation(
                        seq=p.seq,
                        id=p.mutation_id,
                        name=p.name,
                        args=p.args,
                        base_cursor=p.base_cursor,
                        created_at=p.created_at.isoformat(),
                    )
                    for p in page
                ],
            )
            try:
                answer = await self.api.push(body)
            except ApiError as error:
                if error.status == 409 and error.code == "GAP":
                    start = int(error.detail["expected_seq"]) - 1
                    if start < int(self.store.meta()["last_seq_acked"]):
                        self.store.requeue_after(start, self.server_now())
                    continue
                if error.status == 403 and error.code == "STEP_UP_REQUIRED":
                    return error.code  # earlier mutations were applied; the pull brings their outcomes
                if error.status == 400 and error.code == "VERSION_NOT_SUPPORTED":
                    if self._step_down(error):
                        continue  # the same page again, in the server's protocol
                    raise _StopRound(SyncState.NEEDS_UPDATE, error.code) from error
                if error.status == 409 and error.code == "CLIENT_STATE_DIVERGED":
                    # this database came back from an old backup: it must start over as a new
                    # installation (Runtime.reenroll), keeping its queued mutations' ids
                    raise _StopRound(SyncState.ERROR, error.code) from error
                raise
            self._note_server_time(answer.server_time)
            start = answer.last_seq
        raise ApiError(0, "PUSH_DID_NOT_CONVERGE")

    async def _pull(self, *, checksum_mismatch: bool = False) -> None:
        meta = self.store.meta()
        cursor, mark, mismatch = int(meta["cursor"]), meta["cursor_mark"], checksum_mismatch
        # a reset snapshot comes in pages (protocol 2): each page's key asks for the next one, and
        # the log pull that follows it (has_more, no key) brings what changed meanwhile. Nothing is
        # committed before the last page, so a half-received snapshot is never the confirmed state.
        key: SnapshotKey | None = None
        pages: list[PullResponse] = []
        for _ in range(MAX_PULL_PAGES):
            body = PullRequest(
                protocol=self.protocol,
                client_id=meta["client_id"],
                cursor=cursor,
                checksum_mismatch=mismatch,
                last_seq_acked=int(meta["last_seq_acked"]),
                snapshot=key,
                # an older server refuses the field itself: only its protocol is what it should hear
                cursor_mark=mark if self.protocol >= CURSOR_MARK else None,
            )
            try:
                page = await self.api.pull(body)
            except ApiError as error:
                if error.status == 400 and error.code == "VERSION_NOT_SUPPORTED":
                    if self._step_down(error):  # the whole pull again: an older server knows no key
                        await self._pull(checksum_mismatch=checksum_mismatch)
                        return
                    raise _StopRound(SyncState.NEEDS_UPDATE, error.code) from error
                raise
            self._note_server_time(page.server_time)
            pages.append(page)
            cursor, mark, mismatch, key = page.cursor, page.cursor_mark, False, page.snapshot
            if not page.has_more:
                break
        replica = self.store.preview(pages)
        # the last page always carries the checksum of every child the caller may see: none at
        # all is news too (a family's last child was erased: the replica still holds her)
        expected = pages[-1].checksums
        if replica.checksums() != expected:
            if checksum_mismatch:
                raise ApiError(0, "CHECKSUM_MISMATCH")  # even a fresh snapshot disagrees: try later
            log.warning("balance checksums differ after a pull: asking for a snapshot")
            await self._pull(checksum_mismatch=True)
            return
        self.store.commit_pull(pages, replica, self.server_now())
        self.on_change()

"""A model device for protocol tests: the sync loop of sync.md over HTTP, with the shared rules.

It keeps what a real device keeps (confirmed replica, cursor, ``last_seq_acked``, pending mutations,
outcomes) and commits each of its steps atomically, so "killing" it between steps loses nothing
that a real device's SQLite transaction would keep. The real client (``client/engine.py``) follows
the same protocol.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import msgspec

from sync.book import MemoryBook
from sync.protocol import (
    CURSOR_MARK,
    MAX_PUSH_MUTATIONS,
    PROTOCOL_VERSION,
    SUPPORTED_PROTOCOLS,
    MutationResult,
    PullResponse,
)
from sync.rebase import Pending, Replayed, rebase
from sync.records import Actor
from sync.replica import Replica

__all__ = ["Device", "SyncFailed"]

_ids = itertools.count(1)


class SyncFailed(Exception):
    """The network or the server failed this round; the queue is intact and the next round retries."""


@dataclass
class _Durable:
    """Everything a device's database holds (replaced whole at each local commit)."""

    replica: Replica = field(default_factory=Replica)
    cursor: int = 0
    cursor_mark: str | None = None  # protocol 3: answered with the cursor, sent back with it
    last_seq_acked: int = 0
    next_seq: int = 1
    pending: list[Pending] = field(default_factory=list)
    outcomes: dict[str, MutationResult] = field(default_factory=dict)
    cursor_history: list[int] = field(default_factory=list)
    resets: int = 0  # pulls that brought a reset snapshot (the first one included)
    # acknowledged mutations, kept to re-send if the server is restored from an older backup
    history: list[Pending] = field(default_factory=list)


class Device:
    def __init__(
        self,
        name: str,
        http: httpx.Client,
        headers: Callable[[], dict[str, str]],
        client_id: str,
        actor: Actor,
        now: Callable[[], datetime],
    ) -> None:
        self.name, self.http, self.headers, self.client_id = name, http, headers, client_id
        self.actor, self.now = actor, now
        self.state = _Durable()
        self.protocol = PROTOCOL_VERSION  # stepped down when a server of an older release refuses it

    # -- user actions (C1: one local commit each) ------------------------------------------------
    def act(self, name: str, args: dict[str, Any]) -> str:
        mutation_id = f"{self.client_id}-m{next(_ids)}"
        state = self.state
        state.pending.append(Pending(seq=state.next_seq, mutation_id=mutation_id, name=name, args=args))
        state.next_seq += 1
        return mutation_id

    def view(self) -> tuple[dict[str, MemoryBook], list[Replayed]]:
        """confirmed ⊕ replay(pending): what the screens show."""
        books = {child: self.state.replica.book(child) for child in self.state.replica.children()}
        return rebase(books, self.state.pending, self.actor, self.now())

    # -- the sync loop ---------------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            return self.http.post(path, json=body, headers=self.headers())
        except httpx.TransportError as error:
            raise SyncFailed(f"{path}: {error}") from error

    def push(self) -> None:
        """Send every pending mutation the server has not acknowledged, in pages; resend from a GAP."""
        start = self.state.last_seq_acked
        for _round in range(1000):
            batch = [p for p in self.state.pending if p.seq > start][:MAX_PUSH_MUTATIONS]
            if not batch:
                return
            body = {
                "protocol": self.protocol,
                "client_id": self.client_id,
                "mutations": [
                    {
                        "seq": p.seq,
                        "id": p.mutation_id,
                        "name": p.name,
                        "args": p.args,
                        "base_cursor": self.state.cursor,
                    }
                    for p in batch
                ],
            }
            response = self._post("/api/sync/push", body)
            if self._stepped_down(response):
                continue
            if response.status_code == 409 and response.json().get("code") == "GAP":
                start = response.json()["expected_seq"] - 1
                if start < self.state.last_seq_acked:  # the server lost acknowledged work (a restore)
                    self._requeue_after(start)
                continue
            if response.status_code != 200:
                raise SyncFailed(f"push answered {response.status_code}: {response.text[:200]}")
            start = response.json()["last_seq"]
        raise AssertionError("push did not converge")

    def pull(self, *, checksum_mismatch: bool = False) -> None:
        """Pull until ``has_more`` is false, then apply everything in one local commit (C2, C3)."""
        replica = copy.deepcopy(self.state.replica)
        cursor, mark, pages = self.state.cursor, self.state.cursor_mark, 0
        mismatch, key, was_reset = checksum_mismatch, None, False
        while True:
            body = {
                "protocol": self.protocol,
                "client_id": self.client_id,
                "cursor": cursor,
                "checksum_mismatch": mismatch,
                "last_seq_acked": self.state.last_seq_acked,
            }
            if key is not None:  # the next page of a paged reset snapshot
                body["snapshot"] = msgspec.to_builtins(key)
            if mark is not None and self.protocol >= CURSOR_MARK:
                body["cursor_mark"] = mark
            response = self._post("/api/sync/pull", body)
            if self._stepped_down(response):  # the whole pull again: an older server knows no key
                return self.pull(checksum_mismatch=checksum_mismatch)
            if response.status_code != 200:
                raise SyncFailed(f"pull answered {response.status_code}: {response.text[:200]}")
            page = msgspec.convert(response.json(), PullResponse)
            replica.apply(page.changes, reset=page.reset)
            was_reset = was_reset or page.reset  # a paged snapshot: only its first page resets
            cursor, mark, key = page.cursor, page.cursor_mark, page.snapshot
            mismatch, pages = False, pages + 1
            if not page.has_more:
                break
        if page.checksums and replica.checksums() != {k: v for k, v in page.checksums.items()}:
            if checksum_mismatch:
                raise AssertionError("checksums differ even after a reset")
            return self.pull(checksum_mismatch=True)
        # commit: confirmed state, cursor and last_seq_acked change together; confirmed pending leave
        state = self.state
        state.replica, state.cursor, state.cursor_mark = replica, cursor, mark
        if was_reset:
            state.resets += 1
            state.cursor_history.clear()  # I12: a reset is the one time a cursor may go back
        state.cursor_history.append(cursor)
        if page.last_seq < state.last_seq_acked:
            self._requeue_after(page.last_seq)
        state.last_seq_acked = page.last_seq
        for result in page.results:
            state.outcomes[result.id] = result
        state.history += [p for p in state.pending if p.seq <= state.last_seq_acked]
        state.pending = [p for p in state.pending if p.seq > state.last_seq_acked]

    def _stepped_down(self, response: httpx.Response) -> bool:
        """A server of an older release refused our protocol: speak the newest it lists (the app's
        ``SyncEngine._step_down``)."""
        if response.status_code != 400 or response.json().get("code") != "VERSION_NOT_SUPPORTED":
            return False
        listed = response.json().get("supported_protocols") or []
        both = [p for p in listed if p in SUPPORTED_PROTOCOLS and p < self.protocol]
        if both:
            self.protocol = max(both)
        return bool(both)

    def _requeue_after(self, seq: int) -> None:
        """Put acknowledged mutations after ``seq`` back in the queue (same seq, same mutation id)."""
        state = self.state
        back = [p for p in state.history if p.seq > seq]
        state.history = [p for p in state.history if p.seq <= seq]
        state.pending = sorted(back + state.pending, key=lambda p: p.seq)
        for p in back:
            state.outcomes.pop(p.mutation_id, None)
        state.last_seq_acked = seq

    def reset_client(self, new_client_id: str) -> None:
        """Start over as a new installation: surviving pending mutations keep their mutation ids."""
        state = self.state
        survivors = sorted(state.pending, key=lambda p: p.seq)
        self.client_id = new_client_id
        self.state = _Durable(replica=state.replica, outcomes=state.outcomes)
        for p in survivors:
            self.state.pending.append(
                Pending(seq=self.state.next_seq, mutation_id=p.mutation_id, name=p.name, args=p.args)
            )
            self.state.next_seq += 1

    def sync(self) -> None:
        self.push()
        self.pull()

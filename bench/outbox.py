"""(o) Outbox delivery: a busy evening's trades notified, and what the drain costs a syncing device.

A family's child pushes N trades while the server's dispatcher is off (N ``TradeExecuted`` events
wait in the outbox); a second server on the same SQLite database, dispatcher on, drains them. The
channels are a home server's with e-mail set up: the in-app inbox and e-mail to an aiosmtpd on
loopback. A trade's event is for the child alone, and children never get e-mail, so each event is
one inbox delivery (notification, change-log row, delivery row); the e-mail channel is consulted
and declines. Push is not configured (it needs ntfy or FCM).

Beside it, in the same run: the raw floor (Python's sqlite3 writing the same rows, the same number of
events per transaction), and the sync cycle of another child of the same family (push 10 + pull +
rebase, e10's shape) measured idle, then while the dispatcher drains: a batch of deliveries must not
lengthen the family's write-lock hold enough to show in a push.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from server.db import Database
from server.notify.dispatcher import CHUNK, PACE, outbox_status
from server.payment.crypto import cipher_from_settings
from tests.support.live import LiveServer, free_port, seed_family

from . import apply_rate, sync_cycle
from .report import Figure, percentile

__all__ = ["figures", "measure"]

PUSH = 500  # trades per push while the backlog is built


@dataclass(frozen=True)
class Drain:
    events: int  # events delivered while timed
    seconds: float
    drained: bool  # the outbox emptied before the deadline
    idle_ms: list[float]  # e10-shaped cycles with nothing to deliver
    busy_ms: list[float]  # the same while the dispatcher drained
    busy_overlap: bool  # the backlog outlasted the busy cycles (they all ran under delivery)
    raw_rate: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@contextmanager
def _env(**values: str) -> Iterator[None]:
    """``YONGDON_*`` for the server processes started inside (LiveServer copies the environment)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Watch(threading.Thread):
    """Samples the outbox's waiting count until it is empty (or stopped): when the drain began and
    ended, and how many events it delivered between."""

    def __init__(self, db: Database, deadline: float) -> None:
        super().__init__(daemon=True)
        self.db, self.deadline = db, deadline
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and time.perf_counter() < self.deadline:
            waiting = outbox_status(self.db)["events_waiting"]
            self.samples.append((time.perf_counter(), waiting))
            if waiting == 0:
                return
            time.sleep(0.02)

    def timed(self) -> tuple[int, float, bool]:
        """(events, seconds, drained) from the first sample that saw delivery to the empty outbox."""
        first = self.samples[0][1]
        moving = next((k for k, (_, w) in enumerate(self.samples) if w < first), None)
        if moving is None:
            return 0, 0.0, False
        # the interval starts at the sample before delivery was seen: never flatters the rate
        start_t, start_w = self.samples[max(moving - 1, 0)]
        end_t, end_w = self.samples[-1]
        return start_w - end_w, end_t - start_t, end_w == 0


def _raw_rate(path: Path, events: int) -> float:
    """Python's sqlite3 writing what the inbox delivery of ``events`` writes, ``CHUNK`` per
    transaction (WAL, ``synchronous=FULL`` like the server): the floor for (o1)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(
        """
        CREATE TABLE outbox (id INTEGER PRIMARY KEY, payload TEXT, delivered_at TEXT);
        CREATE TABLE notifications (id TEXT PRIMARY KEY, user_id TEXT, title TEXT, body TEXT, data TEXT);
        CREATE TABLE changelog (server_seq INTEGER PRIMARY KEY AUTOINCREMENT, entity_id TEXT, data TEXT);
        CREATE TABLE deliveries (id INTEGER PRIMARY KEY, outbox_id INTEGER, channel TEXT, user_id TEXT,
                                 status TEXT, UNIQUE (outbox_id, channel, user_id));
        """
    )
    db.executemany("INSERT INTO outbox (id, payload) VALUES (?, '{}')", [(i,) for i in range(events)])
    started = time.perf_counter()
    for first in range(0, events, CHUNK):
        ids = range(first, min(first + CHUNK, events))
        db.execute("BEGIN IMMEDIATE")
        notes = [(f"n{i}", "kid", "체결", "삼성전자 0.015주를 샀어요", '{"trade_id": "t"}') for i in ids]
        db.executemany("INSERT INTO notifications VALUES (?, ?, ?, ?, ?)", notes)
        db.executemany("INSERT INTO changelog (entity_id, data) VALUES (?, ?)", [(n[0], n[4]) for n in notes])
        db.executemany(
            "INSERT INTO deliveries (outbox_id, channel, user_id, status) VALUES (?, 'inbox', 'kid', 'done')",
            [(i,) for i in ids],
        )
        db.execute("UPDATE outbox SET delivered_at = 'now' WHERE id BETWEEN ? AND ?", (ids[0], ids[-1]))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return events / elapsed


def _cycles_ms(server: LiveServer, seeded: object, device: str, cycles: int) -> list[float]:
    """Each cycle's milliseconds, after one not counted (a fresh server's first request warms it up)."""
    runs = sync_cycle.cycle_seconds(server.url, seeded, device, 10, cycles + 1)  # type: ignore[arg-type]
    return [c.total * 1000 for c in runs[1:]]


def measure(root: Path, events: int, cycles: int) -> Drain:
    """Build a backlog of ``events`` trade events, then time its drain with ``cycles`` sync cycles
    of another child beside it (and ``cycles`` idle ones before)."""
    data_dir = root / "outbox"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'yongdon.db'}"
    with _env(YONGDON_NOTIFY_DISPATCHER="0"), LiveServer(url, data_dir) as first:
        secrets = (first.jwt_secret, first.pin_pepper)
        settings = first.settings()
        seeded = seed_family(settings, children=3, rules={"trades_per_day": 1_000_000})
        first.start()
        idle = _cycles_ms(first, seeded, "kid1", cycles)  # their own events join the backlog
        apply_rate.batched(first.port, seeded, "kid0", PUSH, max(events // PUSH, 1), "trade")
        first.stop()
    db = Database(url, cipher=cipher_from_settings(settings))
    smtp = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    channels = {
        "YONGDON_SMTP_HOST": "127.0.0.1",
        "YONGDON_SMTP_PORT": str(smtp.port),
        "YONGDON_SMTP_TLS": "none",
    }
    try:
        with (
            _env(YONGDON_NOTIFY_DISPATCHER="1", **channels),
            LiveServer(url, data_dir, jwt_secret=secrets[0], pin_pepper=secrets[1]) as second,
        ):
            watch = _Watch(db, time.perf_counter() + 600)
            watch.samples.append((time.perf_counter(), outbox_status(db)["events_waiting"]))
            watch.start()
            second.start()
            busy = _cycles_ms(second, seeded, "kid2", cycles)
            overlap = outbox_status(db)["events_waiting"] > 0
            watch.join()
            second.stop()
    finally:
        smtp.stop()
        db.dispose()
    delivered, seconds, drained = watch.timed()
    raw = _raw_rate(root / "raw-outbox.db", events)
    return Drain(delivered, seconds, drained, idle, busy, overlap, raw)


def figures(drain: Drain) -> list[Figure]:
    idle95, busy95 = percentile(drain.idle_ms, 95), percentile(drain.busy_ms, 95)
    under = "all under delivery" if drain.busy_overlap else "the backlog emptied before the last cycle"
    return [
        Figure(
            "o1",
            "outbox delivery, trades' events to the inbox (inbox + e-mail channels), SQLite",
            drain.rate,
            "events/s",
            "≥ 2,000 events/s",
            f"{drain.events:,} events in {drain.seconds:.2f} s{'' if drain.drained else ' (not drained)'}; "
            f"{CHUNK} per write transaction, resting {PACE:g}× each chunk's time while requests are served; "
            "raw sqlite3 floor o2 is "
            f"{drain.raw_rate / max(drain.rate, 1e-9):.1f}× faster",
        ),
        Figure(
            "o2",
            "raw sqlite3 baseline: the same rows, the same events per transaction",
            drain.raw_rate,
            "events/s",
            "(baseline for o1)",
        ),
        Figure(
            "o3",
            "sync cycle (push 10 + pull + rebase) while the dispatcher drains, p95",
            busy95,
            "ms",
            "p95 < 100 ms (e10's target)",
            f"{len(drain.busy_ms)} cycles ({under}); idle p95 {idle95:.0f} ms (o4): "
            f"{busy95 / max(idle95, 1e-9):.2f}× idle",
        ),
        Figure(
            "o4",
            "the same sync cycle, dispatcher off (idle), p95",
            idle95,
            "ms",
            "(baseline for o3)",
            f"{len(drain.idle_ms)} cycles, median {percentile(drain.idle_ms, 50):.0f} ms",
        ),
    ]

"""Server SIGKILL during pushes, then restart (quality.md, "Fault scenarios"; research security.md §3d).

A real server process (uvicorn on the real app, a SQLite file in WAL mode, or PostgreSQL) is
SIGKILLed at random moments, often in the middle of a request, and restarted, while a child's and
a parent's device push trades and grants over HTTP, one to four per push. The devices resend what
was not acknowledged and, now and then, pushes that were. After every restart a device first sends
an empty push to learn the server's ``last_seq``: it must show the killed push either wholly applied
or not at all. At the end:

- every mutation a device saw acknowledged (a 200 push result) is on the server with the same
  outcome, and every later answer for it was the same (I7);
- nothing is applied twice: one ``mutations`` row per seq, ledger entries per transaction as one
  decision posts them;
- ``PRAGMA integrity_check`` is ok, and the invariants hold (``balance == Σ entries`` and more);
- a model device that pushes its whole log again and pulls agrees with the server (I1, I13).

CI: 50 kills per backend; ``YONGDON_SOAK=1``: 500.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db import Database
from server.db.models import Device as DeviceRow
from server.db.models import LedgerEntry, MutationRow
from server.payment.crypto import cipher_from_settings
from sync.protocol import PROTOCOL_VERSION
from sync.rebase import Pending
from sync.records import Actor, Role

from ..support.device import Device
from ..support.invariants import check_converged, check_server
from ..support.live import LiveServer, Seeded, seed_family

pytestmark = pytest.mark.slow

SOAK = os.environ.get("YONGDON_SOAK") == "1"
KILLS = 500 if SOAK else 50
SYMBOL = "005930.KS"
# ledger entries one applied decision posts: a grant moves money once, a fill moves money and shares
ENTRIES = {"family.grant/v1": 2, "trade.place/v1": 4}


@dataclass
class Pusher:
    """One device's side of the protocol: an append-only log of mutations and what the server said."""

    name: str
    client_id: str
    headers: dict[str, str]
    make: Any  # (seq, mutation_id) -> (name, args)
    log: list[dict[str, Any]] = field(default_factory=list)
    acked: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> the first 200 result
    server_last: int = 0  # the server's last_seq in its latest answer
    in_doubt: list[int] = field(default_factory=list)  # new seqs of a push whose answer was lost

    @property
    def confirmed(self) -> int:
        """The seqs this device holds answers for: 1..confirmed (it pushes on from confirmed + 1)."""
        seq = 0
        while seq + 1 in self.acked:
            seq += 1
        return seq

    def batch(self, start: int, size: int) -> list[dict[str, Any]]:
        while len(self.log) < start + size - 1:
            seq = len(self.log) + 1
            mutation_id = f"{self.client_id}-m{seq}"
            name, args = self.make(seq, mutation_id)
            self.log.append({"seq": seq, "id": mutation_id, "name": name, "args": args})
        return self.log[start - 1 : start - 1 + size]

    def body(self, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "client_id": self.client_id, "mutations": mutations}


@dataclass
class Tally:
    pushes: int = 0
    resent_acked: int = 0
    transport_errors: int = 0
    unavailable: int = 0
    lost_acks: int = 0  # a killed push that had committed: found by the empty push after restart
    lost_pushes: int = 0  # a killed push that had not committed
    kills_in_flight: int = 0
    kills_idle: int = 0


class Killer(threading.Thread):
    """Keeps the server up for a random few pushes, SIGKILLs it, restarts it; ``kills`` times."""

    def __init__(
        self, server: LiveServer, kills: int, rng: random.Random, tally: Tally, in_flight: threading.Event
    ) -> None:
        super().__init__(daemon=True)
        self.server, self.kills, self.rng, self.tally, self.in_flight = server, kills, rng, tally, in_flight
        self.up = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.killed = 0

    def run(self) -> None:
        try:
            for _ in range(self.kills):
                self.server.start()
                self.up.set()
                # live for a few answered pushes (so work gets done however slow the machine), then
                # die a little later: mostly in the middle of the next push
                target = self.tally.pushes + self.rng.randint(0, 4)
                deadline = time.perf_counter() + 5
                while self.tally.pushes < target and time.perf_counter() < deadline:
                    time.sleep(0.001)
                time.sleep(self.rng.uniform(0, 0.03))
                self.up.clear()
                flying = self.in_flight.is_set()
                self.server.kill()
                self.killed += 1
                if flying:
                    self.tally.kills_in_flight += 1
                else:
                    self.tally.kills_idle += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            self.error = error
        finally:
            self.done.set()
            self.up.set()


def _kid_mutation(rng: random.Random, quote: Any) -> Any:
    def make(seq: int, mutation_id: str) -> tuple[str, dict[str, Any]]:
        side = "sell" if rng.random() < 0.4 else "buy"
        args = {
            "trade_id": f"t-{mutation_id}",
            "side": side,
            "symbol": SYMBOL,
            "quantity": rng.choice([1, 2]) * 1_000_000,
            "quote_id": quote.quote_id,
            "price": quote.price,
        }
        return "trade.place/v1", args

    return make


def _mom_mutation(rng: random.Random, child_id: str) -> Any:
    def make(seq: int, mutation_id: str) -> tuple[str, dict[str, Any]]:
        args = {
            "child_id": child_id,
            "grant_id": f"g-{mutation_id}",
            "amount": rng.randrange(20_000, 150_000),
            "reason": "chores",
        }
        return "family.grant/v1", args

    return make


def _push(
    http: httpx.Client,
    pusher: Pusher,
    mutations: list[dict[str, Any]],
    tally: Tally,
    in_flight: threading.Event,
) -> httpx.Response | None:
    in_flight.set()
    try:
        return http.post("/api/sync/push", json=pusher.body(mutations), headers=pusher.headers)
    except httpx.TransportError:
        tally.transport_errors += 1
        return None
    finally:
        in_flight.clear()


def _record(pusher: Pusher, mutations: list[dict[str, Any]], answer: dict[str, Any]) -> None:
    results = answer["results"]
    assert [(r["seq"], r["id"]) for r in results] == [(m["seq"], m["id"]) for m in mutations]
    for result in results:
        first = pusher.acked.setdefault(result["seq"], result)
        assert result == first, f"a resent mutation got another answer: {first} then {result}"
    assert answer["last_seq"] >= pusher.server_last
    pusher.server_last = answer["last_seq"]


def _learn_last_seq(http: httpx.Client, pusher: Pusher, tally: Tally, in_flight: threading.Event) -> bool:
    """After a lost answer, an empty push tells the server's ``last_seq``: the lost push is all or nothing."""
    response = _push(http, pusher, [], tally, in_flight)
    if response is None or response.status_code == 503:
        return False
    assert response.status_code == 200, response.text
    last_seq = response.json()["last_seq"]
    doubt, known = pusher.in_doubt, pusher.server_last
    assert last_seq in (known, known + len(doubt)), (
        f"a killed push was applied in part: last_seq {last_seq}, known {known}, sent {doubt}"
    )
    pusher.server_last = last_seq
    if doubt:
        if last_seq > known:
            tally.lost_acks += 1
        else:
            tally.lost_pushes += 1
    pusher.in_doubt = []
    return True


def _drive(server: LiveServer, pushers: list[Pusher], kills: int, rng: random.Random) -> Tally:
    tally = Tally()
    in_flight = threading.Event()
    killer = Killer(server, kills, rng, tally, in_flight)
    killer.start()
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        pending_doubt: set[str] = set()
        while not killer.done.is_set():
            killer.up.wait()
            pusher = rng.choice(pushers)
            if pusher.name in pending_doubt:
                if _learn_last_seq(http, pusher, tally, in_flight):
                    pending_doubt.discard(pusher.name)
                else:
                    time.sleep(0.002)
                continue
            resend = pusher.confirmed > 0 and rng.random() < 0.15
            start = pusher.confirmed + 1
            if resend:
                start = rng.randint(max(1, pusher.confirmed - 6), pusher.confirmed)
            mutations = pusher.batch(start, rng.randint(1, 4))
            response = _push(http, pusher, mutations, tally, in_flight)
            if response is None:
                pusher.in_doubt = [m["seq"] for m in mutations if m["seq"] > pusher.server_last]
                pending_doubt.add(pusher.name)
                time.sleep(0.002)
                continue
            if response.status_code == 503:  # busy or poisoned: what it did apply is answered on the resend
                tally.unavailable += 1
                continue
            assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
            tally.pushes += 1
            tally.resent_acked += resend
            _record(pusher, mutations, response.json())
    killer.join(timeout=60)
    if killer.error is not None:
        raise killer.error
    assert killer.killed == kills
    return tally


def _check_database(db: Database, pushers: list[Pusher]) -> None:
    check_server(db)
    with db.read() as s:
        rows = {
            r.mutation_id: (r.client_id, r.seq, r.name, r.status, r.code, r.server_seq, r.detail or None)
            for r in s.scalars(select(MutationRow))
        }
        entries = dict(s.execute(select(LedgerEntry.txn_id, func.count()).group_by(LedgerEntry.txn_id)).all())
        last_seqs = {d.client_id: d.last_seq for d in s.scalars(select(DeviceRow))}
    for pusher in pushers:
        # the last push before the last kill may have committed unanswered: all of it or none
        known = pusher.server_last
        assert last_seqs[pusher.client_id] in (known, known + len(pusher.in_doubt))
        assert set(pusher.acked) == set(range(1, pusher.confirmed + 1)) and pusher.confirmed <= known
        for seq, result in pusher.acked.items():
            client_id, row_seq, _, status, code, server_seq, detail = rows[result["id"]]
            assert (client_id, row_seq, status, code, server_seq, detail) == (
                pusher.client_id,
                seq,
                result["status"],
                result.get("code"),
                result.get("server_seq"),
                result.get("detail"),
            )
    for mutation_id, (_, _, name, status, *_rest) in rows.items():
        applied = status in ("applied", "adjusted")
        assert entries.get(mutation_id, 0) == (ENTRIES[name] if applied else 0), (mutation_id, status)
    assert {t for t in entries if not t.startswith("open:")} <= set(rows), "entries without a mutation"


def _final_sync(server: LiveServer, seeded: Seeded, pushers: list[Pusher], db: Database) -> None:
    """A model device per pusher resends its whole log (stored outcomes come back) and pulls."""
    now = lambda: datetime.now(UTC)  # noqa: E731
    devices = []
    with httpx.Client(base_url=server.url, timeout=30.0) as http:
        for pusher in pushers:
            role = Role.PARENT if pusher.name == "mom" else Role.CHILD
            actor = Actor(user_id=seeded.users[pusher.name], role=role, family_id=seeded.family_id)
            device = Device(pusher.name, http, lambda p=pusher: p.headers, pusher.client_id, actor, now)
            device.state.pending = [Pending(m["seq"], m["id"], m["name"], m["args"]) for m in pusher.log]
            device.state.next_seq = len(pusher.log) + 1
            device.push()
            devices.append(device)
        for device in devices:  # after every push: the parent's grants change the child's balances
            device.pull()
        created = {m["id"] for p in pushers for m in p.log}
        check_converged(db, devices, created)
    for pusher, device in zip(pushers, devices, strict=True):
        for result in pusher.acked.values():
            told = device.state.outcomes[result["id"]]
            assert (told.status.value, told.code, told.server_seq) == (
                result["status"],
                result.get("code"),
                result.get("server_seq"),
            )


def test_sigkill_during_pushes(database_url: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("YONGDON_CRASH_SEED", random.randrange(1 << 30)))
    print(f"YONGDON_CRASH_SEED={seed}")
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    with LiveServer(database_url, data_dir) as server:
        seeded = seed_family(server.settings(), prices={SYMBOL: 70_000}, rules={"trades_per_day": 1_000_000})
        pushers = [
            Pusher(
                "kid0",
                seeded.devices["kid0"],
                seeded.headers("kid0"),
                _kid_mutation(rng, seeded.quotes[SYMBOL]),
            ),
            Pusher(
                "mom", seeded.devices["mom"], seeded.headers("mom"), _mom_mutation(rng, seeded.users["kid0"])
            ),
        ]
        began = time.perf_counter()
        tally = _drive(server, pushers, KILLS, rng)
        elapsed = time.perf_counter() - began
        acked = sum(len(p.acked) for p in pushers)
        outcomes = Counter(r["status"] for p in pushers for r in p.acked.values())
        print(f"{KILLS} kills in {elapsed:.1f} s: {acked} mutations acknowledged {dict(outcomes)}; {tally}")
        assert acked >= KILLS, "too little work between kills to mean anything"

        # the server is down (killed last): check the files as a crash left them
        if database_url.startswith("sqlite"):
            path = database_url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as raw:
                assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        db = Database(database_url, cipher=cipher_from_settings(server.settings()))
        try:
            _check_database(db, pushers)
            server.start()
            _final_sync(server, seeded, pushers, db)
            server.stop()
        finally:
            db.dispose()

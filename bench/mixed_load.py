"""(m) Mixed API load: 90 % reads (pull, price GET), 10 % single-trade pushes, at offered rates.

A real ``yongdon server`` on a fresh data dir, its family made through the public API (a parent,
children, a device enrolled per user), and locust's ``FastHttpUser`` run headless in its own process
as the load generator (research: an asyncio loop that times itself tops out near 150–190 req/s and
measures its own queue). Each locust user is one child device at a constant rate, synced once when
paired (as the app does) and carrying its cursor from step to step; the offered rate is
users × rate, the achieved one what the server answered (a closed loop: a slow server is offered
less). 503s from load shedding are counted apart from errors. The raw baseline is the same generator
at the top rate against ``/health`` (no database): the ceiling of the generator and the HTTP stack
on this machine, which share its two cores with the server.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.helpers import Family, enroll_device, step_up
from tests.support.live import yongdon_server

__all__ = ["Step", "measure", "measure_postgres"]

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PER_USER = 5.0  # requests/s of one device: 300 req/s offered is 60 devices
CHILDREN = 6


@dataclass
class Step:
    offered: float
    seconds: float
    requests: int
    ok_rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    shed: int
    error_kinds: dict[str, int]
    server_cpu: float | None = None  # cores the server process used meanwhile (one Python: at most ~1)
    server_cpu_s: float | None = None  # CPU seconds the server processes used meanwhile

    @property
    def cpu_ms_per_request(self) -> float | None:
        """The server's CPU time per answered request: its work, nearly apart from how busy the
        machine is (the wall-clock figures above are not, on a shared 2-core machine)."""
        if self.server_cpu_s is None or not self.requests:
            return None
        return self.server_cpu_s * 1000 / self.requests

    def notes(self) -> str:
        kinds = (
            f" ({', '.join(f'{k}: {n}' for k, n in self.error_kinds.items())})" if self.error_kinds else ""
        )
        return (
            f"offered {self.offered:g}/s ({self.offered / PER_USER:.0f} devices × {PER_USER:g}/s); "
            f"p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms; {self.requests:,} requests in "
            f"{self.seconds:g} s, {self.errors} errors{kinds}, {self.shed} shed (503)"
            + (f"; server CPU {self.server_cpu:.2f} cores" if self.server_cpu is not None else "")
            + (f", {self.cpu_ms_per_request:.1f} ms a request" if self.cpu_ms_per_request else "")
        )


def _family(url: str, devices: int) -> list[dict[str, Any]]:
    """A parent and ``CHILDREN`` children through the API, ``devices`` enrolled among them, each
    child allowed the rules' most trades a day (a run places hundreds)."""
    with httpx.Client(base_url=url, timeout=60) as http:
        family = Family.create(http, tuple(f"아이{i}" for i in range(CHILDREN)))  # type: ignore[arg-type]
        elevated = step_up(http, family.parent)  # type: ignore[arg-type]
        for child in family.children.values():
            answer = http.put(
                f"/api/family/children/{child.user_id}/rules",
                json={"trades_per_day": 1_000},
                headers=elevated,
            )
            assert answer.status_code == 200, answer.text
        members = list(family.children.values())
        while len(members) < devices:
            child = members[len(members) % CHILDREN]
            members.append(enroll_device(http, family.parent, child.user_id))  # type: ignore[arg-type]
        return [_first_sync(http, m.client_id, m.access) for m in members[:devices]]


def _first_sync(http: httpx.Client, client_id: str, token: str) -> dict[str, Any]:
    """A paired device as the app leaves it: its first pull (the reset snapshot, every page) done
    right after joining, its cursor, mark and acknowledged seq kept. The load then starts from there,
    as an evening's devices do: the snapshot's cost is its own figure (g1)."""
    state: dict[str, Any] = {"client_id": client_id, "token": token, "cursor": 0, "mark": None, "seq": 0}
    snapshot = None
    while True:
        body: dict[str, Any] = {"protocol": 3, "client_id": client_id, "cursor": state["cursor"]}
        if snapshot is not None:
            body["snapshot"] = snapshot
        answer = http.post("/api/sync/pull", json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        state |= {"cursor": page["cursor"], "mark": page.get("cursor_mark"), "seq": page["last_seq"]}
        snapshot = page.get("snapshot")
        if not page["has_more"]:
            return state


def _run(
    url: str,
    devices: Path,
    offered: float,
    seconds: float,
    prefix: Path,
    *,
    health: bool,
    servers: tuple[str, ...] = (),
    data: tuple[Path, ...] = (),
) -> Step:
    """One step; ``servers`` (several processes) share the users in turn, ``data`` names their data
    dirs (for the CPU figure; default: the step's own folder)."""
    users = max(1, round(offered / PER_USER))
    env = {
        **os.environ,
        "YONGDON_BENCH_DEVICES": str(devices),
        "YONGDON_BENCH_USER_RATE": str(offered / users),
        "YONGDON_BENCH_HEALTH": "1" if health else "0",
        "YONGDON_BENCH_SERVERS": ",".join(servers),
        # each device's cursor, mark and seq, carried from one step to the next (the same devices
        # go on syncing as the load rises; a device does not forget its cursor between steps)
        "YONGDON_BENCH_STATE": str(devices.parent / "state"),
    }
    argv = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "-u", str(users), "-r", str(users), "-t", f"{seconds:g}s", "--csv", str(prefix),
        "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING",
    ]  # fmt: skip
    processes = [p for d in data or (prefix.parent,) if (p := _server_process(d)) is not None]
    before = sum(sum(p.cpu_times()[:2]) for p in processes)
    began = time.perf_counter()
    run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 120)  # noqa: S603
    used = sum(sum(p.cpu_times()[:2]) for p in processes) - before
    cpu = used / (time.perf_counter() - began) if processes else None
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no statistics ({run.returncode}): {run.stderr[-2000:]}")
    with stats.open() as f:
        total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    kinds: dict[str, int] = {}
    with Path(f"{prefix}_failures.csv").open() as f:
        for row in csv.DictReader(f):
            kind = "shed" if "shed" in row["Error"] else row["Error"][:60]
            kinds[kind] = kinds.get(kind, 0) + int(row["Occurrences"])
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    rps = float(total["Requests/s"])
    shed = kinds.pop("shed", 0)
    return Step(
        offered=offered,
        seconds=seconds,
        requests=requests,
        ok_rps=rps * (requests - failures) / requests if requests else 0.0,
        p50_ms=float(total["50%"]),
        p99_ms=float(total["99%"]),
        errors=failures - shed,
        shed=shed,
        error_kinds=kinds,
        server_cpu=cpu,
        server_cpu_s=used if processes else None,
    )


def _server_process(data: Path) -> psutil.Process | None:
    """The ``yongdon server`` process this run started (its command line names its data dir)."""
    for child in psutil.Process().children(recursive=True):
        try:
            if str(data / "data") in child.cmdline():
                return child
        except psutil.Error:
            continue
    return None


def measure(root: Path, rates: tuple[float, ...], seconds: float) -> tuple[list[Step], Step]:
    """One step per offered rate (each ``seconds`` long), then the raw baseline at the top rate."""
    data = root / "mixed"
    data.mkdir(parents=True, exist_ok=True)
    env = {"YONGDON_RATE_LIMITS": "0"}  # the per-user request limits are not the subject
    with yongdon_server(data / "data", data / "server.log", **env) as url:
        devices = data / "devices.json"
        devices.write_text(json.dumps(_family(url, round(max(rates) / PER_USER))))
        steps = [_run(url, devices, rate, seconds, data / f"step{rate:g}", health=False) for rate in rates]
        raw = _run(url, devices, max(rates), seconds, data / "health", health=True)
    return steps, raw


def measure_postgres(
    root: Path, database_url: str, redis_url: str | None, processes: int, rate: float, seconds: float
) -> Step:
    """The top rate against ``processes`` server processes on one PostgreSQL database (and Redis when
    several: their shared rate-limit counters and live channel), as README's "several processes"
    runs them: each its own ``yongdon server`` on its own port, the same secrets, the devices shared
    among them in turn (the round robin a reverse proxy would do)."""
    data = root / f"mixed-pg{processes}"
    data.mkdir(parents=True, exist_ok=True)
    env = {
        "YONGDON_RATE_LIMITS": "0",
        "YONGDON_DATABASE_URL": database_url,
        "YONGDON_JWT_SECRET": secrets.token_urlsafe(40),
        "YONGDON_PIN_PEPPER": secrets.token_urlsafe(40),
    }
    if redis_url is not None:
        env |= {"YONGDON_REDIS_URL": redis_url, "YONGDON_REDIS_PREFIX": f"bench{secrets.token_hex(4)}"}
    dirs = tuple(data / f"server{k}" for k in range(processes))
    for folder in dirs:
        folder.mkdir(exist_ok=True)
    with ExitStack() as stack:
        # one after another: the first migrates the fresh database, the others find it current
        urls = tuple(stack.enter_context(yongdon_server(d / "data", d / "server.log", **env)) for d in dirs)
        devices = data / "devices.json"
        devices.write_text(json.dumps(_family(urls[0], round(rate / PER_USER))))
        return _run(urls[0], devices, rate, seconds, data / "step", health=False, servers=urls, data=dirs)


def redis_or_none(url: str) -> str | None:
    """``url`` when a Redis answers there."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return None
    return url


CORES_NOTE = "; the machine's 2 cores are shared by the server processes, the database and locust"


def figure_of(key: str, label: str, step: Step, target: str) -> Any:
    from .report import Figure

    return Figure(
        key,
        label,
        step.ok_rps,
        "req/s",
        target,
        step.notes() + CORES_NOTE,
        {"p50_ms": step.p50_ms, "p99_ms": step.p99_ms, "errors": step.errors, "shed": step.shed},
    )


def figures_of(steps: list[Step], raw: Step) -> list[Any]:
    from .report import Figure

    target = "300 req/s, p99 < 150 ms, 0 errors"
    found = [
        Figure(
            f"m{k}",
            f"mixed load, 90 % reads, {step.offered:g} req/s offered (locust), SQLite",
            step.ok_rps,
            "req/s",
            target if step.offered == max(s.offered for s in steps) else "(step to m3)",
            step.notes() + CORES_NOTE,
            {"p50_ms": step.p50_ms, "p99_ms": step.p99_ms, "errors": step.errors, "shed": step.shed},
        )
        for k, step in enumerate(steps, start=1)
    ]
    found.append(
        Figure(
            f"m{len(steps) + 1}",
            f"raw baseline: the same locust users on GET /health, {raw.offered:g} req/s offered",
            raw.ok_rps,
            "req/s",
            "(baseline for m3)",
            raw.notes() + CORES_NOTE,
            {"p50_ms": raw.p50_ms, "p99_ms": raw.p99_ms},
        )
    )
    return found

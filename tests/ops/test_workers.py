"""``yongdon server --workers N``: several processes on one port, on PostgreSQL with Redis.

A family works through them as through one server, and a revoked device is refused by every process
on its very next request (each reads the device's standing from the database, none caches it)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from ..helpers import Family, step_up
from ..support.live import free_port, server_process

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _argv(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "server", "server", "--port", str(port), *extra]


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")}
    return keep | {"YONGDON_DATA_DIR": str(tmp_path / "data"), "YONGDON_RATE_LIMITS": "0"} | more


@pytest.fixture
def two_workers(fresh_pg: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    env = _env(tmp_path, YONGDON_DATABASE_URL=fresh_pg, YONGDON_REDIS_URL=redis_url)
    env["YONGDON_REDIS_PREFIX"] = f"workers{port}"
    log = tmp_path / "workers.log"
    with server_process(_argv(port, "--workers", "2"), env, log, port) as process:
        yield f"http://127.0.0.1:{port}", psutil.Process(process.pid)


def test_two_workers_serve_a_family_and_refuse_a_revoked_device_in_each(
    two_workers: tuple[str, psutil.Process],
) -> None:
    url, supervisor = two_workers
    workers = [c for c in supervisor.children() if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2
    with httpx.Client(base_url=url, timeout=30) as http:
        family = Family.create(http, ("지우",))  # type: ignore[arg-type]
        kid = family.child("지우")
        # a new connection per request: the kernel hands each to either process
        for _ in range(20):
            assert httpx.get(f"{url}/api/family", headers=kid.headers, timeout=30).status_code == 200
        elevated = step_up(http, family.parent)  # type: ignore[arg-type]
        assert http.delete(f"/api/family/devices/{kid.client_id}", headers=elevated).status_code == 204
    for _ in range(20):
        assert httpx.get(f"{url}/api/family", headers=kid.headers, timeout=30).status_code == 401


def test_workers_refuse_sqlite(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603
        _argv(free_port(), "--workers", "2"), env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "--workers needs PostgreSQL" in done.stderr

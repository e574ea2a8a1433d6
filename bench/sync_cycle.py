"""(e) A device's full sync cycle on loopback: push N pending trades, pull, rebase (the model device).

The device is the protocol model of ``tests/support/device.py`` over httpx to a real uvicorn process:
it records N trades offline, then one timed cycle pushes them (pages of 500), pulls until caught up
and rebuilds its view (confirmed ⊕ replay(pending)).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import NamedTuple

import httpx

from sync.records import Actor, Role
from tests.support.device import Device
from tests.support.live import Seeded

from .apply_rate import trade_args

__all__ = ["Phases", "cycle_seconds"]


class Phases(NamedTuple):
    total: float
    push: float
    pull: float
    rebase: float

    def notes(self) -> str:
        return f"push {self.push:.2f} s, pull {self.pull:.2f} s, rebase {self.rebase * 1000:.0f} ms"


def _device(http: httpx.Client, seeded: Seeded, name: str) -> Device:
    owner = name.split("-")[0]
    actor = Actor(user_id=seeded.users[owner], role=Role.CHILD, family_id=seeded.family_id)
    return Device(
        name, http, lambda: seeded.headers(name), seeded.devices[name], actor, lambda: datetime.now(UTC)
    )


def cycle_seconds(url: str, seeded: Seeded, name: str, pending: int, repeats: int) -> list[Phases]:
    """Seconds per cycle and per phase, ``repeats`` cycles of ``pending`` new trades each on ``name``."""
    times: list[Phases] = []
    with httpx.Client(base_url=url, timeout=300) as http:
        device = _device(http, seeded, name)
        device.sync()  # the first pull (a reset snapshot) is not part of the cycle
        for _ in range(repeats):
            for _ in range(pending):
                seq = device.state.next_seq
                device.act("trade.place/v1", trade_args(seeded, f"t-{device.client_id}-{seq}", seq))
            started = time.perf_counter()
            device.push()
            pushed = time.perf_counter()
            device.pull()
            pulled = time.perf_counter()
            device.view()
            done = time.perf_counter()
            times.append(Phases(done - started, pushed - started, pulled - pushed, done - pulled))
            if device.state.pending:
                raise RuntimeError(f"{len(device.state.pending)} mutations still pending after a cycle")
    return times

"""The client core against the real server app: a family server, devices with their own data dirs.

Each device's network is the real app behind a fault-injecting transport (``tests.support.faults``),
adapted to httpx's async interface. The adapter calls the server synchronously: the test's event
loop waits while the server (running in the test client's own thread) answers, which keeps runs
deterministic.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from client.runtime import Profile, Runtime
from client.vault import MemoryVault
from server.app import create_app
from server.market.clock import FixedMarketClock
from server.market.quotes import record_quote
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import PASSWORD
from tests.support.faults import FaultTransport

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Seoul: markets open
SAMSUNG = "005930.KS"
BASE_URL = "http://yongdon.test"


class AsyncAdapter(httpx.AsyncBaseTransport):
    """An async face on a sync transport (the test client's, or a ``FaultTransport`` around it)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.down = False  # the whole network is gone: every request fails to connect
        self.requests: list[str] = []
        self.before: Callable[[str], Awaitable[None]] | None = None  # runs before each request

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request.url.path)
        if self.before is not None:
            await self.before(request.url.path)
        if self.down:
            raise httpx.ConnectError("injected: no network", request=request)
        response = self.inner.handle_request(request)
        content = response.read()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )


@dataclass
class Server:
    client: TestClient[Any]
    clock: MovableClock
    app: Any
    settings: Settings
    nets: list[AsyncAdapter] = field(default_factory=list)
    faults: list[FaultTransport] = field(default_factory=list)

    def stop(self) -> None:
        self.client.__exit__(None, None, None)
        self.app.state.db.dispose()

    def start(self) -> None:
        """A new app process on the same database (after :meth:`stop`); devices' networks follow."""
        self.app = create_app(self.settings, clock=self.clock)
        self.app.state.market_clock = FixedMarketClock()
        self.client = TestClient(self.app, base_url=BASE_URL)
        self.client.__enter__()
        for faults in self.faults:
            faults.inner = self.client._transport  # type: ignore[attr-defined]

    def network(self, *, chaos: float = 0.0, seed: int = 0) -> tuple[AsyncAdapter, FaultTransport]:
        """A device's own network: the adapter (``down`` switch) over a ``FaultTransport``."""
        import random

        faults = FaultTransport(self.client._transport, rng=random.Random(seed), chaos=chaos)  # type: ignore[attr-defined]
        net = AsyncAdapter(faults)
        self.nets.append(net)
        self.faults.append(faults)
        return net, faults

    def dispatch(self) -> int:
        """Deliver every due notification to the inboxes now (the dispatcher thread's work)."""
        from server.notify.dispatcher import dispatch_once

        delivered = 0
        while (report := dispatch_once(self.app.state.db, self.clock())).finished:
            delivered += report.finished
        return delivered

    def quote(self, symbol: str, price: int) -> Any:
        with self.app.state.db.write() as s:
            return record_quote(s, symbol, price, self.clock(), source="test")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[Server]:
    import shutil

    db_path = tmp_path / "server" / "yongdon.db"
    db_path.parent.mkdir(parents=True)
    shutil.copyfile(sqlite_template, db_path)
    settings = Settings(
        jwt_secret=secrets.token_urlsafe(48),
        pin_pepper=secrets.token_urlsafe(48),
        data_dir=tmp_path / "server",
        database_url=f"sqlite:///{db_path}",
        announce_setup_token=False,
        rate_limits=False,
        notify_dispatcher=False,  # tests deliver notifications with Server.dispatch(): no race
    )
    clock = MovableClock(START)
    app = create_app(settings, clock=clock)
    app.state.market_clock = FixedMarketClock()
    server = Server(TestClient(app, base_url=BASE_URL), clock, app, settings)
    server.client.__enter__()
    yield server
    server.stop()


@dataclass
class Household:
    """A family made through the client runtime: a parent's installation and a child's device(s)."""

    server: Server
    parent_rt: Runtime
    parent: Profile
    child_id: str
    pin: str
    kids: list[tuple[Runtime, Profile, AsyncAdapter, FaultTransport]]
    vaults: dict[str, MemoryVault]


async def make_runtime(
    server: Server, data_dir: Path, *, chaos: float = 0.0, seed: int = 0, vault: MemoryVault | None = None
) -> tuple[Runtime, AsyncAdapter, FaultTransport]:
    net, faults = server.network(chaos=chaos, seed=seed)
    runtime = Runtime.open(
        data_dir, vault=vault or MemoryVault(), transport=net, clock=server.clock, autostart=False
    )
    return runtime, net, faults


async def make_household(server: Server, tmp_path: Path, *, child_devices: int = 1) -> Household:
    """A parent registers on its own installation, adds a child and pairs ``child_devices`` devices."""
    parent_rt, _, _ = await make_runtime(server, tmp_path / "parent")
    parent = await parent_rt.register_parent(
        BASE_URL, f"mom-{secrets.token_hex(4)}@example.org", PASSWORD, "엄마", "laptop", family_name="김씨네"
    )
    pin = "482915"
    child = await parent.api.add_child("지우", 2015, pin)
    kids = []
    for i in range(child_devices):
        code = (await parent.api.pairing_code("child_device", child["child_id"]))["code"]
        runtime, net, faults = await make_runtime(server, tmp_path / f"kid{i}", seed=i)
        profile = await runtime.enroll_with_code(BASE_URL, code, f"tablet {i}")
        kids.append((runtime, profile, net, faults))
    return Household(server, parent_rt, parent, child["child_id"], pin, kids, {})


@pytest.fixture
async def household(server: Server, tmp_path: Path) -> AsyncIterator[Household]:
    home = await make_household(server, tmp_path)
    yield home
    for runtime, *_ in home.kids:
        await runtime.close()
    await home.parent_rt.close()

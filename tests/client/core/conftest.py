"""The client core against the real server app: a family server, devices with their own data dirs.

Each device's network is the real app behind a fault-injecting transport (``tests.support.faults``),
adapted to httpx's async interface. The adapter calls the server synchronously: the test's event
loop waits while the server (running in the test client's own thread) answers, which keeps runs
deterministic.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from keyring.backends import null
from litestar.testing import TestClient

from client.runtime import Profile, Runtime
from client.vault import KeyringVault, MemoryVault, TokenVault
from server.app import create_app
from server.market.clock import FixedMarketClock
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import PASSWORD
from tests.support.faults import FaultTransport
from tests.support.market import ScriptedMarket

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

    def __post_init__(self) -> None:
        self.prices = ScriptedMarket(self.clock).attach(self.app)  # Yahoo, scripted

    def stop(self) -> None:
        self.client.__exit__(None, None, None)
        self.app.state.db.dispose()

    def start(self) -> None:
        """A new app process on the same database (after :meth:`stop`); devices' networks follow."""
        self.app = create_app(self.settings, clock=self.clock)
        self.app.state.market_clock = FixedMarketClock()
        self.prices.attach(self.app)
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
        """``symbol`` trades at ``price`` on Yahoo and the server's refresh pass fetched it."""
        return self.prices.trades(symbol, price)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server_settings(data_dir: Path, sqlite_template: Path, **overrides: Any) -> Settings:
    """A test server's settings on its own copy of the migrated database in ``data_dir``."""
    import shutil

    db_path = data_dir / "yongdon.db"
    data_dir.mkdir(parents=True)
    shutil.copyfile(sqlite_template, db_path)
    values: dict[str, Any] = {
        "jwt_secret": secrets.token_urlsafe(48),
        "pin_pepper": secrets.token_urlsafe(48),
        "data_dir": data_dir,
        "database_url": f"sqlite:///{db_path}",
        "announce_setup_token": False,
        "rate_limits": False,
        "notify_dispatcher": False,  # tests deliver notifications with Server.dispatch(): no race
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[Server]:
    settings = server_settings(tmp_path / "server", sqlite_template)
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
    server: Server, data_dir: Path, *, chaos: float = 0.0, seed: int = 0, vault: TokenVault | None = None
) -> tuple[Runtime, AsyncAdapter, FaultTransport]:
    net, faults = server.network(chaos=chaos, seed=seed)
    runtime = Runtime.open(
        data_dir, vault=vault or MemoryVault(), transport=net, clock=server.clock, autostart=False
    )
    return runtime, net, faults


async def make_household(
    server: Server,
    tmp_path: Path,
    *,
    child_devices: int = 1,
    kid_vault: Callable[[], TokenVault] = MemoryVault,
) -> Household:
    """A parent registers on its own installation, adds a child and pairs ``child_devices`` devices
    (each with its own ``kid_vault()``)."""
    parent_rt, _, _ = await make_runtime(server, tmp_path / "parent")
    parent = await parent_rt.register_parent(
        BASE_URL, f"mom-{secrets.token_hex(4)}@example.org", PASSWORD, "엄마", "laptop", family_name="김씨네"
    )
    pin = "482915"
    child = await parent.api.add_child("지우", 2015, pin)
    kids = []
    for i in range(child_devices):
        code = (await parent.api.pairing_code("child_device", child["child_id"]))["code"]
        runtime, net, faults = await make_runtime(server, tmp_path / f"kid{i}", seed=i, vault=kid_vault())
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


class SocketServer:
    """The real app served by uvicorn on a loopback port, in a thread of this process, on a clock
    the test moves: what a device meets over a real network (HTTP and the ``/ws`` socket), with
    access tokens that expire when the test says so."""

    def __init__(self, settings: Settings, clock: MovableClock) -> None:
        import uvicorn

        from tests.support.live import free_port

        self.settings, self.clock = settings, clock
        self.app = create_app(settings, clock=clock)
        self.app.state.market_clock = FixedMarketClock()
        self.prices = ScriptedMarket(clock).attach(self.app)  # Yahoo, scripted
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        self.uvicorn = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.uvicorn.run, name="socket-server", daemon=True)

    def __enter__(self) -> SocketServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.uvicorn.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Shut the server down (the database stays: another server may take it over)."""
        if self.thread.is_alive():
            self.uvicorn.should_exit = True
            self.thread.join(30)
            self.app.state.db.dispose()

    def quote(self, symbol: str, price: int) -> Any:
        return self.prices.trades(symbol, price)


@pytest.fixture
def socket_server(tmp_path: Path, sqlite_template: Path) -> Iterator[SocketServer]:
    # the live channel checks token expiry every 50 ms, not every 5 s
    settings = server_settings(tmp_path / "socket-server", sqlite_template, live_quote_interval_s=0.05)
    with SocketServer(settings, MovableClock(START)) as server:
        yield server


def no_keyring() -> KeyringVault:
    """What a headless box, the web view on a server or a phone has: no secure store at all."""
    return KeyringVault(null.Keyring())


@dataclass
class SocketFamily:
    server: SocketServer
    parent_rt: Runtime
    parent: Profile
    child_id: str
    kid_rt: Runtime
    kid: Profile


async def family_over_sockets(server: SocketServer, tmp_path: Path, *, autostart: bool) -> SocketFamily:
    """A parent (its own installation) and a child's device on no keyring, over the real network."""
    parent_rt = Runtime.open(tmp_path / "parent", vault=MemoryVault(), clock=server.clock, autostart=False)
    parent = await parent_rt.register_parent(
        server.url, f"mom-{secrets.token_hex(4)}@example.org", PASSWORD, "엄마", "laptop"
    )
    child = await parent.api.add_child("지우", 2015, "482915")
    code = (await parent.api.pairing_code("child_device", child["child_id"]))["code"]
    kid_rt = Runtime.open(tmp_path / "kid", vault=no_keyring(), clock=server.clock, autostart=autostart)
    kid = await kid_rt.enroll_with_code(server.url, code, "tablet")
    return SocketFamily(server, parent_rt, parent, child["child_id"], kid_rt, kid)

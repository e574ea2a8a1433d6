"""A whole family on a real server app, for protocol tests: devices, quotes, clock, restarts.

The server is the real Litestar app on a real database (a SQLite file, or PostgreSQL); devices talk
to it over HTTP through their own fault-injecting transports. Family members are created directly in
the database (fast: no password hashing), and tokens are issued by the server's own session code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import TestClient

from server.app import create_app
from server.auth.sessions import issue_tokens
from server.db import Database
from server.db.models import Device as DeviceRow
from server.db.models import Family, User
from server.game.accounts import log_member, open_child
from server.market.clock import FixedMarketClock
from server.settings import Settings
from sync.records import Actor, Role

from ..conftest import MovableClock
from .device import Device
from .faults import FaultTransport
from .market import ScriptedMarket

__all__ = ["World"]

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Seoul


@dataclass
class _Member:
    user_id: str
    role: Role
    family_id: str


@dataclass
class World:
    tmp_path: Path
    database_url: str | None = None
    rate_limits: bool = False  # the per-user limits, and the trading budget of every mutation path
    clock: MovableClock = field(default_factory=lambda: MovableClock(START))
    market: FixedMarketClock = field(default_factory=FixedMarketClock)
    devices: list[Device] = field(default_factory=list)
    transports: dict[str, FaultTransport] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = Settings(
            jwt_secret=secrets.token_urlsafe(40),
            pin_pepper=secrets.token_urlsafe(40),
            data_dir=self.tmp_path / "data",
            database_url=self.database_url or f"sqlite:///{self.tmp_path / 'data' / 'world.db'}",
            rate_limits=self.rate_limits,
            announce_setup_token=False,
        )
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self.prices = ScriptedMarket(
            self.clock
        )  # Yahoo, scripted: it outlives a restart, as the real one does
        self._start()

    # -- the server ------------------------------------------------------------------------------
    def _start(self) -> None:
        app = create_app(self.settings, clock=self.clock)
        app.state.market_clock = self.market
        self.client = TestClient(app)
        self.client.__enter__()
        self.db: Database = app.state.db
        self.prices.attach(app)
        for transport in self.transports.values():
            transport.inner = self.client._transport  # type: ignore[attr-defined]

    def restart(self) -> None:
        """Stop the app and start a new one on the same database (what a process restart keeps)."""
        self.close()
        self._start()

    def close(self) -> None:
        self.client.__exit__(None, None, None)

    # -- people and devices ----------------------------------------------------------------------
    def family(self, name: str = "Kim") -> str:
        family_id = f"fam-{secrets.token_hex(4)}"
        with self.db.write() as s:
            s.add(Family(id=family_id, name=name, created_at=self.clock()))
        return family_id

    def member(self, family_id: str, role: Role, name: str, *, preset: str = "classic") -> _Member:
        user_id = f"{role.value}-{secrets.token_hex(4)}"
        with self.db.write(family_id) as s:
            s.add(
                User(
                    id=user_id,
                    family_id=family_id,
                    role=role.value,
                    display_name=name,
                    created_at=self.clock(),
                )
            )
            s.flush()
            log_member(
                s, family_id=family_id, user_id=user_id, role=role.value, display_name=name, now=self.clock()
            )
            if role is Role.CHILD:
                open_child(s, family_id=family_id, child_id=user_id, preset=preset, now=self.clock())
        return _Member(user_id, role, family_id)

    def headers_for(self, member: _Member, client_id: str, *, elevated: bool = False) -> dict[str, str]:
        key = f"{client_id}:{elevated}"
        token, expires = self._tokens.get(key, ("", START))
        if self.clock() >= expires:
            with self.db.write(member.family_id) as s:
                user = s.get(User, member.user_id)
                assert user is not None
                issued = issue_tokens(s, user, client_id, self.clock(), self.settings)
            token = issued["access_token"]
            if elevated:
                token = self._elevate(token)
            self._tokens[key] = (token, self.clock() + timedelta(minutes=4))
        return {"Authorization": f"Bearer {token}"}

    def _elevate(self, token: str) -> str:
        from server.auth.sessions import step_up_token
        from server.auth.tokens import decode_access

        claims = decode_access(token, self.clock(), self.settings)
        return str(step_up_token(claims, self.clock(), self.settings)["access_token"])

    def device(self, member: _Member, name: str, *, elevated: bool = False) -> Device:
        client_id = f"dev-{name}-{secrets.token_hex(4)}"
        with self.db.write(member.family_id) as s:
            s.add(
                DeviceRow(
                    client_id=client_id,
                    user_id=member.user_id,
                    family_id=member.family_id,
                    name=name,
                    created_at=self.clock(),
                )
            )
        transport = FaultTransport(self.client._transport)  # type: ignore[attr-defined]
        self.transports[client_id] = transport
        http = httpx.Client(transport=transport, base_url=str(self.client.base_url))
        actor = Actor(user_id=member.user_id, role=member.role, family_id=member.family_id)
        dev = Device(
            name,
            http,
            lambda: self.headers_for(member, client_id, elevated=elevated),
            client_id,
            actor,
            self.clock,
        )
        self.devices.append(dev)
        return dev

    # -- the market ------------------------------------------------------------------------------
    def quote(self, symbol: str, price: int, *, age: timedelta = timedelta(0)) -> Any:
        """``symbol`` trades at ``price`` on Yahoo and the server's refresh pass (``age`` ago) fetched it."""
        return self.prices.trades(symbol, price, age=age)

    def fx(self, micro_won_per_usd: int) -> Any:
        return self.prices.rate(micro_won_per_usd)

"""Two families on one ``World``, for the tests of the mutation gateway: REST calls and raw pushes.

Each family has a parent (stepped up) and children, each on its own device; a test acts through the
same HTTP routes a device or the app uses.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from server.db.models import Balance, RequestRow, TradeRow
from sync.records import Role

from ..support.device import Device
from ..support.world import World

__all__ = ["Home", "SAMSUNG", "home_of"]

SAMSUNG = "005930.KS"
_seq = itertools.count(1)


@dataclass
class Home:
    """One family: ``parent`` and ``kids`` by name, each with its device."""

    world: World
    family_id: str
    parent: Device
    kids: dict[str, Device] = field(default_factory=dict)

    def kid(self, name: str = "Jiu") -> Device:
        return self.kids[name]

    # -- REST, with the device's own token -----------------------------------------------------------
    def rest(
        self, device: Device, method: str, path: str, body: Any = None, key: str | None = None
    ) -> httpx.Response:
        headers = dict(device.headers())
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.world.client.request(method, path, json=body, headers=headers)

    def buy(self, device: Device, key: str | None = None, **body: Any) -> httpx.Response:
        quote = self.world.quote(SAMSUNG, 70_000)
        device.pull()
        order = {"symbol": SAMSUNG, "quantity": 1_000_000, "quote_id": quote.quote_id, "price": 70_000}
        return self.rest(device, "POST", "/api/game/trade/buy", {**order, **body}, key)

    def queued_order(self, device: Device) -> str:
        """A buy while the markets are closed: money reserved, waiting for the open."""
        opened = set(self.world.market.open_markets)
        self.world.market.open_markets.clear()
        try:
            answer = self.buy(device)
        finally:
            self.world.market.open_markets.update(opened)
        assert answer.status_code == 200, answer.text
        assert answer.json()["trade"]["status"] == "queued"
        return str(answer.json()["trade"]["trade_id"])

    def realise_profit(self, device: Device) -> None:
        """Buy 10 shares at 70,000 and sell them at 80,000: 100,000 of realised profit."""
        for side, price in (("buy", 70_000), ("sell", 80_000)):
            quote = self.world.quote(SAMSUNG, price)
            device.pull()
            body = {"symbol": SAMSUNG, "quantity": 10_000_000, "quote_id": quote.quote_id, "price": price}
            answer = self.rest(device, "POST", f"/api/game/trade/{side}", body)
            assert answer.status_code == 200, answer.text

    def request(self, device: Device, amount_game: int = 50_000, **body: Any) -> httpx.Response:
        return self.rest(device, "POST", "/api/allowance/request", {"amount_game": amount_game, **body})

    def approved_request(self, device: Device) -> dict[str, Any]:
        self.realise_profit(device)
        answer = self.request(device)
        assert answer.status_code == 201, answer.text
        request = answer.json()["request"]
        approval = {"version": request["version"], "amount_real": request["amount_real"]}
        approved = self.rest(self.parent, "PUT", f"/api/allowance/{request['request_id']}/approve", approval)
        assert approved.status_code == 200, approved.text
        return dict(approved.json()["request"])

    # -- raw pushes ------------------------------------------------------------------------------------
    def push(
        self,
        device: Device,
        *mutations: tuple[str, dict[str, Any]],
        ids: list[str] | None = None,
        created: list[datetime] | None = None,
    ) -> httpx.Response:
        """Push ``mutations`` as the device's next seqs (``ids`` and ``created_at`` optional)."""
        first = self.world_last_seq(device) + 1
        wire = []
        for i, (name, args) in enumerate(mutations):
            m: dict[str, Any] = {
                "seq": first + i,
                "id": ids[i] if ids else f"{device.client_id}-r{next(_seq)}",
                "name": name,
                "args": args,
            }
            if created:
                m["created_at"] = created[i].isoformat()
            wire.append(m)
        body = {"protocol": 1, "client_id": device.client_id, "mutations": wire}
        return self.world.client.post("/api/sync/push", json=body, headers=device.headers())

    def world_last_seq(self, device: Device) -> int:
        from server.db.models import Device as DeviceRow

        with self.world.db.read() as s:
            row = s.get(DeviceRow, device.client_id)
            assert row is not None
            return row.last_seq

    # -- what the family's books hold ------------------------------------------------------------------
    def trade_row(self, trade_id: str) -> tuple[str, str, str] | None:
        with self.world.db.read() as s:
            row = s.get(TradeRow, trade_id)
            return None if row is None else (row.family_id, row.child_id, row.status)

    def request_row(self, request_id: str) -> tuple[str, str, str] | None:
        with self.world.db.read() as s:
            row = s.get(RequestRow, request_id)
            return None if row is None else (row.family_id, row.child_id, row.status)

    def balances(self, device: Device) -> dict[str, int]:
        with self.world.db.read() as s:
            rows = s.execute(
                select(Balance.account, Balance.balance).where(Balance.child_id == device.actor.user_id)
            )
            return {account: balance for account, balance in rows}


def home_of(world: World, kids: tuple[str, ...] = ("Jiu",)) -> Home:
    family_id = world.family()
    parent = world.device(world.member(family_id, Role.PARENT, "Mom"), f"mom-{family_id}", elevated=True)
    home = Home(world, family_id, parent)
    for name in kids:
        home.kids[name] = world.device(world.member(family_id, Role.CHILD, name), f"{name}-{family_id}")
    for device in (parent, *home.kids.values()):
        device.sync()
    return home

"""The live channel client against a real server process on a socket (``tests.support.live``):
first-message auth, a poke when something in the child's scope changes, reconnect after the server
restarts, and a fresh token after a 4401 close."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from client.clock import new_id
from client.net.live import LiveClient, ws_url
from tests.support.live import LiveServer, Seeded, seed_family

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, Seeded]]:
    data = tmp_path / "live"
    data.mkdir()
    server = LiveServer(f"sqlite:///{data / 'yongdon.db'}", data)
    try:
        seeded = seed_family(server.settings(), children=1)
        server.start()
        yield server, seeded
    finally:
        server.close()


async def _grant(server: LiveServer, seeded: Seeded, seq: int) -> None:
    """The parent's device pushes a grant: the child's scope changes."""
    body = {
        "protocol": 1,
        "client_id": seeded.devices["mom"],
        "mutations": [
            {
                "seq": seq,
                "id": new_id(),
                "name": "family.grant/v1",
                "args": {
                    "child_id": seeded.users["kid0"],
                    "grant_id": new_id(),
                    "amount": 1_000,
                    "reason": "칭찬",
                },
            }
        ],
    }
    # a generous timeout: this checks the poke, not the push's latency on a loaded CI machine
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        answer = await http.post("/api/sync/push", json=body, headers=seeded.headers("mom"))
    assert answer.status_code == 200, answer.text


def test_ws_url() -> None:
    assert ws_url("http://127.0.0.1:8000/") == "ws://127.0.0.1:8000/ws"
    assert ws_url("https://family.example") == "wss://family.example/ws"
    with pytest.raises(ValueError):
        ws_url("ftp://x")


async def test_pokes_on_changes_and_reconnects_after_a_restart(live: tuple[LiveServer, Seeded]) -> None:
    server, seeded = live
    pokes: list[int] = []
    refreshed: list[str] = []
    token = seeded.tokens["kid0"]

    async def current() -> str:
        return token

    async def refresh(refused: str) -> str:
        refreshed.append(refused)
        return token

    client = LiveClient(server.url, token=current, refresh=refresh, on_poke=lambda: pokes.append(1))
    client.start()
    try:
        await asyncio.wait_for(client.connected.wait(), 10)
        assert len(pokes) == 1  # a (re)connect pokes: catch up on what happened meanwhile
        await _grant(server, seeded, 1)
        async with asyncio.timeout(10):
            while len(pokes) < 2:  # noqa: ASYNC110 - the socket task appends
                await asyncio.sleep(0.02)

        server.kill()  # the server dies; the client keeps trying
        await asyncio.sleep(0.3)
        assert not client.connected.is_set()
        server.start()
        async with asyncio.timeout(20):
            while client.connects < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert len(pokes) >= 3 and not refreshed
    finally:
        await client.stop()


async def test_a_refused_token_is_refreshed_before_reconnecting(live: tuple[LiveServer, Seeded]) -> None:
    server, seeded = live
    calls: list[str] = []

    async def stale() -> str:
        calls.append("stale")
        return "not-a-token"

    async def refresh(refused: str) -> str:
        calls.append(f"refresh after {refused}")
        return seeded.tokens["kid0"]

    client = LiveClient(server.url, token=stale, refresh=refresh, on_poke=lambda: None)
    client.start()
    try:
        await asyncio.wait_for(client.connected.wait(), 10)
        assert calls == ["stale", "refresh after not-a-token"]
    finally:
        await client.stop()

"""``/ws`` across two real server processes sharing PostgreSQL and Redis (architecture.md, "Runtime
topology"): a change committed by one process reaches sockets held by the other, scoped as in one.

Ordering makes "gets nothing" checkable without sleeping: a process hands one hub event to all its
sockets of that family at once, so when one socket has its poke, every other socket's share of the
same event is already queued ahead of any later reply.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support.live import LiveServer, Seeded, seed_family

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@contextmanager
def _socket(server: LiveServer, token: str) -> Iterator[ClientConnection]:
    with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert _next(ws)["type"] == "ready"
        yield ws


def _next(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=10)))


def _received_nothing(ws: ClientConnection) -> None:
    ws.send(json.dumps({"type": "subscribe", "channels": []}))
    assert _next(ws)["type"] == "subscribed"


def _grant(server: LiveServer, seeded: Seeded, child: str, seq: int) -> None:
    args = {"child_id": seeded.users[child], "grant_id": uuid.uuid4().hex, "amount": 1_000, "reason": "용돈"}
    mutation = {"seq": seq, "id": uuid.uuid4().hex, "name": "family.grant/v1", "args": args}
    body = {"protocol": 1, "client_id": seeded.devices["mom"], "mutations": [mutation]}
    answer = httpx.post(f"{server.url}/api/sync/push", json=body, headers=seeded.headers("mom"), timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "applied", answer.text


def test_a_push_on_one_process_pokes_sockets_on_the_other(servers: tuple[LiveServer, LiveServer]) -> None:
    one, two = servers
    ours = seed_family(one.settings(), children=2)
    theirs = seed_family(one.settings(), children=1)
    with (
        _socket(two, ours.tokens["kid0"]) as kid,
        _socket(two, ours.tokens["kid1"]) as sibling,
        _socket(one, ours.tokens["mom"]) as mom_on_one,
        _socket(two, theirs.tokens["mom"]) as other_parent,
        _socket(two, theirs.tokens["kid0"]) as other_child,
    ):
        _grant(one, ours, "kid0", seq=1)
        assert _next(kid) == {"type": "poke"}
        assert _next(mom_on_one) == {"type": "poke"}  # and on the process that committed, once
        _received_nothing(sibling)
        _received_nothing(mom_on_one)
        # the other family's sockets share no event with ours: their own change pokes them, and the
        # poke is the first thing they receive
        _grant(two, theirs, "kid0", seq=1)
        assert _next(other_parent) == {"type": "poke"}
        assert _next(other_child) == {"type": "poke"}
        _received_nothing(kid)


def test_a_socket_is_refused_on_either_process_without_a_valid_token(
    servers: tuple[LiveServer, LiveServer],
) -> None:
    from websockets.exceptions import ConnectionClosed

    for server in servers:
        with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "auth", "token": "forged"}))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401

"""Ids made on the device: UUIDv7, unique, ordered by creation time."""

from __future__ import annotations

import time
import uuid

from client import actions
from client.clock import new_id, uuid7


def test_both_implementations_make_version_7_rfc_ids_in_time_order() -> None:
    for make in (lambda: uuid.UUID(new_id()), uuid7):
        first = make()
        time.sleep(0.002)
        second = make()
        assert first.version == 7 and first.variant == uuid.RFC_4122
        assert first.int >> 80 <= second.int >> 80  # the millisecond prefix never goes back
        assert str(first) < str(second)
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_builders_make_fresh_ids_and_drop_absent_fields() -> None:
    name, args = actions.place_order("005930.KS", "buy", amount=50_000)
    again = actions.place_order("005930.KS", "buy", amount=50_000)[1]
    assert name == "trade.place/v1" and args["trade_id"] != again["trade_id"]
    assert set(args) == {"trade_id", "side", "symbol", "amount"}
    try:
        actions.place_order("005930.KS", "buy", quantity=1, amount=1)
    except ValueError:
        pass
    else:
        raise AssertionError("quantity and amount together must be refused")

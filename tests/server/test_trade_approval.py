"""Graded trade approval through the API: a house rule set over REST makes a child's order wait for a
parent ("awaiting", its money held); the parent's push approves it into the fill rules of the moment
(open: filled at the current quote; closed: queued for the first open *after the approval*) or
declines it with a reason the child pulls; a cancelled order is no longer the parent's to decide; the
parents hear that a trade waits, the child why it was declined; and the log still replays."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.market.calendar import market_calendars
from server.market.opening import fill_due_orders
from tests.conftest import MovableClock
from tests.helpers import Family, Member
from tests.support.invariants import check_mutation_log_replays
from tests.support.market import ScriptedMarket

from .test_queued_fills import EVENING, KRX_OPEN, SAMSUNG, START, Home

THURSDAY_CLOSED = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 16:00 in Seoul: KRX closed at 15:30
FRIDAY_OPEN = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
WHY_NOT = "이번 주는 저축하기로 했잖아"


class Approving(Home):
    family: Family
    seqs: dict[str, itertools.count[int]]

    @property
    def parent(self) -> Member:
        return self.family.parent

    @property
    def elevated(self) -> dict[str, str]:
        """A parent stepped up now (the clock moves past a token's life between steps)."""
        self.renew(self.parent)
        return self.family.elevated(self.client)

    def renew(self, member: Member) -> None:
        tokens = self.client.post("/api/auth/refresh", json={"refresh_token": member.refresh})
        assert tokens.status_code == 200, tokens.text
        member.tokens = tokens.json()

    def push(self, who: Member, headers: dict[str, str], name: str, args: dict[str, Any]) -> dict[str, Any]:
        seq = next(self.seqs.setdefault(who.client_id, itertools.count(1)))
        mutation = {"seq": seq, "id": f"m-{uuid.uuid4().hex}", "name": name, "args": args}
        body = {"protocol": 1, "client_id": who.client_id, "mutations": [mutation]}
        response = self.client.post("/api/sync/push", json=body, headers=headers)
        assert response.status_code == 200, response.text
        (result,) = response.json()["results"]
        return dict(result)

    def decide(self, trade_id: str, decision: str, reason: str | None = None) -> dict[str, Any]:
        args = {"child_id": self.kid.user_id, "trade_id": trade_id, "decision": decision}
        if reason is not None:
            args["reason"] = reason
        return self.push(self.parent, self.elevated, "trade.decide/v1", args)

    def awaiting(self, **body: Any) -> str:
        answer = self.buy(SAMSUNG, **body)
        assert (answer["detail"], answer["trade"]["status"]) == ({"awaiting": "parent"}, "awaiting"), answer
        return str(answer["trade"]["trade_id"])


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar, clock: MovableClock) -> Approving:
    clock.now = EVENING
    family = Family.create(client, ("지우",))
    found = Approving(
        client, app.state.db, family.child("지우"), family.family_id, ScriptedMarket(clock).attach(app)
    )
    found.family, found.seqs = family, {}
    found.quote(SAMSUNG, 70_000, EVENING - timedelta(hours=15))  # Wednesday's close
    url = f"/api/family/children/{found.kid.user_id}/rules"
    answer = client.put(url, json={"trade_approval": "every"}, headers=found.elevated)
    assert answer.status_code == 200, answer.text
    return found


def test_approved_while_closed_it_waits_for_the_first_open_after_the_approval(
    home: Approving, clock: MovableClock, tmp_path: Path
) -> None:
    trade_id = home.awaiting(amount=100_000)  # Wednesday evening: closed, and the order waits
    assert home.balance("reserved") == 100_000
    assert [e["trade_id"] for e in home.events("TradeApprovalRequested")] == [trade_id]
    home.quote(SAMSUNG, 70_500, KRX_OPEN + timedelta(seconds=30))  # Thursday opens; nobody decided
    assert fill_due_orders(home.db, market_calendars(), KRX_OPEN + timedelta(minutes=5)).filled == []

    clock.now = THURSDAY_CLOSED  # the parent approves after Thursday's close
    result = home.decide(trade_id, "approve")
    assert (result["status"], result["detail"]) == ("applied", {"approved": True, "queued": "market_closed"})
    trade = home.trade(trade_id)
    assert trade["status"] == "queued" and trade["queued_at"].startswith("2026-11-26T07:00")
    # Thursday's opening price came before the approval: not this order's
    cal = market_calendars()
    assert fill_due_orders(home.db, cal, THURSDAY_CLOSED + timedelta(minutes=1)).filled == []
    home.quote(SAMSUNG, 71_000, FRIDAY_OPEN + timedelta(seconds=30))
    assert fill_due_orders(home.db, cal, FRIDAY_OPEN + timedelta(minutes=5)).filled == [trade_id]
    assert home.trade(trade_id)["fill_price"] == 71_000 and home.balance("reserved") == 0
    check_mutation_log_replays(home.db, tmp_path)


def test_approved_while_open_it_fills_at_the_current_quote(
    home: Approving, clock: MovableClock, tmp_path: Path
) -> None:
    clock.now = KRX_OPEN + timedelta(hours=1)
    home.renew(home.kid)
    home.quote(SAMSUNG, 70_000, clock.now)
    trade_id = home.awaiting(quantity=2_000_000)
    clock.now += timedelta(minutes=10)
    home.quote(SAMSUNG, 71_000, clock.now)
    result = home.decide(trade_id, "approve")
    assert result["status"] == "applied" and result["detail"]["approved"] is True
    trade = home.trade(trade_id)
    assert (trade["status"], trade["fill_price"], trade["decided_by"]) == (
        "filled",
        71_000,
        home.parent.user_id,
    )
    assert home.balance("cash") == START - 142_000 and home.balance("reserved") == 0
    assert [e["trade_id"] for e in home.events("TradeExecuted")] == [trade_id]
    # decided: a second decision finds it so
    again = home.decide(trade_id, "decline", WHY_NOT)
    assert (again["status"], again["code"]) == ("rejected", "ALREADY_DECIDED")
    check_mutation_log_replays(home.db, tmp_path)


def test_declined_with_a_reason_the_child_pulls_and_hears(home: Approving) -> None:
    trade_id = home.awaiting(amount=100_000)
    refused = home.decide(trade_id, "decline")
    assert (refused["status"], refused["code"]) == ("rejected", "INVALID_ARGS")  # a reason is required
    assert home.decide(trade_id, "decline", WHY_NOT)["status"] == "applied"
    assert (home.balance("cash"), home.balance("reserved")) == (START, 0)
    pulled = [c["data"] for c in home.pull()["changes"] if c["entity"] == "trade" and c["id"] == trade_id]
    assert pulled[-1]["status"] == "cancelled"
    assert (pulled[-1]["note"], pulled[-1]["decision_reason"]) == ("declined", WHY_NOT)
    assert home.events("TradeDeclined") == [
        {
            "trade_id": trade_id,
            "reason": WHY_NOT,
            "actor_id": home.parent.user_id,
            **_txn(home, "TradeDeclined"),
        }
    ]


def _txn(home: Approving, event: str) -> dict[str, Any]:
    """The outbox payload's bookkeeping keys, whatever they are, so the assertion reads the facts."""
    (payload,) = home.events(event)
    return {k: v for k, v in payload.items() if k not in ("trade_id", "reason", "actor_id")}


def test_the_child_cancels_a_waiting_order_and_a_child_never_decides(home: Approving) -> None:
    trade_id = home.awaiting(amount=100_000)
    own = home.push(home.kid, home.kid.headers, "trade.decide/v1", {
        "child_id": home.kid.user_id, "trade_id": trade_id, "decision": "approve",
    })  # fmt: skip
    assert (own["status"], own["code"]) == ("rejected", "FORBIDDEN")
    cancelled = home.push(home.kid, home.kid.headers, "trade.cancel/v1", {"trade_id": trade_id})
    assert cancelled["status"] == "applied" and home.balance("reserved") == 0
    late = home.decide(trade_id, "approve")
    assert (late["status"], late["code"], late["detail"]["status"]) == (
        "rejected",
        "ALREADY_DECIDED",
        "cancelled",
    )


def test_over_rest_a_parent_declines_with_a_reason_and_approving_needs_the_password(home: Approving) -> None:
    declined, approved = home.awaiting(amount=100_000), home.awaiting(amount=50_000)
    url = "/api/game/orders/{}/{}"
    plain = home.parent.headers  # signed in, not stepped up
    answer = home.client.put(url.format(declined, "decline"), json={"reason": WHY_NOT}, headers=plain)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["trade"]["status"], answer.json()["trade"]["decision_reason"]) == (
        "cancelled",
        WHY_NOT,
    )
    refused = home.client.put(url.format(approved, "approve"), headers=plain)
    assert (refused.status_code, refused.json()["code"]) == (403, "STEP_UP_REQUIRED")
    done = home.client.put(url.format(approved, "approve"), headers=home.elevated)
    assert done.status_code == 200 and done.json()["trade"]["status"] == "queued"  # Wednesday evening
    again = home.client.put(url.format(approved, "approve"), headers=home.elevated)
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_DECIDED")
    assert (home.balance("cash"), home.balance("reserved")) == (START - 50_000, 50_000)

"""The family leaderboard (``GET /api/family/leaderboard``): opted-in siblings ranked by return
relative to the market, weekly and since start; off by default; only ever the caller's own family."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sync.leaderboard import Entry, rank
from tests.conftest import MovableClock
from tests.helpers import Family, Member
from tests.support.market import ScriptedMarket

SAMSUNG, HYNIX, KOSPI = "005930.KS", "000660.KS", "^KS11"
TUESDAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 in Seoul: KRX is open


def board(client: TestClient[Litestar], headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/family/leaderboard", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def opt_in(client: TestClient[Litestar], family: Family, name: str, on: bool = True) -> None:
    url = f"/api/family/children/{family.child(name).user_id}/rules"
    response = client.put(url, json={"leaderboard": on}, headers=family.elevated(client))
    assert response.status_code == 200, response.text


def buy(client: TestClient[Litestar], kid: Member, symbol: str, amount: int) -> None:
    response = client.post(
        "/api/game/trade/buy", json={"symbol": symbol, "amount": amount}, headers=kid.headers
    )
    assert response.status_code == 200 and response.json()["trade"]["status"] == "filled", response.text


def renew(client: TestClient[Litestar], *members: Member) -> None:
    for member in members:
        renewed = client.post("/api/auth/refresh", json={"refresh_token": member.refresh})
        assert renewed.status_code == 200, renewed.text
        member.tokens = dict(renewed.json())


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar, clock: MovableClock) -> tuple[Family, ScriptedMarket]:
    """지우 puts 500,000 into Samsung (+10% by Thursday); 민준, given 9,000,000 more, puts 5,000,000
    into SK hynix (+5%): more won earned, a smaller return. KOSPI rose 4%. 서연 is not on the board."""
    clock.now = TUESDAY
    family = Family.create(client, ("지우", "민준", "서연"))
    grant = {"child_id": family.child("민준").user_id, "amount": 9_000_000, "reason": "세뱃돈"}
    assert client.post("/api/family/grants", json=grant, headers=family.elevated(client)).status_code == 201
    market = ScriptedMarket(clock).attach(app)
    market.trades(SAMSUNG, 70_000)
    market.trades(HYNIX, 200_000)
    market.yahoo.closed_at(KOSPI, {date(2026, 11, 24): 2_500_000_000, date(2026, 11, 26): 2_600_000_000})
    clock.now += timedelta(minutes=1)
    buy(client, family.child("지우"), SAMSUNG, 500_000)
    buy(client, family.child("민준"), HYNIX, 5_000_000)
    clock.now = TUESDAY + timedelta(days=2)
    market.trades(SAMSUNG, 77_000)
    market.trades(HYNIX, 210_000)
    renew(client, family.parent, *family.children.values())
    return family, market


def test_off_by_default(client: TestClient[Litestar], home: tuple[Family, ScriptedMarket]) -> None:
    family, _ = home
    for headers in (family.parent.headers, family.child("지우").headers):
        answer = board(client, headers)
        assert (answer["enabled"], answer["week"], answer["since_start"]) == (False, [], [])


def test_siblings_are_ranked_by_return_beyond_the_market_not_by_money(
    client: TestClient[Litestar], home: tuple[Family, ScriptedMarket]
) -> None:
    family, _ = home
    opt_in(client, family, "지우")
    opt_in(client, family, "민준")
    jiwoo, minjun = family.child("지우"), family.child("민준")
    own = {}
    for kid in (jiwoo, minjun):
        response = client.get(
            f"/api/game/performance/{kid.user_id}", params={"range": "ALL"}, headers=kid.headers
        )
        own[kid.user_id] = response.json()
    assert own[minjun.user_id]["profit"] > own[jiwoo.user_id]["profit"]  # 민준 earned more won
    answer = board(client, jiwoo.headers)
    assert answer["enabled"] is True
    for rows in (answer["week"], answer["since_start"]):
        assert [(r["rank"], r["name"]) for r in rows] == [(1, "지우"), (2, "민준")]  # 서연 is not on it
        assert [r["me"] for r in rows] == [True, False]
    for row in answer["since_start"]:  # the same figures as each child's own performance screen
        assert row["beat_pct"] == own[row["child_id"]]["beat_pct"]
        assert row["twr_pct"] == own[row["child_id"]]["twr_pct"]
    # golden: half of 지우's money rose 10% (5%), half of 민준's rose 5% (2.5%); KOSPI rose 4%
    assert [(r["twr_pct"], r["beat_pct"]) for r in answer["since_start"]] == [(5.0, 1.0), (2.5, -1.5)]
    # the parent sees the same board; the child left off does not see it
    parent_view = board(client, family.parent.headers)["since_start"]
    assert [{**r, "me": False} for r in answer["since_start"]] == parent_view
    assert board(client, family.child("서연").headers)["enabled"] is False


def test_a_child_taken_off_the_board_no_longer_sees_it(
    client: TestClient[Litestar], home: tuple[Family, ScriptedMarket]
) -> None:
    family, _ = home
    opt_in(client, family, "지우")
    opt_in(client, family, "민준")
    opt_in(client, family, "민준", on=False)
    assert board(client, family.child("민준").headers)["enabled"] is False
    assert [r["name"] for r in board(client, family.child("지우").headers)["week"]] == ["지우"]


def test_another_family_never_sees_ours(
    client: TestClient[Litestar], home: tuple[Family, ScriptedMarket]
) -> None:
    family, _ = home
    opt_in(client, family, "지우")
    other = Family.create(client, ("하늘",), email="other@example.com")
    opt_in(client, other, "하늘")
    for headers in (other.parent.headers, other.child("하늘").headers):
        answer = board(client, headers)
        assert [r["name"] for r in answer["since_start"]] == ["하늘"]
        assert family.child("지우").user_id not in str(answer)


def test_ranking_rule_ties_share_a_place_and_the_uncompared_come_last() -> None:
    standings = rank(
        [
            Entry(child_id="a", name="다온", beat_pct=1.5, twr_pct=5.5),
            Entry(child_id="b", name="가람", beat_pct=None, twr_pct=0.0),
            Entry(child_id="c", name="나래", beat_pct=3.25, twr_pct=7.25),
            Entry(child_id="d", name="라온", beat_pct=1.5, twr_pct=5.5),
        ]
    )
    assert [(s.rank, s.name) for s in standings] == [(1, "나래"), (2, "다온"), (2, "라온"), (None, "가람")]

"""Parent missions on the server: a parent sets one for its child, the child's own changes (and the
server's clock) complete it, the reward is paid exactly once, and only the family can see or touch it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from server.app import create_app
from server.db.models import LedgerEntry, Outbox, ServerAction
from server.missions.completion import QUIET_FOR, MissionJob, evaluate
from tests.helpers import step_up
from tests.support.invariants import check_mutation_log_replays

from .test_authz_matrix import World, _ok, served_world

WHY = "반도체가 잘 팔릴 것 같아서"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from served_world(request, tmp_path_factory.mktemp(f"missions-{request.param}"))


@contextmanager
def _later(world: World, **delta: float) -> Iterator[datetime]:
    """The server's clock moved on for the server's own passes, then back: the members' tokens (15
    minutes) stay valid for the rest of the module."""
    clock = world.app.state.clock
    before = clock.now
    try:
        yield clock.advance(**delta)
    finally:
        clock.now = before


def _url(world: World, who: str) -> str:
    return f"/api/family/children/{world.members[who].user_id}/missions"


def _parent(world: World, family: str = "A") -> dict[str, str]:
    """A stepped-up parent of ``family`` now (the tests move the clock past an older step-up)."""
    parent = world.ours.parent if family == "A" else world.theirs.parent
    return step_up(world.client, parent)


def _set(world: World, who: str, kind: str, target: int, reward: int = 5_000) -> dict[str, Any]:
    body = {"kind": kind, "target": target, "reward": reward}
    family = "A" if who.startswith("A") else "B"
    return dict(_ok(world.client.post(_url(world, who), json=body, headers=_parent(world, family)), 201))


def _missions(world: World, who: str) -> dict[str, dict[str, Any]]:
    answer = _ok(world.client.get(_url(world, who), headers=world.members[who].headers), 200)
    return {m["mission_id"]: m for m in answer}


def _cash(world: World, who: str) -> int:
    url = f"/api/game/portfolio/{world.members[who].user_id}"
    return int(_ok(world.client.get(url, headers=world.members[who].headers), 200)["cash"])


def _rewards(world: World, mission_id: str) -> list[Any]:
    with world.app.state.db.read() as session:
        return list(
            session.execute(
                sa.select(LedgerEntry.account, LedgerEntry.amount, LedgerEntry.reason).where(
                    LedgerEntry.ref_id == f"mission:{mission_id}", LedgerEntry.account == "cash"
                )
            ).all()
        )


def test_journal_sentences_after_the_mission_complete_it_and_the_reward_is_paid(
    world: World, tmp_path: Path
) -> None:
    world.trade("A1", "buy", why="미션 전에 쓴 일기")  # before the mission: not counted
    mission = _set(world, "A1", "journals", 2, reward=7_000)
    world.app.state.clock.advance(seconds=1)
    assert (mission["status"], mission["progress"], mission["target"]) == ("open", 0, 2)
    world.trade("A1", "buy", why=WHY)
    world.trade("A1", "buy")  # no sentence
    seen = _missions(world, "A1")[mission["mission_id"]]
    assert (seen["progress"], seen["done"], seen["status"]) == (1, False, "open")
    cash = _cash(world, "A1")
    world.trade("A1", "buy", why=WHY)  # the second sentence: met, completed after the push committed
    after = _missions(world, "A1")[mission["mission_id"]]
    assert (after["status"], after["progress"], after["done"]) == ("completed", 2, True)
    assert after["completed_at"] is not None
    # the parent sees the same; the reward is a grant of game money with the mission as its reason
    parents_view = _ok(world.client.get(_url(world, "A1"), headers=world.ours.parent.headers), 200)
    assert [m["status"] for m in parents_view if m["mission_id"] == mission["mission_id"]] == ["completed"]
    assert _rewards(world, mission["mission_id"]) == [("cash", 7_000, "미션 완료: 투자 일기 2번 쓰기")]
    assert _cash(world, "A1") - cash == 7_000 - world.quote.price  # the reward, less the share it bought
    with world.app.state.db.read() as session:
        events = session.scalars(
            sa.select(Outbox.event).where(Outbox.child_id == world.members["A1"].user_id)
        ).all()
    assert "MissionCompleted" in events  # the child and its parents hear of it
    check_mutation_log_replays(world.app.state.db, tmp_path)  # the reward is decided again by a replay


def test_a_completed_mission_is_rewarded_once_whatever_runs_again(world: World) -> None:
    world.trade("A2", "buy")
    mission = _set(world, "A2", "hold_days", 1, reward=3_000)
    job = MissionJob(world.app.state.db, world.app.state.clock, 60)
    assert job.run_once() == []  # not a whole day yet
    with _later(world, days=1, minutes=1) as then:
        assert job.run_once() == [mission["mission_id"]]
        assert job.run_once() == []  # completed: no second reward
        family_id = world.ours.family_id
        assert evaluate(world.app.state.db, family_id, [world.members["A2"].user_id], then) == []
    world.trade("A2", "buy")  # a change of the child checks its missions again
    assert len(_rewards(world, mission["mission_id"])) == 1
    assert _missions(world, "A2")[mission["mission_id"]]["status"] == "completed"


def test_concurrent_evaluations_grant_the_reward_once(world: World) -> None:
    child = world.members["B1"].user_id
    world.trade("B1", "buy")
    mission = _set(world, "B1", "hold_days", 2, reward=2_000)
    then = world.app.state.clock() + timedelta(days=2, minutes=1)
    db, family_id = world.app.state.db, world.theirs.family_id
    done: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def evaluator() -> None:
        start.wait()
        try:
            done.append(evaluate(db, family_id, [child], then))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=evaluator) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(len(d) for d in done) == [0, 0, 0, 1]  # one evaluator completed it
    assert len(_rewards(world, mission["mission_id"])) == 1
    with db.read() as session:
        actions = session.scalars(
            sa.select(ServerAction.txn_id).where(ServerAction.txn_id == f"mission:{mission['mission_id']}")
        ).all()
    assert len(actions) == 1


def test_a_cancelled_mission_is_never_completed_and_a_completed_one_cannot_be_cancelled(world: World) -> None:
    mission = _set(world, "A1", "journals", 1, reward=1_000)
    world.app.state.clock.advance(seconds=1)
    url = f"{_url(world, 'A1')}/{mission['mission_id']}"
    cancelled = _ok(world.client.delete(url, headers=_parent(world)), 200)
    assert cancelled["status"] == "cancelled"
    assert _ok(world.client.delete(url, headers=_parent(world)), 200)["status"] == "cancelled"  # again: same
    world.trade("A1", "buy", why=WHY)
    assert _missions(world, "A1")[mission["mission_id"]]["status"] == "cancelled"
    assert _rewards(world, mission["mission_id"]) == []
    # one already met completes as it is set, and then it stays
    met = _set(world, "A1", "journals", 1, reward=1_000)
    assert met["status"] == "open"  # the sentence above was written before this mission
    world.app.state.clock.advance(seconds=1)
    world.trade("A1", "buy", why=WHY)
    done_url = f"{_url(world, 'A1')}/{met['mission_id']}"
    refused = world.client.delete(done_url, headers=_parent(world))
    assert (refused.status_code, refused.json()["code"]) == (409, "ALREADY_DECIDED")


def test_a_mission_met_when_set_completes_at_once(world: World) -> None:
    world.trade("A2", "buy")  # A2 holds a stock now
    mission = _set(world, "A2", "sectors", 2)
    assert mission["status"] == "open" and mission["progress"] == 1  # one sector held
    world.prices.trades("005380.KS", 200_000)  # type: ignore[union-attr]
    quote = world.prices.trades("005380.KS", 200_000)  # type: ignore[union-attr]
    body = {"symbol": "005380.KS", "quantity": 1_000_000, "quote_id": quote.quote_id, "price": quote.price}
    _ok(world.client.post("/api/game/trade/buy", json=body, headers=world.members["A2"].headers), 200)
    assert _missions(world, "A2")[mission["mission_id"]]["status"] == "completed"
    again = _set(world, "A2", "sectors", 2)
    assert again["status"] == "completed"  # two sectors held as it is set


def test_a_mission_set_through_another_server_process_completes_within_moments(world: World) -> None:
    """A family with no open mission skips the check after its passes for a few seconds: a mission
    set through another process serving the same database is still completed by this one's next
    pass once that time is up, not only by the five-minute job."""
    clock = world.app.state.clock
    for mission in _missions(world, "B1").values():  # the family starts with none open
        if mission["status"] == "open":
            url = f"{_url(world, 'B1')}/{mission['mission_id']}"
            _ok(world.client.delete(url, headers=_parent(world, "B")), 200)
    world.trades_at(world.quote.price)
    world.trade("B1", "buy")  # checked here: none open
    other = create_app(world.app.state.settings, clock=clock)
    other.state.market_clock = world.app.state.market_clock
    with TestClient(other) as elsewhere:
        body = {"kind": "journals", "target": 1, "reward": 4_000}
        parent = _parent(world, "B")
        mission = _ok(elsewhere.post(_url(world, "B1"), json=body, headers=parent), 201)
        clock.advance(seconds=1)
        world.trade("B1", "buy", why=WHY)  # met: a sentence after the mission was set
        clock.advance(seconds=QUIET_FOR.total_seconds())
        world.trades_at(world.quote.price)
        world.trade("B1", "buy")  # this process's next pass after the quiet time completes it
        assert _missions(world, "B1")[mission["mission_id"]]["status"] == "completed"
        assert len(_rewards(world, mission["mission_id"])) == 1
    other.state.db.dispose()


def test_a_mission_set_here_completes_on_the_very_next_pass(world: World) -> None:
    for mission in _missions(world, "B2").values():
        if mission["status"] == "open":
            url = f"{_url(world, 'B2')}/{mission['mission_id']}"
            _ok(world.client.delete(url, headers=_parent(world, "B")), 200)
    world.trades_at(world.quote.price)
    world.trade("B2", "buy")  # checked here: none open in the family
    mission = _set(world, "B2", "journals", 1, reward=2_500)
    world.app.state.clock.advance(seconds=1)
    world.trade("B2", "buy", why=WHY)  # within the quiet time, but the mission was set through us
    assert _missions(world, "B2")[mission["mission_id"]]["status"] == "completed"


def test_missions_are_the_familys_own(world: World) -> None:
    mission = _set(world, "A1", "journals", 3)
    # the other family's parent: our child and our mission do not exist for it
    other = _parent(world, "B")
    body = {"kind": "journals", "target": 3, "reward": 1_000}
    assert world.client.post(_url(world, "A1"), json=body, headers=other).status_code == 404
    assert world.client.get(_url(world, "A1"), headers=other).status_code == 404
    for path in (_url(world, "A1"), _url(world, "B1")):  # under our child, or its own child's path
        refused = world.client.delete(f"{path}/{mission['mission_id']}", headers=other)
        assert (refused.status_code, refused.json()["code"]) == (404, "NOT_FOUND")
    # a sibling reads neither; a child sets none; a parent without step-up is asked for it
    assert world.client.get(_url(world, "A1"), headers=world.members["A2"].headers).status_code == 404
    assert (
        world.client.post(_url(world, "A1"), json=body, headers=world.members["A1"].headers).status_code
        == 403
    )
    stale = world.client.post(_url(world, "A1"), json=body, headers=world.ours.parent.headers)
    assert (stale.status_code, stale.json()["code"]) == (403, "STEP_UP_REQUIRED")
    assert mission["mission_id"] in _missions(world, "A1")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "sectors", "target": 1, "reward": 1_000},  # one sector is no spreading out
        {"kind": "hold_days", "target": 400, "reward": 1_000},
        {"kind": "journals", "target": 3, "reward": 0},
        {"kind": "journals", "target": 3, "reward": 10_000_001},
        {"kind": "chores", "target": 3, "reward": 1_000},
        {"kind": "journals", "target": 3, "reward": 1_000.5},
    ],
)
def test_a_mission_out_of_bounds_is_refused(world: World, body: dict[str, Any]) -> None:
    answer = world.client.post(_url(world, "A1"), json=body, headers=_parent(world))
    assert answer.status_code in (400, 422), answer.text

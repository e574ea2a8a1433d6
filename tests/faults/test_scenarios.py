"""One named test for each fault scenario of quality.md that the server and protocol cover.

Each runs on SQLite and PostgreSQL through the real app, with model devices over HTTP.
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
import threading
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db import TemporaryFailure
from server.db.models import Balance, LedgerEntry, MutationRow, RequestRow
from server.game.writer import WriteBehind
from server.gateway import record
from sync.records import Role

from ..support.device import Device, SyncFailed
from ..support.invariants import check_converged, check_server
from ..support.world import World

SAMSUNG = "005930.KS"


def buy(
    device: Device, world: World, quantity_shares: int = 1, *, trade_id: str | None = None, quote: Any = None
) -> str:
    quote = quote or world.quote(SAMSUNG, 70_000)
    args = {
        "trade_id": trade_id or f"t-{device.name}-{device.state.next_seq}",
        "side": "buy",
        "symbol": SAMSUNG,
        "quantity": quantity_shares * 1_000_000,
        "quote_id": quote.quote_id,
        "price": quote.price,
    }
    return device.act("trade.place/v1", args)


def family(world: World, *, devices: int = 1) -> tuple[Any, list[Device]]:
    fam = world.family()
    child = world.member(fam, Role.CHILD, "Jiu")
    kids = [world.device(child, f"kid{i}") for i in range(devices)]
    for kid in kids:
        kid.sync()
    return child, kids


def cash(world: World, child_id: str) -> int:
    with world.db.read() as s:
        return (
            s.scalar(select(Balance.balance).where(Balance.child_id == child_id, Balance.account == "cash"))
            or 0
        )


def applied_once(world: World, mutation_id: str) -> None:
    with world.db.read() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(MutationRow).where(MutationRow.mutation_id == mutation_id)
            )
            == 1
        )
        assert (
            s.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.txn_id == mutation_id))
            == 4
        )


def raw_push(
    world: World, device: Device, mutations: list[dict[str, Any]], protocol: int = 1
) -> httpx.Response:
    body = {"protocol": protocol, "client_id": device.client_id, "mutations": mutations}
    return world.client.post("/api/sync/push", json=body, headers=device.headers())


def wire(device: Device) -> list[dict[str, Any]]:
    return [{"seq": p.seq, "id": p.mutation_id, "name": p.name, "args": p.args} for p in device.state.pending]


def test_lost_ack_after_commit(world: World) -> None:
    child, (kid,) = family(world)
    mutation_id = buy(kid, world)
    world.transports[kid.client_id].plan(["drop_response"])
    with pytest.raises(SyncFailed):
        kid.sync()
    kid.sync()  # the retry gets the stored outcome; the pull confirms it
    assert kid.state.outcomes[mutation_id].status.value == "applied"
    applied_once(world, mutation_id)
    assert cash(world, child.user_id) == 1_000_000 - 70_000


def test_duplicate_push_also_concurrent(world: World) -> None:
    child, (kid,) = family(world)
    ids = [buy(kid, world, trade_id=f"t{i}") for i in range(3)]
    batch = wire(kid)
    first = raw_push(world, kid, batch)
    again = raw_push(world, kid, batch)
    assert first.status_code == again.status_code == 200
    assert first.json()["results"] == again.json()["results"]
    answers: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(raw_push(world, kid, batch))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a.json()["results"] == first.json()["results"] for a in answers)
    for mutation_id in ids:
        applied_once(world, mutation_id)
    assert cash(world, child.user_id) == 1_000_000 - 3 * 70_000


def test_gap_is_refused_and_nothing_skips(world: World) -> None:
    child, (kid,) = family(world)
    buy(kid, world, trade_id="a")
    buy(kid, world, trade_id="b")
    second_only = wire(kid)[1:]
    answer = raw_push(world, kid, second_only)
    assert answer.status_code == 409
    assert answer.json()["code"] == "GAP" and answer.json()["expected_seq"] == 1
    assert cash(world, child.user_id) == 1_000_000
    kid.sync()
    assert cash(world, child.user_id) == 1_000_000 - 2 * 70_000
    check_server(world.db)


def test_reordered_and_partial_pushes_change_nothing(world: World) -> None:
    child, (kid,) = family(world)
    quote = world.quote(SAMSUNG, 70_000)
    for i in range(4):
        buy(kid, world, trade_id=f"t{i}", quote=quote)
    batch = wire(kid)
    assert raw_push(world, kid, batch).status_code == 200
    before = cash(world, child.user_id)
    for subset in (batch[2:], batch[::-1], batch[:1], batch):
        answer = raw_push(world, kid, subset)
        assert answer.status_code == 200
        assert [r["status"] for r in answer.json()["results"]] == ["applied"] * len(subset)
    assert cash(world, child.user_id) == before == 1_000_000 - 4 * 70_000


def test_server_restart_between_push_and_pull(world: World) -> None:
    child, (kid,) = family(world)
    mutation_id = buy(kid, world)
    kid.push()
    world.restart()
    kid.pull()
    assert kid.state.outcomes[mutation_id].status.value == "applied"
    assert not kid.state.pending
    check_converged(world.db, [kid], {mutation_id})


@pytest.mark.parametrize(
    "pattern",
    [
        ["drop_request"] * 3,
        ["drop_response"] * 3,
        ["drop_request", "ok", "drop_response", "drop_request", "duplicate"],
    ],
)
def test_request_or_response_loss_and_flapping(world: World, pattern: list[str]) -> None:
    child, (kid,) = family(world)
    created = {buy(kid, world, trade_id=f"t{i}") for i in range(3)}
    world.transports[kid.client_id].plan(pattern)
    for _attempt in range(len(pattern) + 2):
        try:
            kid.sync()
        except SyncFailed:
            continue
    assert not kid.state.pending
    check_converged(world.db, [kid], created)
    assert cash(world, child.user_id) == 1_000_000 - 3 * 70_000


def test_queue_drains_by_itself_after_repeated_5xx(world: World) -> None:
    child, (kid,) = family(world)
    created = {buy(kid, world, trade_id=f"t{i}") for i in range(2)}
    world.transports[kid.client_id].plan(["error_5xx"] * 6)
    failures = 0
    for _tick in range(10):  # the sync loop's timer: no new local write in between
        try:
            kid.sync()
        except SyncFailed:
            failures += 1
    assert failures >= 3
    check_converged(world.db, [kid], created)


def test_poison_mutation_is_rejected_after_retries_and_the_queue_moves_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    child, (kid,) = family(world)
    poison = buy(kid, world, trade_id="poison")
    healthy = buy(kid, world, trade_id="healthy")
    real_decide = record.decide_valid

    def flaky_decide(name: str, args: Any, book: Any, ctx: Any) -> Any:
        if getattr(args, "trade_id", None) == "poison":
            raise RuntimeError("a handler bug")
        return real_decide(name, args, book, ctx)

    monkeypatch.setattr(record, "decide_valid", flaky_decide)
    statuses = []
    for _attempt in range(record.POISON_AFTER):
        statuses.append(raw_push(world, kid, wire(kid)).status_code)
    assert statuses == [503] * (record.POISON_AFTER - 1) + [200]
    kid.sync()
    assert kid.state.outcomes[poison].code == "INTERNAL"
    assert kid.state.outcomes[healthy].status.value == "applied"
    assert cash(world, child.user_id) == 1_000_000 - 70_000


def test_database_busy_answers_503_without_advancing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    child, (kid,) = family(world)
    mutation_id = buy(kid, world)

    def busy(*args: Any, **kwargs: Any) -> Any:
        raise TemporaryFailure("database is locked")

    # both places a push writes its effects: held to the end of the push, or one mutation at a time
    monkeypatch.setattr(WriteBehind, "flush", busy)
    monkeypatch.setattr(record, "post_effects", busy)
    answer = raw_push(world, kid, wire(kid))
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    monkeypatch.undo()
    kid.sync()
    assert kid.state.outcomes[mutation_id].status.value == "applied"
    applied_once(world, mutation_id)


@pytest.mark.parametrize(
    "skew", [timedelta(hours=1), timedelta(hours=-1), timedelta(days=365), timedelta(days=-3)]
)
def test_device_clock_skew_changes_no_decision(world: World, skew: timedelta) -> None:
    child, (kid,) = family(world)
    quote = world.quote(SAMSUNG, 70_000)
    kid.pull()
    mutation = {
        "seq": 1,
        "id": "skewed",
        "name": "trade.place/v1",
        "created_at": (world.clock() + skew).isoformat(),
        "args": {
            "trade_id": "t",
            "side": "buy",
            "symbol": SAMSUNG,
            "quantity": 1_000_000,
            "quote_id": quote.quote_id,
            "price": 70_000,
        },
    }
    answer = raw_push(world, kid, [mutation])
    assert answer.status_code == 200
    assert answer.json()["results"][0]["status"] == "applied"  # the server's clock decided freshness


def test_two_devices_overspend_and_oversell(world: World) -> None:
    child, (phone, tablet) = family(world, devices=2)
    quote = world.quote(SAMSUNG, 70_000)
    spent = {}
    for device in (phone, tablet):  # 700,000 each, of 1,000,000
        device.pull()
        spent[device.name] = buy(device, world, 10, quote=quote, trade_id=f"spend-{device.name}")
    phone.sync()
    tablet.sync()
    spend = [phone.state.outcomes[spent[phone.name]], tablet.state.outcomes[spent[tablet.name]]]
    assert [r.status.value for r in spend] == ["applied", "rejected"]
    assert spend[1].code == "INSUFFICIENT_FUNDS"
    sells = {}
    for device in (phone, tablet):  # both sell the same 10 shares (the tablet saw them after syncing)
        device.pull()
        sells[device.name] = device.act(
            "trade.place/v1",
            {
                "trade_id": f"sell-{device.name}",
                "side": "sell",
                "symbol": SAMSUNG,
                "quantity": 10_000_000,
                "quote_id": quote.quote_id,
                "price": 70_000,
            },
        )
    tablet.sync()
    phone.sync()
    tablet.sync()
    sold = [tablet.state.outcomes[sells[tablet.name]], phone.state.outcomes[sells[phone.name]]]
    assert [r.status.value for r in sold] == ["applied", "rejected"]
    assert sold[1].code == "INSUFFICIENT_SHARES"
    check_server(world.db)
    assert cash(world, child.user_id) == 1_000_000


def _profit_and_request(world: World, kid: Device, amount_game: int = 50_000) -> str:
    for side, price in (("buy", 70_000), ("sell", 80_000)):
        quote = world.quote(SAMSUNG, price)
        kid.pull()
        kid.act(
            "trade.place/v1",
            {
                "trade_id": f"{side}-p",
                "side": side,
                "symbol": SAMSUNG,
                "quantity": 10_000_000,
                "quote_id": quote.quote_id,
                "price": price,
            },
        )
        kid.sync()
    kid.act("allowance.request/v1", {"request_id": "req-1", "amount_game": amount_game})
    kid.sync()
    return "req-1"


def _decide(parent: Device, request: dict[str, Any], child_id: str, decision: str = "approve") -> str:
    args = {
        "child_id": child_id,
        "request_id": request["request_id"],
        "version": request["version"],
        "amount_real": request["amount_real"],
        "decision": decision,
    }
    if decision == "reject":
        args["reason"] = "not this week"
    return parent.act("allowance.decide/v1", args)


def test_two_parents_decide_the_same_request(world: World) -> None:
    fam = world.family()
    child = world.member(fam, Role.CHILD, "Jiu")
    mom, dad = world.member(fam, Role.PARENT, "Mom"), world.member(fam, Role.PARENT, "Dad")
    kid = world.device(child, "kid")
    parents = [world.device(mom, "mom", elevated=True), world.device(dad, "dad", elevated=True)]
    _profit_and_request(world, kid)
    for p in parents:
        p.sync()
    seen = parents[0].state.replica.table("request")["req-1"]
    first = _decide(parents[0], seen, child.user_id, "approve")
    second = _decide(parents[1], seen, child.user_id, "reject")
    parents[0].sync()
    parents[1].sync()
    assert parents[0].state.outcomes[first].status.value == "applied"
    assert parents[1].state.outcomes[second].code == "ALREADY_DECIDED"
    with world.db.read() as s:
        assert s.get(RequestRow, "req-1").status == "approved"
    check_server(world.db)


def test_child_edits_after_the_parent_looked(world: World) -> None:
    fam = world.family()
    child = world.member(fam, Role.CHILD, "Jiu")
    parent = world.device(world.member(fam, Role.PARENT, "Mom"), "mom", elevated=True)
    kid = world.device(child, "kid")
    _profit_and_request(world, kid, 20_000)
    parent.sync()
    seen = parent.state.replica.table("request")["req-1"]
    kid.act("allowance.edit/v1", {"request_id": "req-1", "amount_game": 90_000})
    kid.sync()
    decision = _decide(parent, seen, child.user_id)
    parent.sync()
    result = parent.state.outcomes[decision]
    assert result.code == "REQUEST_CHANGED"
    assert result.detail == {"version": 2, "amount_real": 9_000}
    with world.db.read() as s:
        assert s.get(RequestRow, "req-1").status == "pending"  # never approved more than the parent saw


def test_stale_cursor_and_server_restored_from_backup(world: World, tmp_path: Path) -> None:
    if not world.db.is_sqlite:
        pytest.skip("the backup drill copies the SQLite file")
    child, (kid,) = family(world)
    quote = world.quote(SAMSUNG, 70_000)  # exists in the backup, so the re-sent trade can still cite it
    buy(kid, world, trade_id="before", quote=quote)
    kid.sync()
    backup = tmp_path / "backup.db"
    database = world.settings.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("VACUUM INTO ?", (str(backup),))
    lost = buy(kid, world, trade_id="after-backup", quote=quote)
    kid.sync()
    assert kid.state.last_seq_acked == 2 and not kid.state.pending
    world.close()
    world.db.dispose()
    shutil.copy(backup, database)
    for suffix in ("-wal", "-shm"):
        Path(database + suffix).unlink(missing_ok=True)
    world._start()
    pending_now = buy(kid, world, trade_id="offline-during-restore", quote=quote)
    kid.sync()  # the cursor is ahead of the restored server: reset, and the lost mutation is re-sent
    kid.sync()
    assert kid.state.outcomes[lost].status.value == "applied"
    assert kid.state.outcomes[pending_now].status.value == "applied"
    check_converged(world.db, [kid], {lost, pending_now})
    assert cash(world, child.user_id) == 1_000_000 - 3 * 70_000


def test_client_restored_from_an_old_backup(world: World) -> None:
    fam = world.family()
    child = world.member(fam, Role.CHILD, "Jiu")
    kid = world.device(child, "kid")
    kid.sync()
    old = copy.deepcopy(kid.state)
    done = buy(kid, world, trade_id="synced-before-restore")
    kid.sync()
    kid.state = old  # the device's database comes back from a backup: seq 1 is reused
    again = buy(kid, world, trade_id="new-after-restore")
    with pytest.raises(SyncFailed, match="CLIENT_STATE_DIVERGED"):
        kid.push()
    replacement = world.device(child, "kid-reset")
    kid.headers, new_id = replacement.headers, replacement.client_id
    world.transports[new_id] = world.transports[replacement.client_id]
    kid.http = replacement.http
    kid.reset_client(new_id)
    kid.sync()
    assert kid.state.outcomes[again].status.value == "applied"
    applied_once(world, done)
    applied_once(world, again)


def test_old_client_version_keeps_its_queue(world: World) -> None:
    child, (kid,) = family(world)
    buy(kid, world)
    old = wire(kid)
    old[0]["name"] = "trade.place/v0"
    answer = raw_push(world, kid, old)
    assert answer.status_code == 400 and answer.json()["code"] == "VERSION_NOT_SUPPORTED"
    assert raw_push(world, kid, wire(kid), protocol=99).json()["code"] == "VERSION_NOT_SUPPORTED"
    assert cash(world, child.user_id) == 1_000_000
    kid.sync()
    assert not kid.state.pending


def test_a_week_offline_2000_pending(world: World) -> None:
    child, (kid,) = family(world)
    fam_parent = world.member(kid.actor.family_id, Role.PARENT, "Mom")
    parent = world.device(fam_parent, "mom")
    created = {
        parent.act(
            "family.grant/v1",
            {"child_id": child.user_id, "grant_id": f"g{i}", "amount": 1_000, "reason": "chores"},
        )
        for i in range(2_000)
    }
    parent.sync()
    assert not parent.state.pending and len(parent.state.outcomes) == 2_000
    kid.sync()
    assert cash(world, child.user_id) == 1_000_000 + 2_000_000
    check_converged(world.db, [parent, kid], created)


def test_forged_mismatched_cherry_picked_and_stale_quotes(world: World) -> None:
    child, (kid,) = family(world)
    old = world.quote(SAMSUNG, 69_000)
    kid.pull()
    newer = world.quote(SAMSUNG, 70_000)
    kid.pull()  # the device has been served the newer quote
    stale = world.quote("035720.KQ", 45_000, age=timedelta(hours=2))
    kid.pull()
    world.quote("035720.KQ", 45_500)  # the server has a fresh price the device has not seen

    def order(trade_id: str, quote_id: str, price: int, symbol: str = SAMSUNG) -> str:
        return kid.act(
            "trade.place/v1",
            {
                "trade_id": trade_id,
                "side": "buy",
                "symbol": symbol,
                "quantity": 1_000_000,
                "quote_id": quote_id,
                "price": price,
            },
        )

    forged = order("forged", "no-such-quote", 1)
    mismatched = order("mismatch", newer.quote_id, 1_000)
    cherry = order("cherry", old.quote_id, old.price)
    stale_id = order("stale", stale.quote_id, stale.price, "035720.KQ")
    kid.sync()
    outcomes = kid.state.outcomes
    assert outcomes[forged].code == "QUOTE_UNKNOWN"
    assert outcomes[mismatched].code == "PRICE_MISMATCH"
    assert outcomes[cherry].status.value == "adjusted"  # filled at the newest price, never the older one
    assert outcomes[cherry].detail["fill_price"] == 70_000
    assert outcomes[stale_id].status.value == "adjusted"  # a stale quote fills at the server's fresh price
    assert outcomes[stale_id].detail["fill_price"] == 45_500
    check_server(world.db)


def test_a_device_that_never_pulled_cannot_cherry_pick_an_old_quote(world: World) -> None:
    """The market is open; the device was served no Samsung quote at all, yet cites an old, cheaper
    one (an id it learnt elsewhere): it fills at the newest price, never at the cheaper one."""
    child, (kid,) = family(world)
    old = world.quote(SAMSUNG, 68_000)
    world.clock.advance(minutes=1)
    world.quote(SAMSUNG, 70_000)
    args = {"trade_id": "cherry", "side": "buy", "symbol": SAMSUNG, "quantity": 1_000_000}
    mutation = {
        "seq": 1,
        "id": "cherry-1",
        "name": "trade.place/v1",
        "args": {**args, "quote_id": old.quote_id, "price": old.price},
    }
    answer = raw_push(world, kid, [mutation])
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert (result["status"], result["detail"]["fill_price"]) == ("adjusted", 70_000)
    assert cash(world, child.user_id) == 1_000_000 - 70_000
    check_server(world.db)


def test_mutation_recorded_while_a_sync_is_running(world: World) -> None:
    child, (kid,) = family(world)
    first = buy(kid, world, trade_id="first")
    transport = world.transports[kid.client_id]
    during: list[str] = []
    original = transport.handle_request

    def act_mid_sync(request: httpx.Request) -> httpx.Response:
        response = original(request)
        if request.url.path == "/api/sync/push" and not during:
            during.append(buy(kid, world, trade_id="during"))
        return response

    transport.handle_request = act_mid_sync  # type: ignore[method-assign]
    kid.sync()  # the push loop picks up what was recorded while its first request was in flight
    assert during and kid.state.outcomes[during[0]].status.value == "applied"
    check_converged(world.db, [kid], {first, during[0]})


def test_step_up_needed_for_an_offline_approval_keeps_the_queue(world: World) -> None:
    fam = world.family()
    child = world.member(fam, Role.CHILD, "Jiu")
    mom = world.member(fam, Role.PARENT, "Mom")
    kid = world.device(child, "kid")
    _profit_and_request(world, kid)
    plain = world.device(mom, "mom-plain")
    plain.sync()
    decision = _decide(plain, plain.state.replica.table("request")["req-1"], child.user_id)
    answer = raw_push(world, plain, wire(plain))
    assert answer.status_code == 403 and answer.json()["code"] == "STEP_UP_REQUIRED"
    plain.headers = lambda: world.headers_for(mom, plain.client_id, elevated=True)
    plain.sync()
    assert plain.state.outcomes[decision].status.value == "applied"


def test_a_device_never_pushes_for_another_user(world: World) -> None:
    fam = world.family()
    child = world.member(fam, Role.CHILD, "Jiu")
    sibling = world.member(fam, Role.CHILD, "Haneul")
    kid = world.device(child, "kid")
    other = world.device(sibling, "sib")
    buy(kid, world)
    body = {"protocol": 1, "client_id": kid.client_id, "mutations": wire(kid)}
    answer = world.client.post("/api/sync/push", json=body, headers=other.headers())
    assert answer.status_code == 403
    assert cash(world, child.user_id) == 1_000_000


def test_one_push_with_a_mutation_id_twice_keeps_the_first(world: World) -> None:
    """A buggy device reuses a mutation id inside one push: the held writes collide at the end of
    the push, the push runs again mutation by mutation, and the money moves once, not twice."""
    child, (kid,) = family(world)
    quote = world.quote(SAMSUNG, 70_000)
    first = buy(kid, world, trade_id="t-first", quote=quote)
    buy(kid, world, trade_id="t-second", quote=quote)
    mutations = wire(kid)
    mutations[1]["id"] = first
    answer = raw_push(world, kid, mutations)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["seq"] for r in results] == [1, 2]
    assert results[0]["status"] == "applied"
    assert (results[1]["status"], results[1]["code"]) == ("rejected", "ID_TAKEN")
    applied_once(world, first)
    assert cash(world, child.user_id) == 1_000_000 - 70_000

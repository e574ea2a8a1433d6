"""The real client's sync against the real server: offline queueing, rejections, convergence."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from client import actions
from client.runtime import Profile, Runtime, SyncState
from sync.protocol import MAX_PUSH_MUTATIONS

from .checks import check_converged, check_i11
from .conftest import SAMSUNG, Household, Server, make_household

pytestmark = pytest.mark.anyio


def cash(profile: Profile) -> int:
    return profile.view().books[profile.identity.user_id].balance("cash")


def shares(profile: Profile, symbol: str = SAMSUNG) -> int:
    return profile.view().books[profile.identity.user_id].position(symbol).quantity


async def test_an_offline_trade_is_queued_shown_and_synced_when_the_network_heals(
    household: Household,
) -> None:
    _, kid, net, _ = household.kids[0]
    household.server.quote(SAMSUNG, 70_000)
    await kid.sync_now()
    quote = kid.view().quotes[SAMSUNG]
    before = cash(kid)

    net.down = True
    item = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=2_000_000, quote=quote))
    # "done" only after the commit: another connection to the file already sees the queued row
    path = household.kids[0][0].data_dir / "profiles" / f"{kid.identity.client_id}.db"
    with sqlite3.connect(path) as other:
        stored = other.execute("SELECT mutation_id FROM pending_mutation").fetchall()
    other.close()
    assert stored == [(item.mutation_id,)]
    assert shares(kid) == 2_000_000 and cash(kid) < before  # the predicted effect shows at once
    status = await kid.sync_now()
    assert status.state is SyncState.OFFLINE and status.code == "OFFLINE"
    assert status.pending == 1 and [p.mutation_id for p in kid.view().pending] == [item.mutation_id]

    net.down = False
    status = await kid.sync_now()
    assert status.state is SyncState.IDLE and status.pending == 0
    trade = kid.view().books[kid.identity.user_id].trades[item.args["trade_id"]]
    assert trade.status == "filled" and trade.fill_price == 70_000
    assert shares(kid) == 2_000_000 and cash(kid) == before - trade.total
    assert household.server.dispatch()
    await kid.sync_now()
    inbox = kid.view().notifications
    assert [n["event"] for n in inbox] == ["TradeExecuted"], inbox
    check_converged(household.server.app.state.db, [kid], {item.mutation_id: kid})


async def test_a_rejection_is_reported_and_its_predicted_effect_disappears(
    server: Server, tmp_path: Path
) -> None:
    home = await make_household(server, tmp_path, child_devices=2)
    try:
        (_, phone, phone_net, _), (_, tablet, tablet_net, _) = home.kids
        server.quote(SAMSUNG, 70_000)
        await phone.sync_now()
        await tablet.sync_now()
        quote = phone.view().quotes[SAMSUNG]
        budget = cash(phone)
        most = (budget * 9 // 10) // 70_000 * 1_000_000  # shares worth ~90% of the cash
        phone_net.down = tablet_net.down = True
        on_phone = await phone.act(*actions.place_order(SAMSUNG, "buy", quantity=most, quote=quote))
        on_tablet = await tablet.act(*actions.place_order(SAMSUNG, "buy", quantity=most, quote=quote))
        assert shares(tablet) == most  # each device predicts its own order fills
        phone_net.down = tablet_net.down = False
        await phone.sync_now()
        await tablet.sync_now()

        rejected = [o for o in tablet.view().outcomes if o.mutation_id == on_tablet.mutation_id]
        assert [(o.status, o.code) for o in rejected] == [("rejected", "INSUFFICIENT_FUNDS")]
        assert not rejected[0].seen
        assert rejected[0].created_at == on_tablet.created_at  # when she ordered, kept with the refusal
        assert shares(tablet) == most  # the phone's order, confirmed; the tablet's own is gone
        assert on_tablet.args["trade_id"] not in tablet.view().books[tablet.identity.user_id].trades
        await tablet.mark_seen([on_tablet.mutation_id])
        assert all(o.seen for o in tablet.view().outcomes)
        await phone.sync_now()
        check_converged(
            server.app.state.db, [phone, tablet], {on_phone.mutation_id: phone, on_tablet.mutation_id: tablet}
        )
    finally:
        for runtime, *_ in home.kids:
            await runtime.close()
        await home.parent_rt.close()


async def test_two_devices_of_one_child_and_the_parent_converge(server: Server, tmp_path: Path) -> None:
    home = await make_household(server, tmp_path, child_devices=2)
    try:
        (_, phone, phone_net, _), (_, tablet, _, _) = home.kids
        parent = home.parent
        server.quote(SAMSUNG, 70_000)
        server.quote("AAPL", 190_000_000)
        server.quote("USDKRW=X", 1_400_000_000)
        for device in (phone, tablet, parent):
            await device.sync_now()
        created: dict[str, Profile] = {}
        q = phone.view().quotes
        phone_net.down = True
        for name, args in (
            actions.place_order(SAMSUNG, "buy", quantity=3_000_000, quote=q[SAMSUNG]),
            actions.place_order(SAMSUNG, "sell", quantity=1_000_000, quote=q[SAMSUNG]),
        ):
            created[(await phone.act(name, args)).mutation_id] = phone
        created[
            (
                await tablet.act(*actions.place_order("AAPL", "buy", amount=100_000, quote=q["AAPL"]))
            ).mutation_id
        ] = tablet
        created[(await parent.act(*actions.grant(home.child_id, 50_000, "생일 축하해"))).mutation_id] = parent
        for device in (tablet, parent):
            await device.sync_now()
        check_i11(phone)
        phone_net.down = False
        for _ in range(2):
            for device in (phone, tablet, parent):
                await device.sync_now()
        check_converged(server.app.state.db, [phone, tablet, parent], created)
        book = tablet.view().books[home.child_id]
        assert book.position(SAMSUNG).quantity == 2_000_000
        assert book.position("AAPL").quantity > 0
    finally:
        for runtime, *_ in home.kids:
            await runtime.close()
        await home.parent_rt.close()


async def test_cancelling_a_never_sent_mutation_makes_it_a_noop(household: Household) -> None:
    _, kid, net, _ = household.kids[0]
    household.server.quote(SAMSUNG, 70_000)
    await kid.sync_now()
    quote = kid.view().quotes[SAMSUNG]
    before = cash(kid)
    net.down = True
    item = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote))
    assert await kid.cancel_pending(item.seq)
    assert cash(kid) == before and shares(kid) == 0 and kid.view().pending == []
    sent = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote))
    await kid.sync_now()  # offline: the attempt counts as sent (the request may have arrived)
    assert not await kid.cancel_pending(sent.seq)
    net.down = False
    await kid.sync_now()
    assert shares(kid) == 1_000_000
    outcomes = {o.mutation_id: o.status for o in kid.store.outcomes()}
    assert outcomes == {item.mutation_id: "applied", sent.mutation_id: "applied"}  # the no-op applied
    check_converged(household.server.app.state.db, [kid], {sent.mutation_id: kid})


async def test_a_long_backlog_is_pushed_in_pages(household: Household) -> None:
    parent, net = household.parent, household.parent_rt.transport
    await parent.sync_now()
    created = {}
    for _ in range(MAX_PUSH_MUTATIONS + 20):
        item = await parent.act(*actions.grant(household.child_id, 1_000, "backlog"))
        created[item.mutation_id] = parent
    pushes = net.requests.count("/api/sync/push")  # type: ignore[union-attr]
    status = await parent.sync_now()
    assert (status.state, status.pending) == (SyncState.IDLE, 0)
    assert net.requests.count("/api/sync/push") - pushes == 2  # type: ignore[union-attr]
    book = parent.view().books[household.child_id]
    assert book.stats().invested == 1_000_000 + 1_000 * (MAX_PUSH_MUTATIONS + 20)
    check_converged(household.server.app.state.db, [parent], created)


async def test_a_corrupted_local_copy_is_replaced_by_a_snapshot(household: Household) -> None:
    runtime, kid, net, _ = household.kids[0]
    await kid.sync_now()
    right = cash(kid)
    path = runtime.data_dir / "profiles" / f"{kid.identity.client_id}.db"
    identity = kid.identity
    await runtime.close()
    with closing(sqlite3.connect(path)) as db, db:  # a bit flips on the disk
        db.execute(
            "UPDATE c_entity SET data = json_set(data, '$.balance', 1) WHERE entity = 'balance' AND id = ?",
            [f"{identity.user_id}:cash"],
        )
    again = Runtime.open(
        runtime.data_dir, vault=runtime.vault, transport=net, clock=runtime.clock, autostart=False
    )
    household.kids[0] = (again, *household.kids[0][1:])
    kid = await again.resume(identity)
    assert kid is not None and kid.store.confirmed().balances(identity.user_id)["cash"] == 1
    household.server.quote(SAMSUNG, 71_000)  # any change: the next pull carries the checksums
    await kid.api.access_token()  # the restarted app refreshes its session first (not counted below)
    pulls = net.requests.count("/api/sync/pull")
    assert (await kid.sync_now()).state is SyncState.IDLE
    assert cash(kid) == right
    assert net.requests.count("/api/sync/pull") - pulls == 2  # the pull, then the snapshot it asked for
    check_converged(household.server.app.state.db, [kid], {})


async def test_the_app_steps_down_to_a_server_of_the_previous_release(
    household: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rollback puts a server of protocol 1 in front of this app: it refuses protocol 2 and lists
    what it speaks; the app goes on in protocol 1 (one-piece snapshots) instead of asking for an update."""
    _, kid, _, _ = household.kids[0]
    household.server.quote(SAMSUNG, 70_000)
    monkeypatch.setattr("server.replication.push.SUPPORTED_PROTOCOLS", frozenset({1}))
    status = await kid.sync_now()
    assert status.state is SyncState.IDLE and kid.engine.protocol == 1
    quote = kid.view().quotes[SAMSUNG]
    item = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote))
    assert (await kid.sync_now()).state is SyncState.IDLE
    check_converged(household.server.app.state.db, [kid], {item.mutation_id: kid})

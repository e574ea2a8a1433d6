"""quality.md's client-kill faults on the real client: the app dies after the local write, after
sending, or while applying a pull; it restarts from what is on disk and loses nothing (I1), applies
nothing twice (I2) and shows exactly its queued work (I11)."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from client import actions
from client.runtime import Profile, Runtime, SyncState
from server.replication import pull as pull_module
from sync.protocol import PullRequest, PullResponse

from .checks import applied_count, check_converged, check_i11
from .conftest import SAMSUNG, Household, Server, make_household

pytestmark = pytest.mark.anyio


class Killed(BaseException):
    """The process dies here (nothing after this line runs, nothing uncommitted survives)."""


async def restart(runtime: Runtime, profile: Profile) -> tuple[Runtime, Profile]:
    """Abandon the running app and start a new one on the same data directory and vault."""
    identity = profile.identity
    await runtime.close()
    again = Runtime.open(
        runtime.data_dir,
        vault=runtime.vault,
        transport=runtime.transport,
        clock=runtime.clock,
        autostart=False,
    )
    assert identity in again.identities()
    resumed = await again.resume(identity)
    assert resumed is not None, "the vault remembers the sign-in"
    return again, resumed


async def prepared(household: Household) -> tuple[Runtime, Profile]:
    runtime, kid, _, _ = household.kids[0]
    household.server.quote(SAMSUNG, 70_000)
    await kid.sync_now()
    return runtime, kid


async def test_killed_after_the_local_write(household: Household) -> None:
    runtime, kid = await prepared(household)
    item = await kid.act(
        *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
    )
    runtime, kid = await restart(runtime, kid)
    household.kids[0] = (runtime, kid, *household.kids[0][2:])
    assert [p.mutation_id for p in kid.view().pending] == [item.mutation_id]
    assert kid.view().books[kid.identity.user_id].position(SAMSUNG).quantity == 1_000_000
    check_i11(kid)
    assert (await kid.sync_now()).state is SyncState.IDLE
    db = household.server.app.state.db
    assert applied_count(db, item.mutation_id) == 1
    check_converged(db, [kid], {item.mutation_id: kid})


async def test_killed_after_sending(household: Household) -> None:
    runtime, kid = await prepared(household)
    faults = household.kids[0][3]
    item = await kid.act(
        *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
    )
    faults.plan(["drop_response"])  # the server applies the push; its answer never arrives
    assert (await kid.sync_now()).state is SyncState.OFFLINE
    db = household.server.app.state.db
    assert applied_count(db, item.mutation_id) == 1
    runtime, kid = await restart(runtime, kid)
    household.kids[0] = (runtime, kid, *household.kids[0][2:])
    pending = kid.view().pending
    assert [(p.mutation_id, p.sent) for p in pending] == [(item.mutation_id, True)]
    assert not await kid.cancel_pending(pending[0].seq)  # sent: only the server decides now
    check_i11(kid)
    assert (await kid.sync_now()).state is SyncState.IDLE
    assert applied_count(db, item.mutation_id) == 1
    assert kid.view().books[kid.identity.user_id].position(SAMSUNG).quantity == 1_000_000
    check_converged(db, [kid], {item.mutation_id: kid})


async def test_killed_while_applying_a_pull(household: Household, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, kid = await prepared(household)
    item = await kid.act(
        *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
    )
    cursor = kid.store.meta()["cursor"]

    def die(last_seq: int) -> None:
        raise Killed  # after the confirmed rows were written, before the queue and cursor moved

    monkeypatch.setattr(kid.store, "_acknowledge", die)
    with pytest.raises(Killed):
        await kid.sync_now()
    runtime, kid = await restart(runtime, kid)
    household.kids[0] = (runtime, kid, *household.kids[0][2:])
    assert kid.store.meta()["cursor"] == cursor  # C2: nothing of the pull was kept
    assert [p.mutation_id for p in kid.view().pending] == [item.mutation_id]
    assert item.args["trade_id"] not in kid.store.confirmed_entities("trade")
    check_i11(kid)
    assert (await kid.sync_now()).state is SyncState.IDLE
    db = household.server.app.state.db
    assert applied_count(db, item.mutation_id) == 1
    check_converged(db, [kid], {item.mutation_id: kid})


def restore(backup: Path, database: str) -> None:
    """The operator copies last night's file back (the server is stopped)."""
    shutil.copy(backup, database)
    for suffix in ("-wal", "-shm"):
        Path(database + suffix).unlink(missing_ok=True)


async def test_the_server_restored_from_a_backup_gets_the_lost_mutations_again(
    household: Household, tmp_path: Path
) -> None:
    runtime, kid = await prepared(household)
    server = household.server
    quote = kid.view().quotes[SAMSUNG]  # in the backup too, so the re-sent order can cite it
    before = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote))
    await kid.sync_now()
    database = server.settings.database_url.removeprefix("sqlite:///")
    backup = tmp_path / "backup.db"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("VACUUM INTO ?", (str(backup),))
    lost = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=2_000_000, quote=quote))
    assert (await kid.sync_now()).pending == 0
    server.stop()
    restore(backup, database)
    server.start()
    db = server.app.state.db
    assert applied_count(db, lost.mutation_id) == 0  # the server forgot it
    during = await kid.act(*actions.place_order(SAMSUNG, "sell", quantity=1_000_000, quote=quote))
    await kid.sync_now()  # GAP below what was acknowledged: re-queue; the cursor is ahead: reset
    await kid.sync_now()
    outcomes = {o.mutation_id: o.status for o in kid.store.outcomes()}
    assert outcomes[lost.mutation_id] == "applied" and outcomes[during.mutation_id] == "applied"
    assert kid.view().books[kid.identity.user_id].position(SAMSUNG).quantity == 2_000_000
    check_converged(db, [kid], {m.mutation_id: kid for m in (before, lost, during)})


async def test_a_device_restored_from_an_old_backup_starts_over_and_keeps_its_queue(
    household: Household, tmp_path: Path
) -> None:
    runtime, kid = await prepared(household)
    identity, quote = kid.identity, kid.view().quotes[SAMSUNG]
    path = runtime.data_dir / "profiles" / f"{identity.client_id}.db"
    backup = tmp_path / "device-backup.db"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("VACUUM INTO ?", (str(backup),))
    done = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote))
    await kid.sync_now()
    await runtime.close()
    restore(backup, str(path))  # the phone came back from last week's backup
    runtime, kid = await restart(runtime, kid)
    household.kids[0] = (runtime, kid, *household.kids[0][2:])
    again = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=2_000_000, quote=quote))
    assert again.seq == done.seq  # the restored database hands out the same seq again
    status = await kid.sync_now()
    assert (status.state, status.code, status.pending) == (SyncState.ERROR, "CLIENT_STATE_DIVERGED", 1)

    code = (await household.parent.api.pairing_code("child_device", identity.user_id))["code"]
    fresh = await runtime.reenroll(identity, code=code, device_name="restored tablet")
    assert fresh.identity.client_id != identity.client_id and fresh.identity.user_id == identity.user_id
    assert [p.mutation_id for p in fresh.view().pending] == [again.mutation_id]
    assert runtime.identities() == [fresh.identity]
    assert (await fresh.sync_now()).state is SyncState.IDLE
    db = household.server.app.state.db
    assert applied_count(db, done.mutation_id) == 1 and applied_count(db, again.mutation_id) == 1
    assert fresh.view().books[identity.user_id].position(SAMSUNG).quantity == 3_000_000
    check_converged(db, [fresh], {again.mutation_id: fresh})


async def test_a_failed_apply_leaves_the_running_app_consistent(
    household: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, kid = await prepared(household)
    item = await kid.act(
        *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
    )
    real = kid.store._acknowledge

    def disk_error(last_seq: int) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(kid.store, "_acknowledge", disk_error)
    status = await kid.sync_now()
    assert (status.state, status.code, status.pending) == (SyncState.ERROR, "STORAGE", 1)
    assert item.args["trade_id"] not in kid.store.confirmed_entities("trade")  # rolled back, memory too
    check_i11(kid)
    monkeypatch.setattr(kid.store, "_acknowledge", real)
    assert (await kid.sync_now()).state is SyncState.IDLE
    check_converged(household.server.app.state.db, [kid], {item.mutation_id: kid})


async def test_killed_mid_snapshot_a_new_device_starts_over_and_converges(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second tablet's first pull is a paged snapshot (pages of 3 here); the app dies after its
    second page. Nothing of it was kept, and the next start pulls it all again, page by page."""
    monkeypatch.setattr(pull_module, "PAGE", 3)
    home = await make_household(server, tmp_path, child_devices=2)
    try:
        (_, phone, _, _), (tablet_rt, tablet, _, _) = home.kids
        server.quote(SAMSUNG, 70_000)
        await phone.sync_now()
        created = {}
        for _ in range(3):
            quote = phone.view().quotes[SAMSUNG]
            item = await phone.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote))
            created[item.mutation_id] = phone
            assert (await phone.sync_now()).state is SyncState.IDLE
        pulls: list[PullResponse] = []
        real_pull = tablet.api.pull

        async def dies_on_the_third_page(body: PullRequest) -> PullResponse:
            if len(pulls) == 2:
                raise Killed
            pulls.append(await real_pull(body))
            return pulls[-1]

        monkeypatch.setattr(tablet.api, "pull", dies_on_the_third_page)
        with pytest.raises(Killed):
            await tablet.sync_now()
        assert pulls[0].reset and pulls[1].snapshot is not None, "a paged snapshot was under way"
        tablet_rt, tablet = await restart(tablet_rt, tablet)
        home.kids[1] = (tablet_rt, tablet, *home.kids[1][2:])
        assert int(tablet.store.meta()["cursor"]) == 0 and not tablet.store.confirmed_entities("trade")
        assert (await tablet.sync_now()).state is SyncState.IDLE
        check_converged(server.app.state.db, [phone, tablet], created)
    finally:
        for runtime, *_ in home.kids:
            await runtime.close()
        await home.parent_rt.close()

"""The paged reset snapshot (protocol 2, ``server.replication.pull``): a new device on a big family
gets its first state in pages, ends exactly where the one-piece snapshot of protocol 1 would, and
stays right when the family writes (or a child is erased) between its pages or the device dies
half-way. Pages are made small (``PAGE``) so a family of a few dozen rows spans many of them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import func, select

from server.db.models import Device as DeviceRow
from server.db.models import Outbox
from server.privacy.erasure import erase
from server.privacy.holdings import Subject
from server.replication import pull as pull_module
from sync.protocol import PullResponse
from sync.records import Role

from ..support.device import Device, SyncFailed
from ..support.invariants import check_change_log_replays
from ..support.world import World
from .homes import SAMSUNG, Home

PAGE = 4


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(pull_module, "PAGE", PAGE)
    yield


def _family(world: World) -> tuple[Home, Any]:
    """Mom and two children with a few trades each: a few dozen snapshot rows."""
    family_id = world.family()
    mom = world.member(family_id, Role.PARENT, "Mom")
    home = Home(world, family_id, world.device(mom, f"mom-{family_id}", elevated=True))
    for name in ("Jiu", "Min"):
        home.kids[name] = world.device(world.member(family_id, Role.CHILD, name), f"{name}-{family_id}")
    for device in (home.parent, *home.kids.values()):
        device.sync()
    for kid in home.kids.values():
        for _ in range(3):
            assert home.buy(kid).status_code == 200
    _delivered(world)
    return home, mom


def _delivered(world: World) -> None:
    """Wait for the background deliveries of the trades' notifications: each adds a change-log row,
    and one landing after a pull would make the comparison with the server race."""
    for _ in range(200):
        with world.db.read() as session:
            if not session.scalar(select(func.count()).where(Outbox.delivered_at.is_(None))):
                return
        time.sleep(0.05)
    raise AssertionError("notifications were not delivered")


def _caught_up(world: World, device: Device) -> None:
    """The device's state once the deliveries of the trades made during its pull are in too."""
    _delivered(world)
    device.pull()


def _raw_pull(world: World, device: Device, protocol: int, **body: Any) -> dict[str, Any]:
    wire = {"protocol": protocol, "client_id": device.client_id, "cursor": 0, **body}
    answer = world.client.post("/api/sync/pull", json=wire, headers=device.headers())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _plain(device_or_page: Any) -> dict[str, dict[str, Any]]:
    entities = device_or_page.state.replica.entities
    return {name: rows for name, rows in entities.items() if name != "quote" and rows}


def _one_piece(world: World, device: Device) -> dict[str, dict[str, Any]]:
    page = msgspec.convert(_raw_pull(world, device, 1), PullResponse)
    tables: dict[str, dict[str, Any]] = {}
    for change in page.changes:
        if change.entity != "quote":
            tables.setdefault(change.entity, {})[change.id] = change.data
    return tables


def _snapshot_pages(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot's pages of a pull's answers: up to the first without a ``snapshot`` key."""
    ends = next(i for i, a in enumerate(answers) if "snapshot" not in a)
    return answers[: ends + 1]


def _watch_pulls(device: Device, after_page: Callable[[int, dict[str, Any]], None]) -> list[dict[str, Any]]:
    """Every pull answer the device gets, in order; ``after_page(n, answer)`` runs after the n-th."""
    answers: list[dict[str, Any]] = []
    post = device._post

    def watched(path: str, body: dict[str, Any]) -> httpx.Response:
        response = post(path, body)
        if path == "/api/sync/pull" and response.status_code == 200:
            answers.append(response.json())
            after_page(len(answers), answers[-1])
        return response

    device._post = watched  # type: ignore[method-assign]
    return answers


def test_a_paged_snapshot_ends_where_the_one_piece_snapshot_does(world: World) -> None:
    home, mom = _family(world)
    tablet = world.device(mom, "tablet", elevated=True)
    answers = _watch_pulls(tablet, lambda n, answer: None)
    tablet.pull()
    snapshot = _snapshot_pages(answers)
    assert len(snapshot) > 5, "the family spans several pages"
    assert [a["reset"] for a in answers] == [True] + [False] * (len(answers) - 1)
    assert len({a["cursor"] for a in snapshot}) == 1, "every page reports the head read with the first"
    assert all(len([c for c in a["changes"] if c["entity"] != "quote"]) <= PAGE for a in snapshot)
    # outcomes and checksums on the pull's last page only (the log may follow: deliveries run meanwhile)
    assert answers[-1]["checksums"] and not any(a["checksums"] for a in answers[:-1])
    assert _plain(tablet) == _one_piece(world, tablet)
    assert tablet.state.replica.checksums() == answers[-1]["checksums"]


def test_an_old_app_still_gets_the_snapshot_in_one_response(world: World) -> None:
    home, _ = _family(world)
    answer = _raw_pull(world, home.parent, 1)
    # exactly the fields protocol 1 knows: its PullResponse refuses any other
    assert set(answer) == {
        "cursor", "reset", "has_more", "changes", "last_seq", "results", "checksums", "server_time"
    }  # fmt: skip
    assert answer["reset"] and not answer["has_more"] and answer["checksums"]
    assert len([c for c in answer["changes"] if c["entity"] != "quote"]) > 5 * PAGE


def test_trades_between_pages_arrive_with_the_log_pull_that_follows(world: World) -> None:
    home, mom = _family(world)
    tablet = world.device(mom, "tablet", elevated=True)
    jiu, min_ = home.kids["Jiu"], home.kids["Min"]

    def meanwhile(n: int, answer: dict[str, Any]) -> None:
        if n in (1, 3):  # a trade of each child while the tablet is half-way through
            assert home.buy(jiu if n == 1 else min_).status_code == 200
        if n == 2:  # a sale of shares whose position an earlier page already sent
            quote = world.quote(SAMSUNG, 71_000)
            body = {"symbol": SAMSUNG, "quantity": 1_000_000, "quote_id": quote.quote_id, "price": 71_000}
            assert home.rest(jiu, "POST", "/api/game/trade/sell", body).status_code == 200

    answers = _watch_pulls(tablet, meanwhile)
    tablet.pull()
    snapshot = _snapshot_pages(answers)
    log = answers[len(snapshot) :]
    assert log, "the head moved during the snapshot: the log from its head followed"
    assert all(a["cursor"] >= snapshot[0]["cursor"] for a in answers)
    _caught_up(world, tablet)
    assert _plain(tablet) == _one_piece(world, tablet)
    assert tablet.state.replica.checksums() == answers[-1]["checksums"]
    check_change_log_replays(world.db)


def test_a_child_erased_between_pages_is_gone_once_the_pull_ends(world: World) -> None:
    home, mom = _family(world)
    tablet = world.device(mom, "tablet", elevated=True)
    min_id = home.kids["Min"].actor.user_id

    def meanwhile(n: int, answer: dict[str, Any]) -> None:
        if n == 4:  # Min's rows went out on the first pages
            assert any(c["id"] == min_id for a in answers[:n] for c in a["changes"])
            with world.db.write(home.family_id) as session:
                erase(session, Subject(home.family_id, min_id), world.clock())

    answers = _watch_pulls(tablet, meanwhile)
    tablet.pull()  # the model device asks for a fresh snapshot when the checksums disagree
    assert min_id not in tablet.state.replica.table("member")
    assert not [b for b in tablet.state.replica.table("balance").values() if b["child_id"] == min_id]
    assert _plain(tablet) == _one_piece(world, tablet)
    assert tablet.state.replica.checksums() == answers[-1]["checksums"]


def test_a_device_that_dies_mid_snapshot_starts_over_and_converges(world: World) -> None:
    home, mom = _family(world)
    tablet = world.device(mom, "tablet", elevated=True)

    def dies(n: int, answer: dict[str, Any]) -> None:
        if n == 3:
            assert home.buy(home.kids["Jiu"]).status_code == 200
            raise SyncFailed("the app was killed")

    answers = _watch_pulls(tablet, dies)
    with pytest.raises(SyncFailed):
        tablet.pull()
    # nothing of the half-received snapshot is the device's state: it has no cursor and no rows
    assert tablet.state.cursor == 0 and not _plain(tablet)
    tablet.pull()
    assert answers[3]["reset"], "it started over from the first page"
    _caught_up(world, tablet)
    assert _plain(tablet) == _one_piece(world, tablet)


def test_a_stale_or_foreign_key_starts_the_snapshot_over(world: World) -> None:
    home, _ = _family(world)
    first = _raw_pull(world, home.parent, 2)
    assert first["reset"] and first["has_more"]
    foreign = _raw_pull(world, home.parent, 2, cursor=first["cursor"], snapshot={"section": "x", "after": []})
    assert foreign["reset"], "a key no section wrote: the snapshot starts over"
    # a cursor this server never served (its database came back from a backup): a reset too
    with world.db.write() as session:
        row = session.get(DeviceRow, home.parent.client_id)
        assert row is not None
        row.served_cursor = 0
    again = _raw_pull(world, home.parent, 2, cursor=first["cursor"], snapshot=first["snapshot"])
    assert again["reset"]


def test_a_device_steps_down_to_a_server_of_the_previous_release(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rollback (or a blue-green switch) puts a server that speaks protocol 1 only in front of a
    device of protocol 2: it refuses, lists what it speaks, and the device goes on in protocol 1."""
    home, mom = _family(world)
    monkeypatch.setattr("server.replication.push.SUPPORTED_PROTOCOLS", frozenset({1}))
    tablet = world.device(mom, "tablet", elevated=True)
    answers = _watch_pulls(tablet, lambda n, answer: None)
    tablet.sync()
    assert tablet.protocol == 1
    assert len(answers) == 1 and answers[0]["reset"], "the snapshot in one piece, as protocol 1 has it"
    assert _plain(tablet) == _one_piece(world, tablet)

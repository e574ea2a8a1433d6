"""A family's data rights (issue 18): a parent exports everything the server keeps of the family or
of one child, and erases a child or the whole family after a cooling-off it can call off.

The world is the authorization matrix's (two families, two children each, trades, queued orders,
requests) plus what the other areas keep: a payout, delivered notifications, a push token, a payout
account, preferences. The completeness tests walk ``Base.metadata``: a table added later with family
rows fails here until the export and the eraser know it.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.db import Base
from server.db.models import OperatorAction
from server.notify.dispatcher import Dispatcher
from server.privacy.export import LEDGER_COLUMNS
from server.privacy.holdings import HOLDINGS, NOT_FAMILY, Subject
from tests.helpers import PASSWORD, bearer

from .test_authz_matrix import START, World, journal, served_world

HELD = {h.table: h for h in HOLDINGS}


def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200,)), (response.status_code, response.text)
    return (
        response.json() if response.content and "json" in response.headers.get("content-type", "") else None
    )


def _world(request: pytest.FixtureRequest, tmp: Any, **overrides: Any) -> Iterator[World]:
    for world in served_world(request, tmp, **overrides):
        _everything_else(world)
        yield world


def _everything_else(world: World) -> None:
    """What the other areas keep: a payout, delivered notifications, push tokens, accounts, preferences."""
    client = world.client
    for who in ("A1", "A2", "B1"):
        request_id = world.approved_request(who)["request_id"]
        _ok(
            client.put(
                f"/api/allowance/{request_id}/paid", json={"method": "cash"}, headers=world.elevated[who[0]]
            )
        )
    for who in ("PA", "A1", "PB"):
        token = {"token": f"fcm:{who}-{uuid.uuid4().hex}"}
        _ok(client.put("/api/notifications/push-token", json=token, headers=world.members[who].headers))
        prefs = {"events": {"AllowancePaid": {"push": False}}}
        _ok(client.put("/api/notifications/preferences", json=prefs, headers=world.members[who].headers))
    account = {"bank": "088", "number": "110-123-456789", "holder": "엄마"}
    for family in ("A", "B"):
        _ok(client.put("/api/payment/account", json=account, headers=world.elevated[family]))
    app = world.app
    Dispatcher(app.state.db, app.state.clock, 1.0, app.state.channels.all()).run_once()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the export tests (they change nothing)."""
    yield from _world(request, tmp_path_factory.mktemp(f"rights-{request.param}"))


@pytest.fixture(params=["sqlite"])
def fresh_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A world of its own, for a test that moves the clock and erases."""
    yield from _world(request, tmp_path_factory.mktemp(f"erase-{request.param}"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hasty_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A world whose server has no cooling-off: an erasure is due at once, and every token still
    valid when it runs (so a token refused afterwards was refused by the erasure, not by age)."""
    yield from _world(request, tmp_path_factory.mktemp(f"now-{request.param}"), erase_cooling_off_days=0)


def _family_tables() -> set[str]:
    """Tables with family rows, found in the schema: a ``family_id``, or a key to a table that has them."""
    found: set[str] = set()
    while True:
        more = {
            name
            for name, table in Base.metadata.tables.items()
            if "family_id" in table.c
            or any(fk.column.table.name in found | {"families"} for fk in table.foreign_keys)
        } | {"families"}
        if more == found:
            return found
        found = more


# -- the lists are complete ------------------------------------------------------------------------------
def test_every_table_is_either_held_or_known_to_hold_no_family_data() -> None:
    tables = set(Base.metadata.tables)
    assert tables - set(HELD) - set(NOT_FAMILY) == set(), "a new table: add it to server/privacy/holdings.py"
    assert _family_tables() <= set(HELD), "a table with family rows is not exported or erased"
    assert set(HELD).isdisjoint(NOT_FAMILY)


def _count(world: World, table: str, subject: Subject) -> int:
    holding = HELD[table]
    with world.app.state.db.read() as session:
        query = sa.select(sa.func.count()).select_from(holding.sa_table).where(holding.rows_of(subject))
        return int(session.scalar(query) or 0)


# -- export ----------------------------------------------------------------------------------------------
def test_a_parent_downloads_every_row_of_the_family(world: World) -> None:
    family = world.ours.family_id
    answer = world.client.get("/api/family/export", headers=world.elevated["A"])
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    document = answer.json()
    assert set(document["tables"]) | set(document["withheld"]) == set(HELD)
    subject = Subject(family)
    for table, rows in document["tables"].items():
        assert len(rows) == _count(world, table, subject), table
    # what a family would look for is there, and it is all ours
    for table in ("users", "devices", "house_rules", "ledger_entries", "trades", "allowance_requests",
                  "payouts", "notifications", "push_targets", "bank_accounts", "deliveries"):  # fmt: skip
        assert document["tables"][table], f"{table} is empty in the export"
    text = answer.text
    assert world.theirs.family_id not in text and world.members["B1"].user_id not in text
    assert "110-123-456789" not in text and "argon2" not in text  # no account number, no password hash
    assert all("password_hash" not in user for user in document["tables"]["users"])
    # sealed at rest, plain in the parent's hands
    users = {u["id"]: u for u in document["tables"]["users"]}
    assert users[world.ours.parent.user_id]["email"] == world.ours.parent.email
    assert sorted(u["display_name"] for u in users.values()) == ["엄마", "지우", "하늘"]
    assert all("email_hash" not in user for user in users.values())
    assert document["tables"]["families"][0]["name"] == "우리집"
    # the children's trade journals: their own words, plain in their parent's hands, nobody else's
    journals = {t["data"].get("journal") for t in document["tables"]["trades"]} - {None}
    assert journals == {journal("A1"), journal("A2")}
    assert journal("B1") not in text


def test_the_ledger_comes_as_csv_and_both_in_a_zip(world: World) -> None:
    entries = _count(world, "ledger_entries", Subject(world.ours.family_id))
    csv_answer = world.client.get("/api/family/export?format=csv", headers=world.elevated["A"])
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"].startswith("text/csv")
    lines = csv_answer.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(LEDGER_COLUMNS) and len(lines) == entries + 1
    archive = zipfile.ZipFile(
        io.BytesIO(world.client.get("/api/family/export?format=zip", headers=world.elevated["A"]).content)
    )
    assert sorted(archive.namelist()) == ["ledger.csv", "yongdon.json"]
    assert len(json.loads(archive.read("yongdon.json"))["tables"]["ledger_entries"]) == entries


def test_a_childs_export_holds_that_child_only(world: World) -> None:
    child, sibling = world.members["A1"].user_id, world.members["A2"].user_id
    answer = world.client.get(f"/api/family/children/{child}/export", headers=world.elevated["A"])
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert [u["id"] for u in document["tables"]["users"]] == [child]
    assert document["tables"]["trades"] and document["tables"]["payouts"]
    assert sibling not in answer.text
    for table, rows in document["tables"].items():
        assert len(rows) == _count(world, table, Subject(world.ours.family_id, child)), table


def test_export_needs_a_stepped_up_parent_of_the_family(world: World) -> None:
    child = world.members["A1"].user_id
    for headers, status, code in (
        (world.ours.parent.headers, 403, "STEP_UP_REQUIRED"),
        (world.members["A1"].headers, 403, "FORBIDDEN"),
    ):
        answer = world.client.get("/api/family/export", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code)
    answer = world.client.get(f"/api/family/children/{child}/export", headers=world.elevated["B"])
    assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND")


# -- erase -----------------------------------------------------------------------------------------------
def _traces(world: World, needles: set[str]) -> list[str]:
    """Every (table, column) in the whole database holding one of ``needles`` anywhere in a value."""
    found = []
    with world.app.state.db.read() as session:
        for name, table in sorted(Base.metadata.tables.items()):
            for row in session.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    text = json.dumps(value, default=str, ensure_ascii=False) if value is not None else ""
                    found += [f"{name}.{column}: {n}" for n in needles if n in text]
    return found


def _signed_in_again(world: World) -> dict[str, str]:
    login = {"email": world.ours.parent.email, "password": PASSWORD, "client_id": f"again-{uuid.uuid4().hex}"}
    tokens = _ok(world.client.post("/api/users/login", json=login))
    answer = _ok(
        world.client.post(
            "/api/auth/step-up", json={"password": PASSWORD}, headers=bearer(tokens["access_token"])
        )
    )
    return bearer(answer["access_token"])


def test_an_erasure_waits_for_its_cooling_off_and_a_parent_can_call_it_off(fresh_world: World) -> None:
    world, clock = fresh_world, fresh_world.app.state.clock
    child = world.members["A2"].user_id
    url = f"/api/family/children/{child}/erasure"
    refused = world.client.post(url, json={"confirm": False}, headers=world.elevated["A"])
    assert (refused.status_code, refused.json()["code"]) == (422, "INVALID_ARGS")
    asked = _ok(world.client.post(url, json={"confirm": True}, headers=world.elevated["A"]), 202)
    assert asked["due_at"].startswith((START + timedelta(days=7)).date().isoformat())
    listed = _ok(world.client.get("/api/family/erasures", headers=world.ours.parent.headers), 200)
    assert [e["child_id"] for e in listed["erasures"]] == [child]
    clock.advance(days=6)
    assert world.app.state.eraser.run_once() == 0
    assert _count(world, "users", Subject(world.ours.family_id, child)) == 1
    parent = _signed_in_again(world)  # six days later: a new sign-in, and the password again
    _ok(world.client.delete(url, headers=parent), 204)
    assert world.client.delete(url, headers=parent).json()["code"] == "NOT_FOUND"
    clock.advance(days=2)
    assert world.app.state.eraser.run_once() == 0
    assert _count(world, "users", Subject(world.ours.family_id, child)) == 1


def test_an_erased_child_and_family_leave_no_row_anywhere(hasty_world: World) -> None:
    world, client = hasty_world, hasty_world.client
    gone_child, kept_child = world.members["A1"], world.members["A2"]
    _ok(
        client.post(
            f"/api/family/children/{gone_child.user_id}/erasure",
            json={"confirm": True},
            headers=world.elevated["A"],
        ),
        202,
    )
    _ok(client.post("/api/family/erasure", json={"confirm": True}, headers=world.elevated["B"]), 202)
    theirs = world.theirs
    their_ids = {theirs.family_id, theirs.parent.user_id, *(m.user_id for m in theirs.children.values())}
    their_devices = {m.client_id for m in theirs.children.values()}
    assert _traces(world, {gone_child.user_id, *their_ids})  # the walk finds them before
    for member in (gone_child, theirs.parent, *theirs.children.values()):
        _ok(client.get("/api/family", headers=member.headers))
    assert world.app.state.eraser.run_once() == 2

    assert _traces(world, {gone_child.user_id, gone_child.client_id, *their_ids, *their_devices}) == []
    assert _traces(world, {"민수", "서연", theirs.parent.email}) == []  # their names and e-mail too
    assert _traces(world, {journal("A1"), journal("B1"), journal("B2")}) == []  # and the children's words
    assert _traces(world, {journal("A2")})  # the sibling's stay
    # every token they held is dead, on every route
    for member in (gone_child, theirs.parent, *theirs.children.values()):
        answer = client.get("/api/family", headers=member.headers)
        assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHENTICATED")
        refreshed = client.post("/api/auth/refresh", json={"refresh_token": member.refresh})
        assert refreshed.status_code == 401
    # the rest of the family goes on
    family = _ok(client.get("/api/family", headers=kept_child.headers), 200)
    assert [m["user_id"] for m in family["members"] if m["role"] == "child"] == [kept_child.user_id]
    assert _ok(client.get(f"/api/game/portfolio/{kept_child.user_id}", headers=kept_child.headers), 200)
    # the operator sees that two erasures happened, and nothing else
    with world.app.state.db.read() as session:
        query = sa.select(OperatorAction.action, OperatorAction.target).where(
            OperatorAction.actor == "family"
        )
        audit = sorted(tuple(row) for row in session.execute(query))
    assert audit == [("erase-child", ""), ("erase-family", "")]


# -- at rest ---------------------------------------------------------------------------------------------
def _raw_texts(world: World) -> list[tuple[str, str, str]]:
    """Every text-like value in every table, read by a plain engine that knows no data keys."""
    engine = sa.create_engine(str(world.app.state.settings.database_url))
    found = []
    try:
        with engine.connect() as connection:
            for name, table in sorted(Base.metadata.tables.items()):
                # plain column types: what the file holds, not what the models would make of it
                plain = sa.table(name, *(sa.column(c.name) for c in table.c))
                for row in connection.execute(sa.select(*plain.c)):
                    for column, value in row._mapping.items():
                        if value is not None and not isinstance(value, int | float | bool):
                            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                            found.append((name, column, text))
    finally:
        engine.dispose()
    return found


def test_no_email_or_name_of_a_family_is_stored_in_plain_text(world: World) -> None:
    members = [m for key, m in world.members.items() if key != "ADMIN"]
    needles = {m.email for m in members if m.email} | {"엄마", "지우", "하늘", "민수", "서연", "우리집"}
    needles |= {journal(child) for child in ("A1", "A2", "B1", "B2")}  # a child's words on a trade too
    values = _raw_texts(world)
    assert len(values) > 500  # the walk reads the real rows
    forms = {n: (n, json.dumps(n)[1:-1]) for n in needles}  # as is, and as JSON escapes it (\uc9c0\uc6b0)
    hits = sorted(
        {f"{t}.{c}: {n}" for t, c, text in values for n in needles if any(f in text for f in forms[n])}
    )
    assert hits == [], "\n".join(hits)

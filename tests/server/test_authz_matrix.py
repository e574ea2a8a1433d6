"""The authorization matrix (security.md, "The authorization matrix test") on the real app.

Every row of :mod:`tests.server.authz_table` × every actor × every object scope is one test case, run
against one world per module and backend: two families (a parent and two children each, every member
signed in on its own device), the operator, quotes, filled and queued orders and allowance requests.
The clock stands still, so the step-up of the "parent" actor holds for the whole module.

A case whose call is denied must leave the database exactly as it was (ledger, balances, requests,
devices, sessions, codes, …: every table except the mutation log, which records rejections by
design); an allowed call of a mutating row must change it. Cases that consume their object (approve,
reject, paid, cancel, revoke, join, refresh, logout) get a fresh one each.

The completeness test fails when a route of ``app.routes`` has no row (or a row no route).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from server.accounts.setup import new_setup_token
from server.app import create_app
from server.auth.tokens import AccessClaims, decode_access, encode_access
from server.db import Base
from server.db.models import Balance, Device, MutationRow, Notification, RequestRow, TradeRow, User
from server.market.clock import FixedMarketClock
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, Member, bearer, enroll_device, link_code, step_up
from tests.support.market import ScriptedMarket

from .authz_table import (
    ACTORS,
    DERIVED_ACTORS,
    DERIVED_SCOPES,
    NO_SCOPE,
    ROWS,
    SCOPES,
    Row,
    expected_code,
)

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Seoul; the clock never moves
SYMBOL = "005930.KS"
# House rules that let the world make as many requests and trades as the cases need.
LENIENT = {
    "request_cooldown_s": 0,
    "request_cap_week": 10**9,
    "request_cap_month": 10**9,
    "min_request": 100,
    "second_parent_threshold": 10**9,
    "trades_per_day": 1_000,
}


def journal(who: str) -> str:
    """The sentence the child ``who`` wrote on its first buy (the trade journal): its own words."""
    return f"{who}의 일기: 반도체가 잘 될 것 같아서 샀어요"


# The tables a denied call must leave untouched: all but the mutation log (it records rejections).
LOG_TABLES = {"mutations", "mutation_aliases", "mutation_attempts"}

# Whose object each (actor, scope) is about: A1/A2 are our children, B1/B2 the other family's,
# PA/PB the parents. Scope is relative to the caller (see authz_table).
_SUBJECT = {
    "child": ("A1", "A2", "B1"),
    "sibling": ("A2", "A1", "B1"),
    "other_child": ("B1", "B2", "A1"),
    "other_parent": ("B1", "B2", "A1"),
}
_DEVICE = {  # sync routes: "own" is the caller's own device
    **_SUBJECT,
    "parent": ("PA", "A1", "B1"),
    "parent_no_stepup": ("PA", "A1", "B1"),
    "parent_stale_stepup": ("PA", "A1", "B1"),
    "other_parent": ("PB", "B1", "A1"),
    "admin": ("ADMIN", "A1", "B1"),
}
_DEFAULT = ("A1", "A2", "B1")
# notifications: "own" is the caller's own (a parent's too); the operator has none, so it gets A1's
_NOTIFICATION_OWNER = {**_DEVICE, "admin": _DEFAULT}


def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in statuses, (response.status_code, response.text)
    return response.json() if response.content else None


@dataclass
class World:
    client: TestClient[Litestar]
    app: Litestar
    backend: str
    ours: Family
    theirs: Family
    members: dict[str, Member] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    elevated: dict[str, dict[str, str]] = field(default_factory=dict)  # "A"/"B" → stepped-up parent
    uniq: Iterator[int] = field(default_factory=itertools.count)
    quote: Any = None
    prices: ScriptedMarket | None = None

    # -- the market --------------------------------------------------------------------------------
    def trades_at(self, price: int) -> None:
        """The stock trades at ``price`` on Yahoo and the server's refresh pass fetched it."""
        if self.prices is None:
            self.prices = ScriptedMarket(self.app.state.clock).attach(self.app)
        self.quote = self.prices.trades(SYMBOL, price)

    def trade(self, who: str, side: str, shares: int = 1, *, why: str | None = None) -> dict[str, Any]:
        body = {
            "symbol": SYMBOL,
            "quantity": shares * 1_000_000,
            "quote_id": self.quote.quote_id,
            "price": self.quote.price,
        }
        if why is not None:
            body["journal"] = why
        member = self.members[who]
        return _ok(self.client.post(f"/api/game/trade/{side}", json=body, headers=member.headers), 200)

    # -- objects for one case ----------------------------------------------------------------------
    def _parent_of(self, who: str) -> Member:
        return self.members["P" + who[0]]

    def queued_order(self, who: str) -> str:
        market: FixedMarketClock = self.app.state.market_clock
        market.open_markets.clear()
        try:
            answer = self.trade(who, "buy")
        finally:
            market.open_markets.update(FixedMarketClock().open_markets)
        assert answer["trade"]["status"] == "queued", answer
        return str(answer["trade"]["trade_id"])

    def awaiting_order(self, who: str) -> str:
        """An order waiting for a parent: the house rule on for one order, then off again."""
        url = f"/api/family/children/{self.members[who].user_id}/rules"
        headers = self.elevated[who[0]]
        _ok(self.client.put(url, json={"trade_approval": "every"}, headers=headers), 200)
        try:
            answer = self.trade(who, "buy")
        finally:
            _ok(self.client.put(url, json={"trade_approval": "off"}, headers=headers), 200)
        assert answer["trade"]["status"] == "awaiting", answer
        return str(answer["trade"]["trade_id"])

    def pending_request(self, who: str) -> dict[str, Any]:
        answer = _ok(
            self.client.post(
                "/api/allowance/request", json={"amount_game": 100}, headers=self.members[who].headers
            ),
            201,
        )
        return {
            "request_id": answer["request"]["request_id"],
            "amount_real": answer["request"]["amount_real"],
        }

    def approved_request(self, who: str) -> dict[str, Any]:
        request = self.pending_request(who)
        _ok(
            self.client.put(
                f"/api/allowance/{request['request_id']}/approve",
                json={"version": 1, "amount_real": request["amount_real"]},
                headers=self.elevated[who[0]],
            ),
            200,
        )
        return request

    def mission(self, who: str) -> str:
        """A fresh open mission of the child ``who``, set by its stepped-up parent."""
        url = f"/api/family/children/{self.members[who].user_id}/missions"
        body = {"kind": "journals", "target": 3, "reward": 5_000}
        return str(_ok(self.client.post(url, json=body, headers=self.elevated[who[0]]), 201)["mission_id"])

    def notification(self, who: str) -> str:
        """A fresh unread notification in ``who``'s inbox."""
        member = self.members[who]
        family = (self.ours if who in ("PA", "A1", "A2") else self.theirs).family_id
        role = "parent" if who.startswith("P") else "child"
        notification_id = f"n-{uuid.uuid4().hex}"
        with self.app.state.db.write(family) as session:
            session.add(
                Notification(
                    id=notification_id,
                    family_id=family,
                    user_id=member.user_id,
                    # the child it is about: for a parent's, its first child (pull scoping reads it)
                    child_id=member.user_id if role == "child" else self.members[who[1] + "1"].user_id,
                    event="TradeExecuted",
                    title="주문이 체결됐어요",
                    body="",
                    data={},
                    created_at=START,
                )
            )
        return notification_id

    def target(self, row: Row, actor: str, scope: str) -> dict[str, Any]:
        """The ids a case is about (fresh objects for the rows that consume theirs)."""
        n = next(self.uniq)
        a1 = self.members["A1"]
        t: dict[str, Any] = {
            "uniq": f"{self.backend}-{n}-{uuid.uuid4().hex[:8]}",
            "symbol": SYMBOL,
            "quote_id": self.quote.quote_id,
            "price": self.quote.price,
            "email": self.ours.parent.email,
            "child_client_id": a1.client_id,
            "user_id": a1.user_id,
            "pin": a1.pin,
        }
        if scope == "missing":  # ids that exist nowhere
            ghost = uuid.uuid4().hex
            return {
                **t,
                "user_id": ghost,
                "client_id": f"dev-{ghost}",
                "trade_id": ghost,
                "request_id": ghost,
                "notification_id": ghost,
                "mission_id": ghost,
                "amount_real": 10,
                "pin": "482915",
                "seq": 1,
            }
        if row.target == "join_code":
            return {**t, "code": link_code(self.client, self.ours.parent, "child_device", a1.user_id)}
        if row.target == "session":
            login = {"email": self.ours.parent.email, "password": PASSWORD, "client_id": f"sess-{t['uniq']}"}
            return {
                **t,
                "refresh_token": _ok(self.client.post("/api/users/login", json=login), 200)["refresh_token"],
            }
        if row.target == "pending_family_erasure":  # the caller's family (ours for the operator)
            family = "B" if actor.startswith("other_") else "A"
            erase = {"confirm": True}
            _ok(self.client.post("/api/family/erasure", json=erase, headers=self.elevated[family]), 202)
        if scope == NO_SCOPE:
            return t
        index = SCOPES.index(scope)
        if row.target == "device":
            holder = self.members[_DEVICE.get(actor, _DEFAULT)[index]]
            return {**t, "client_id": holder.client_id, "seq": self.last_seq(holder.client_id) + 1}
        if row.target == "notification":
            owner = _NOTIFICATION_OWNER.get(actor, _DEFAULT)[index]
            return {**t, "notification_id": self.notification(owner)}
        who = _SUBJECT.get(actor, _DEFAULT)[index]
        member = self.members[who]
        t.update(user_id=member.user_id, pin=member.pin, client_id=member.client_id)
        if row.target == "fresh_device":
            t["client_id"] = enroll_device(self.client, self._parent_of(who), member.user_id).client_id
        elif row.target == "queued_order":
            t["trade_id"] = self.queued_order(who)
        elif row.target == "awaiting_order":
            t["trade_id"] = self.awaiting_order(who)
        elif row.target == "pending_request":
            t.update(self.pending_request(who))
        elif row.target == "approved_request":
            t.update(self.approved_request(who))
        elif row.target == "mission":
            t["mission_id"] = self.mission(who)
        elif row.target == "pending_erasure":
            url = f"/api/family/children/{member.user_id}/erasure"
            _ok(self.client.post(url, json={"confirm": True}, headers=self.elevated[who[0]]), 202)
        return t

    def last_seq(self, client_id: str) -> int:
        with self.app.state.db.read() as session:
            device = session.get(Device, client_id)
            return device.last_seq if device is not None else 0

    # -- the database, to prove a denied call changed nothing --------------------------------------
    def fingerprint(self, *, besides: frozenset[str] = frozenset()) -> str:
        """The database's content, but the mutation log (and the tables in ``besides``)."""
        digest = hashlib.sha256()
        with self.app.state.db.read() as session:
            for name, table in sorted(Base.metadata.tables.items()):
                if name in LOG_TABLES or name in besides:
                    continue
                rows = session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                digest.update(f"{name}:{[tuple(r) for r in rows]!r}".encode())
        return digest.hexdigest()


def _mint(settings: Settings, token: str, *, now: datetime, elevated_until: datetime | None) -> str:
    claims = decode_access(token, START, settings)
    return encode_access(
        AccessClaims(
            user_id=claims.user_id,
            role=claims.role,
            family_id=claims.family_id,
            client_id=claims.client_id,
            session_id=claims.session_id,
            issued_at=now,
            elevated_until=elevated_until,
        ),
        now,
        settings,
    )


def _other_audience(settings: Settings, token: str) -> str:
    payload = jwt.decode(
        token, settings.jwt_secret, algorithms=["HS256"], options={"verify_aud": False, "verify_exp": False}
    )
    return jwt.encode({**payload, "aud": "someone-else"}, settings.jwt_secret, algorithm="HS256")


def _database_url(backend: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'yongdon.db'}"
    url = str(request.getfixturevalue("pg_database"))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        names = ", ".join(f'"{name}"' for name in Base.metadata.tables)
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


def build_world(client: TestClient[Litestar], app: Litestar, backend: str) -> World:
    ours, theirs = Family.create(client), Family.create(client, ("민수", "서연"))
    world = World(client, app, backend, ours, theirs)
    world.members.update(
        PA=ours.parent,
        A1=ours.child("지우"),
        A2=ours.child("하늘"),
        PB=theirs.parent,
        B1=theirs.child("민수"),
        B2=theirs.child("서연"),
    )
    token = new_setup_token(app.state.db)
    admin = _ok(
        client.post(
            "/api/admin/setup",
            json={
                "token": token,
                "email": "ops@example.org",
                "password": PASSWORD,
                "display_name": "ops",
                "client_id": "ops-console-1",
            },
        ),
        201,
    )
    world.members["ADMIN"] = Member(admin["user_id"], "ops-console-1", admin)
    world.elevated = {"A": step_up(client, ours.parent), "B": step_up(client, theirs.parent)}
    settings: Settings = app.state.settings
    parent_token = world.elevated["A"]["Authorization"].removeprefix("Bearer ")
    world.headers = {
        "anonymous": {},
        "child": world.members["A1"].headers,
        "sibling": world.members["A2"].headers,
        "parent": world.elevated["A"],
        "parent_no_stepup": ours.parent.headers,
        "other_child": world.members["B1"].headers,
        "other_parent": world.elevated["B"],
        "admin": bearer(admin["access_token"]),
        "expired": bearer(
            _mint(
                settings,
                parent_token,
                now=START - timedelta(minutes=16),
                elevated_until=START + timedelta(minutes=5),
            )
        ),
        "refresh_as_access": bearer(ours.parent.refresh),
        "parent_stale_stepup": bearer(
            _mint(settings, parent_token, now=START, elevated_until=START - timedelta(seconds=1))
        ),
        "wrong_audience": bearer(_other_audience(settings, parent_token)),
    }
    for child in ("A1", "A2", "B1", "B2"):
        url = f"/api/family/children/{world.members[child].user_id}/rules"
        _ok(client.put(url, json=LENIENT, headers=world.elevated[child[0]]), 200)
        # enough game money for every queued order the cases leave reserved
        grant = {"child_id": world.members[child].user_id, "amount": 100_000_000, "reason": "시작"}
        _ok(client.post("/api/family/grants", json=grant, headers=world.elevated[child[0]]), 201)
    # every child bought 20 shares at 70,000 and sold 10 at 80,000: realised profit to convert,
    # shares to sell, and a queued order and a pending request standing
    world.trades_at(70_000)
    for child in ("A1", "A2", "B1", "B2"):
        _ok(client.get(f"/api/market/stocks/{SYMBOL}/price", headers=world.members[child].headers), 200)
        bought = world.trade(child, "buy", 20, why=journal(child))["trade"]
        assert (bought["status"], bought["journal"]) == ("filled", journal(child))
    world.trades_at(80_000)
    for child in ("A1", "A2", "B1", "B2"):
        _ok(client.get(f"/api/market/stocks/{SYMBOL}/price", headers=world.members[child].headers), 200)
        assert world.trade(child, "sell", 10)["trade"]["status"] == "filled"
        world.queued_order(child)
        world.pending_request(child)
    return world


def served_world(request: pytest.FixtureRequest, tmp: Any, **overrides: Any) -> Iterator[World]:
    """A server on ``request.param``'s database with the two families built through the API; the
    other test modules that need the same families start it here too."""
    backend = str(request.param)
    settings = Settings(
        jwt_secret=uuid.uuid4().hex * 2,
        pin_pepper=uuid.uuid4().hex * 2,
        data_dir=tmp,
        database_url=_database_url(backend, request, tmp),
        announce_setup_token=False,
        rate_limits=False,
        notify_dispatcher=False,  # a background delivery would change the database under a denied call
        **overrides,
    )
    app = create_app(settings, clock=MovableClock(START))
    app.state.market_clock = FixedMarketClock()
    with TestClient(app) as client:
        yield build_world(client, app, backend)
    app.state.db.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from served_world(request, tmp_path_factory.mktemp(f"authz-{request.param}"))


# -- the cases ------------------------------------------------------------------------------------------
def _cases() -> list[Any]:
    cases = []
    for row in ROWS:
        for actor in (*ACTORS, *DERIVED_ACTORS):
            scopes = row.scopes if row.scopes == (NO_SCOPE,) else (*row.scopes, *DERIVED_SCOPES)
            for scope in scopes:
                cases.append(pytest.param(row, actor, scope, id=f"{row.route_key}-{actor}-{scope}"))
    return cases


def expected_status(row: Row, actor: str, scope: str) -> tuple[int, str]:
    """The cell's status and the actor whose rules it follows (a derived actor's base)."""
    base = DERIVED_ACTORS.get(actor, actor)
    return row.expect[base][DERIVED_SCOPES.get(scope, scope)], base


@pytest.mark.parametrize(("row", "actor", "scope"), _cases())
def test_matrix(world: World, row: Row, actor: str, scope: str) -> None:
    status, base = expected_status(row, actor, scope)
    target = world.target(row, actor, scope)
    body = row.body(target) if row.body else None
    before = world.fingerprint() if row.mutates else None
    response = world.client.request(
        row.method, row.path.format(**target), json=body, headers=world.headers[actor]
    )
    where = f"{row.method} {row.path} as {actor} on {scope}"
    assert response.status_code == status, f"{where}: {response.status_code} {response.text}"
    code = expected_code(row, base, status)
    if code is not None:
        assert response.json().get("code") == code, f"{where}: {response.text}"
    if before is not None:
        if status >= 400:
            assert world.fingerprint() == before, f"{where}: a denied call changed the database"
        else:
            assert world.fingerprint() != before, f"{where}: an allowed change changed nothing"


# -- completeness ---------------------------------------------------------------------------------------
def _shape(path: str) -> str:
    """``/api/users/{user_id:str}/profile`` and ``/api/users/{x}/profile?q=1`` → ``/api/users/{}/profile``."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?", 1)[0])


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) an HTTP handler serves, without the /schema docs and websockets.

    OPTIONS is left out only where it is Litestar's automatic handler (CORS preflight).
    """
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or re.match(r"^/schema(/|$)", route.path):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method == "OPTIONS" and handler.handler_name == "options_handler":
                    continue
                found.add((method, _shape(route.path)))
    return found


def test_every_route_has_a_row(world: World) -> None:
    routes = app_routes(world.app)
    rows = {(row.method, _shape(row.path)) for row in ROWS}
    missing = sorted(routes - rows)
    assert not missing, f"routes without a row in tests/server/authz_table.py: {missing}"
    stale = sorted(rows - routes)
    assert not stale, f"rows for routes the app does not have: {stale}"


def test_every_row_covers_every_actor_and_scope() -> None:
    keys = [row.route_key for row in ROWS]
    assert len(keys) == len(set(keys)), "route keys must be unique"
    for row in ROWS:
        assert set(row.expect) == set(ACTORS), row.route_key
        scopes = {tuple(cells) for cells in row.expect.values()}
        assert scopes in ({SCOPES}, {(NO_SCOPE,)}), (row.route_key, scopes)
        for actor, cells in row.expect.items():
            for status in cells.values():
                assert 200 <= status < 500, (row.route_key, actor, status)
                # deny by default: the unauthenticated never get past a signed-in route
                if actor in ("anonymous", "expired", "refresh_as_access") and status < 300:
                    assert cells == {NO_SCOPE: status}, (row.route_key, actor)
            if "other" in cells and actor not in ("anonymous", "expired", "refresh_as_access"):
                # another family's object: never a success, never a 403
                assert cells["other"] == 404, (row.route_key, actor, cells)


# -- sync pull scoping ----------------------------------------------------------------------------------
def _pull(world: World, who: str, cursor: int = 0) -> dict[str, Any]:
    member = world.members[who]
    headers = world.elevated[who[1]] if who.startswith("P") else member.headers
    body = {"protocol": 1, "client_id": member.client_id, "cursor": cursor}
    return dict(_ok(world.client.post("/api/sync/pull", json=body, headers=headers), 200))


def _owners(world: World, answer: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(children whose private rows came back, members listed)."""
    children: set[str] = set()
    members: set[str] = set()
    for change in answer["changes"]:
        if change["entity"] == "quote":
            continue
        if change["entity"] == "member":
            members.add(change["id"])
            continue
        data = change["data"] or {}
        owner = data.get("child_id") or change["id"].split(":", 1)[0]
        children.add(owner)
    return children, members


def _family_users(world: World, family: Family) -> tuple[set[str], set[str]]:
    """(children, all members) of ``family`` as the database has them now."""
    with world.app.state.db.read() as session:
        users = session.execute(sa.select(User.id, User.role).where(User.family_id == family.family_id)).all()
    return {u for u, role in users if role == "child"}, {u for u, _ in users}


def test_pull_snapshot_is_scoped(world: World) -> None:
    for who, family in (("A1", world.ours), ("A2", world.ours), ("B1", world.theirs), ("B2", world.theirs)):
        answer = _pull(world, who)
        children, members = _owners(world, answer)
        _, family_members = _family_users(world, family)
        assert children == {world.members[who].user_id}, (who, children)
        assert members <= family_members, (who, members - family_members)
        entities = {c["entity"] for c in answer["changes"]}
        assert {"balance", "position", "trade", "request", "rules"} <= entities, entities
        assert set(answer["checksums"]) == {world.members[who].user_id}
    for who, family in (("PA", world.ours), ("PB", world.theirs)):
        answer = _pull(world, who)
        children, members = _owners(world, answer)
        family_children, family_members = _family_users(world, family)
        assert children <= family_children, (who, children - family_children)
        assert {world.members[who[1] + n].user_id for n in "12"} <= children, who
        assert members == family_members, who
        assert set(answer["checksums"]) == family_children, who  # every child, the new ones too


def test_pull_changes_since_a_cursor_are_scoped(world: World) -> None:
    cursors = {who: _pull(world, who)["cursor"] for who in ("A1", "PA")}
    # something happens to every child of both families
    for who in ("A1", "A2", "B1", "B2"):
        world.trade(who, "buy")
    grant = {"child_id": world.members["A2"].user_id, "amount": 500, "reason": "생일"}
    _ok(world.client.post("/api/family/grants", json=grant, headers=world.headers["parent"]), 201)
    kid = _pull(world, "A1", cursors["A1"])
    children, _ = _owners(world, kid)
    assert children == {world.members["A1"].user_id}, children
    assert not kid["reset"]
    parent = _pull(world, "PA", cursors["PA"])
    children, _ = _owners(world, parent)
    assert children == {world.members["A1"].user_id, world.members["A2"].user_id}, children
    assert not parent["reset"]


# -- sync push: what a mutation names is scoped like a REST call ----------------------------------------
def _push(world: World, who: str, mutations: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    member = world.members[who]
    headers = world.elevated[who[1]] if who.startswith("P") else member.headers
    first = world.last_seq(member.client_id) + 1
    wire = [
        {"seq": first + i, "id": f"m-{uuid.uuid4().hex}", "name": name, "args": args}
        for i, (name, args) in enumerate(mutations)
    ]
    body = {"protocol": 1, "client_id": member.client_id, "mutations": wire}
    answer = dict(_ok(world.client.post("/api/sync/push", json=body, headers=headers), 200))
    assert answer["last_seq"] == first + len(mutations) - 1  # processed: the queue drains
    return answer


def _state_of(world: World, who: str) -> Any:
    child = world.members[who].user_id
    with world.app.state.db.read() as session:
        return (
            sorted(
                session.execute(sa.select(Balance.account, Balance.balance).where(Balance.child_id == child))
            ),
            sorted(
                session.execute(
                    sa.select(TradeRow.trade_id, TradeRow.status).where(TradeRow.child_id == child)
                )
            ),
            sorted(
                (r.request_id, r.data["status"])
                for r in session.scalars(sa.select(RequestRow).where(RequestRow.child_id == child))
            ),
        )


def test_push_mutations_are_scoped(world: World) -> None:
    b1, a2 = world.members["B1"].user_id, world.members["A2"].user_id
    theirs = world.pending_request("B1")
    sibling_order = world.queued_order("A2")
    own = world.pending_request("A1")
    before = {who: _state_of(world, who) for who in ("A1", "A2", "B1")}
    # a stepped-up parent names the other family's child, or a child that does not exist
    parent = _push(
        world,
        "PA",
        [
            (
                "family.grant/v1",
                {"child_id": b1, "grant_id": uuid.uuid4().hex, "amount": 1_000, "reason": "x"},
            ),
            (
                "family.grant/v1",
                {"child_id": uuid.uuid4().hex, "grant_id": uuid.uuid4().hex, "amount": 1, "reason": "x"},
            ),
            (
                "allowance.decide/v1",
                {
                    "child_id": b1,
                    "request_id": theirs["request_id"],
                    "version": 1,
                    "amount_real": theirs["amount_real"],
                    "decision": "approve",
                },
            ),
            ("trade.cancel/v1", {"trade_id": sibling_order, "child_id": b1}),
            ("trade.decide/v1", {"trade_id": sibling_order, "child_id": b1, "decision": "approve"}),
        ],
    )
    assert [(r["status"], r.get("code")) for r in parent["results"]] == [("rejected", "NOT_FOUND")] * 5
    # a child cancels its sibling's order and approves its own request (without any step-up to give)
    kid = _push(
        world,
        "A1",
        [
            ("trade.cancel/v1", {"trade_id": sibling_order, "child_id": a2}),
            (
                "allowance.decide/v1",
                {
                    "child_id": world.members["A1"].user_id,
                    "request_id": own["request_id"],
                    "version": 1,
                    "amount_real": own["amount_real"],
                    "decision": "approve",
                },
            ),
            (
                "family.grant/v1",
                {"child_id": b1, "grant_id": uuid.uuid4().hex, "amount": 1_000, "reason": "x"},
            ),
            # deciding its own (or its sibling's) order is a parent's, stepped up or not
            ("trade.decide/v1", {"trade_id": sibling_order, "child_id": a2, "decision": "decline"}),
        ],
    )
    assert [(r["status"], r.get("code")) for r in kid["results"]] == [
        ("rejected", "NOT_FOUND"),
        ("rejected", "FORBIDDEN"),
        ("rejected", "NOT_FOUND"),
        ("rejected", "FORBIDDEN"),
    ]
    assert {who: _state_of(world, who) for who in ("A1", "A2", "B1")} == before


# -- ids a caller chooses: another child's id is refused on every path and touches nothing ---------------
# Every id a device or a REST caller chooses, reused by a sibling or by the other family, on REST and on
# push. Cells: (kind, path, intruder) → what the intruder gets; "refused" leaves the whole database as
# it was (a push records its own refusal in the mutation log and moves its device's last_seq on, nothing
# else); "own" means the id is only a name in the intruder's own namespace: its call succeeds on its own
# objects and the owner's are untouched.
ID_CASES = [
    ("trade_id", "rest", "A2", "refused"),
    ("trade_id", "rest", "B1", "refused"),
    ("trade_id", "push", "A2", "refused"),
    ("trade_id", "push", "B1", "refused"),
    ("request_id", "rest", "A2", "refused"),
    ("request_id", "rest", "B1", "refused"),
    ("request_id", "push", "A2", "refused"),
    ("request_id", "push", "B1", "refused"),
    ("grant_id", "push", "PA", "refused"),  # the same parent, for the sibling: a grant id is the family's
    ("grant_id", "push", "PB", "own"),  # another family's ledger: another namespace
    ("mutation_id", "push", "A2", "refused"),
    ("mutation_id", "push", "B1", "refused"),
    ("idempotency_key", "rest", "A2", "own"),
    ("idempotency_key", "rest", "B1", "own"),
]
_INTRUDER_CHILD = {"A2": "A2", "B1": "B1", "PA": "A2", "PB": "B1"}  # whose book the intruder's call is on


def _owned_by_a1(world: World, kind: str) -> tuple[str, str]:
    """An id of A1's (or, for a grant, of its parent's grant to A1), and the mutation id that made it."""
    if kind == "trade_id":
        trade_id = world.queued_order("A1")
        return trade_id, trade_id
    if kind == "request_id":
        request_id = world.pending_request("A1")["request_id"]
        return request_id, request_id
    mutation_id = f"m-{uuid.uuid4().hex}"
    if kind == "idempotency_key":
        key = f"k-{uuid.uuid4().hex[:12]}"
        headers = {**world.members["A1"].headers, "Idempotency-Key": key}
        answer = _ok(world.client.post("/api/game/trade/buy", json=_order(world), headers=headers), 200)
        return key, answer["mutation_id"]
    grant = {"child_id": world.members["A1"].user_id, "grant_id": f"g-{uuid.uuid4().hex}", "amount": 700}
    answer = _push_raw(world, "PA", [("family.grant/v1", {**grant, "reason": "심부름"})], [mutation_id])
    assert answer["results"][0]["status"] == "applied", answer
    return (grant["grant_id"] if kind == "grant_id" else mutation_id), mutation_id


def _order(world: World, **extra: Any) -> dict[str, Any]:
    quote = world.quote
    return {
        "symbol": SYMBOL,
        "quantity": 1_000_000,
        "quote_id": quote.quote_id,
        "price": quote.price,
        **extra,
    }


def _push_raw(
    world: World, who: str, mutations: list[tuple[str, dict[str, Any]]], ids: list[str]
) -> dict[str, Any]:
    member = world.members[who]
    headers = world.elevated[who[1]] if who.startswith("P") else member.headers
    first = world.last_seq(member.client_id) + 1
    wire = [
        {"seq": first + i, "id": ids[i], "name": name, "args": args}
        for i, (name, args) in enumerate(mutations)
    ]
    body = {"protocol": 1, "client_id": member.client_id, "mutations": wire}
    return dict(_ok(world.client.post("/api/sync/push", json=body, headers=headers), 200))


def _reuse(world: World, kind: str, path: str, intruder: str, value: str) -> Any:
    """The intruder's call naming ``value``: a REST response, or the push's one result."""
    member = world.members[intruder]
    child = world.members[_INTRUDER_CHILD[intruder]].user_id
    if path == "rest":
        headers = dict(member.headers)
        if kind == "trade_id":
            return world.client.post(
                "/api/game/trade/buy", json=_order(world, trade_id=value), headers=headers
            )
        if kind == "request_id":
            body = {"amount_game": 100, "request_id": value}
            return world.client.post("/api/allowance/request", json=body, headers=headers)
        headers["Idempotency-Key"] = value
        return world.client.post("/api/game/trade/buy", json=_order(world), headers=headers)
    mutation_id = value if kind == "mutation_id" else f"m-{uuid.uuid4().hex}"
    if kind in ("trade_id", "mutation_id") and not intruder.startswith("P"):
        args: dict[str, Any] = {
            **_order(world),
            "trade_id": value if kind == "trade_id" else f"t-{uuid.uuid4().hex}",
        }
        name = "trade.place/v1"
        args["side"] = "buy"
    elif kind == "request_id":
        name, args = "allowance.request/v1", {"request_id": value, "amount_game": 100}
    else:
        name = "family.grant/v1"
        args = {"child_id": child, "grant_id": value, "amount": 300, "reason": "용돈"}
    (result,) = _push_raw(world, intruder, [(name, args)], [mutation_id])["results"]
    return result


@pytest.mark.parametrize(("kind", "path", "intruder", "expect"), ID_CASES, ids=lambda v: str(v))
def test_client_chosen_ids_are_scoped_to_their_family_and_child(
    world: World, kind: str, path: str, intruder: str, expect: str
) -> None:
    value, owner_mutation = _owned_by_a1(world, kind)
    owner = _state_of(world, "A1")
    besides = frozenset({"devices"}) if path == "push" else frozenset()
    before = world.fingerprint(besides=besides)
    answer = _reuse(world, kind, path, intruder, value)
    where = f"{kind} of A1 reused by {intruder} over {path}"
    if expect == "refused":
        if path == "rest":
            assert answer.status_code == 409, f"{where}: {answer.text}"
            assert answer.json()["code"] == "ID_TAKEN", where
        else:
            assert (answer["status"], answer["code"]) == ("rejected", "ID_TAKEN"), f"{where}: {answer}"
        assert world.fingerprint(besides=besides) == before, f"{where}: a refused id changed the database"
    else:
        if path == "rest":
            assert answer.status_code == 200, f"{where}: {answer.text}"
            assert answer.json()["mutation_id"] != owner_mutation, where  # never the owner's outcome
            trade = answer.json()["trade"]
            assert trade["child_id"] == world.members[intruder].user_id, where
        else:
            assert answer["status"] == "applied", f"{where}: {answer}"
    assert _state_of(world, "A1") == owner, f"{where}: the owner's books changed"
    with world.app.state.db.read() as session:
        row = session.get(MutationRow, owner_mutation)
        assert row is None or row.family_id == world.ours.family_id, where


def test_a_cached_portfolio_answers_every_cell_as_an_uncached_one(world: World) -> None:
    """The portfolio is kept 30 s (server.cache); with every child's entry warm, each caller still gets
    exactly its cell: the entry is looked up only after the caller's access to the child is checked."""
    [row] = [r for r in ROWS if r.route_key == "getPortfolio"]
    for who in ("A1", "A2", "B1", "B2"):  # each child's own read stores its entry
        child = world.members[who]
        assert (
            world.client.get(f"/api/game/portfolio/{child.user_id}", headers=child.headers).status_code == 200
        )
    for actor in (*ACTORS, *DERIVED_ACTORS):
        for scope in (*row.scopes, *DERIVED_SCOPES):
            status, _ = expected_status(row, actor, scope)
            target = world.target(row, actor, scope)
            response = world.client.get(row.path.format(**target), headers=world.headers[actor])
            assert response.status_code == status, (
                f"{actor} on {scope}: {response.status_code} {response.text}"
            )

"""The demo family: a parent and two children with enrolled devices, created once per data dir.

Credentials are random, kept in ``<data_dir>/demo-credentials.json`` (0600) so a second
``yongdon demo`` finds the same family and prints the same sign-in details.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from sync.records import Role

from .accounts import services
from .accounts.devices import bind_device
from .accounts.schemas import ChildIn, RegisterIn
from .auth.credentials import check_pin_policy
from .db import Database
from .db.models import User
from .ids import new_id
from .market.fx import refresh_fx
from .market.providers import FX_SYMBOL, build_chain
from .market.refresher import record_quotes
from .market.source import DEMO_PRICES
from .principal import Principal
from .settings import Settings

__all__ = ["DEMO_EMAIL", "DemoFamily", "seed_demo"]

DEMO_EMAIL = "demo@yongdon.local"
CHILDREN = (("지우", "classic", 2014), ("하늘", "beginner", 2017))


@dataclass
class DemoChild:
    name: str
    preset: str
    pin: str
    client_id: str
    user_id: str = ""


@dataclass
class DemoFamily:
    email: str
    password: str
    parent_id: str
    family_id: str
    children: list[DemoChild]


def _random_pin(birth_year: int) -> str:
    while True:
        pin = f"{secrets.randbelow(10**6):06d}"
        if check_pin_policy(pin, birth_year=birth_year) is None:
            return pin


def _load_or_make_credentials(path: Path) -> DemoFamily:
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        return DemoFamily(**{**data, "children": [DemoChild(**c) for c in data["children"]]})
    return DemoFamily(
        email=DEMO_EMAIL,
        password=secrets.token_urlsafe(9),
        parent_id="",
        family_id="",
        children=[
            DemoChild(name, preset, _random_pin(year), f"demo-{secrets.token_hex(6)}")
            for name, preset, year in CHILDREN
        ],
    )


def _save(path: Path, demo: DemoFamily) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(demo), handle, ensure_ascii=False, indent=2)


def seed_demo(db: Database, settings: Settings, now: datetime) -> DemoFamily:
    """Create the demo family if it is missing (idempotent); returns its sign-in details."""
    path = Path(settings.data_dir) / "demo-credentials.json"
    demo = _load_or_make_credentials(path)
    with db.read() as session:
        parent_id = session.scalar(select(User.id).where(User.email == DEMO_EMAIL))
    if parent_id is None:
        tokens = services.register(
            db,
            settings,
            RegisterIn(
                email=DEMO_EMAIL, password=demo.password, display_name="엄마", family_name="데모 가족"
            ),
            now,
        )
        demo.parent_id, demo.family_id = tokens["user_id"], tokens["family_id"]
        for child in demo.children:  # a fresh database: the children are created again
            child.user_id = ""
    elif parent_id != demo.parent_id:
        raise RuntimeError(f"{path} does not describe the demo family in this database: remove the data dir")
    parent = Principal(user_id=demo.parent_id, role=Role.PARENT, family_id=demo.family_id, client_id=None)
    years = {name: year for name, _, year in CHILDREN}
    for child in demo.children:
        if not child.user_id:
            body = ChildIn(
                display_name=child.name, birth_year=years[child.name], pin=child.pin, preset=child.preset
            )
            child.user_id = services.create_child(db, settings, parent, body, now).child_id
        with db.write(demo.family_id) as session:
            user = session.get(User, child.user_id)
            if user is not None:
                bind_device(session, user, child.client_id, f"{child.name}의 기기", now)
    _save(path, demo)
    # the embedded default: real history replayed (AAPL) and simulated Korean stocks, each labelled
    chain = build_chain(db, settings.data_dir, now)
    record_quotes(db, chain, [s for s in DEMO_PRICES if s != FX_SYMBOL], now)
    refresh_fx(db, now, chain)  # the bundled ECB rate (replay and sim never make one up)
    _first_orders(db, demo, now)
    return demo


FIRST_ORDERS = (("005930.KS", 3), ("AAPL", 2))
"""What 지우 (classic rules) buys when the demo family is new: whole shares at the prices shown."""


def _first_orders(db: Database, demo: DemoFamily, now: datetime) -> None:
    """The demo child's first orders, placed the way the app places them (the same handlers, at the
    newest quotes, on the real market calendars): filled if the market is open, else waiting for the
    next opening price. Only once: a family that already traded keeps its own history."""
    from .db.models import TradeRow
    from .game.online import run_online
    from .market.calendar import market_calendars
    from .market.quotes import latest_quotes

    child = demo.children[0]
    with db.read() as session:
        if session.scalar(select(TradeRow.trade_id).where(TradeRow.child_id == child.user_id).limit(1)):
            return
        quotes = latest_quotes(session, [symbol for symbol, _ in FIRST_ORDERS])
    principal = Principal(user_id=child.user_id, role=Role.CHILD, family_id=demo.family_id, client_id=None)
    for symbol, shares in FIRST_ORDERS:
        quote = quotes.get(symbol)
        if quote is None:
            continue
        args = {
            "trade_id": new_id(),
            "side": "buy",
            "symbol": symbol,
            "quantity": shares * 1_000_000,
            "quote_id": quote.quote_id,
            "price": quote.price,
        }
        run_online(
            db,
            principal,
            "trade.place/v1",
            args,
            idempotency_key=None,
            now=lambda: now,
            market_clock=market_calendars(),
        )

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
from .market.source import DEMO_PRICES, StaticQuoteSource, refresh_quotes
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
    refresh_quotes(db, StaticQuoteSource(DEMO_PRICES, name="demo"), DEMO_PRICES, now)
    return demo

"""The demo family's sign-in details, and the family itself made the way a family makes itself.

Credentials are random, kept in ``<data_dir>/demo-credentials.json`` (0600) so a second
``yongdon demo`` finds the same family and prints the same sign-in details. The file is written
last, once the family and its history are complete: a family in the database without it is a first
start that was interrupted.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

from sync.records import Role

from ..accounts import services
from ..accounts.pairing import create_link, redeem
from ..accounts.schemas import ChildIn, JoinIn, LinkIn, RegisterIn
from ..auth.credentials import check_pin_policy
from ..auth.sessions import STEP_UP_TTL
from ..db import Database
from ..gateway import Gateway, Runner
from ..market.clock import WeekdayMarketClock
from ..principal import Principal
from ..settings import Settings

__all__ = ["DEMO_EMAIL", "CREDENTIALS", "DemoChild", "DemoError", "DemoFamily", "create_family"]

DEMO_EMAIL = "demo@yongdon.local"
CREDENTIALS = "demo-credentials.json"
PARENT_NAME = "엄마"
CHILDREN = (("지우", "classic", 2014), ("하늘", "beginner", 2017))
"""(name, the rules preset the child starts on, birth year); the first is the child the app opens as."""


class DemoError(RuntimeError):
    """The demo cannot start on this data dir; the message says what to do."""


@dataclass
class DemoChild:
    name: str
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
    parent_client_id: str = ""

    def child(self, name: str) -> DemoChild:
        return next(c for c in self.children if c.name == name)

    def principal(self, name: str, now: datetime) -> Principal:
        """Who acts in the family's history: a child on its own device, or the parent who has just
        confirmed with the password (step-up), as the app asks before approvals and payouts."""
        if name == PARENT_NAME:
            return Principal(
                self.parent_id,
                Role.PARENT,
                self.family_id,
                self.parent_client_id or None,
                elevated_until=now + STEP_UP_TTL,
            )
        child = self.child(name)
        return Principal(child.user_id, Role.CHILD, self.family_id, child.client_id)

    @classmethod
    def load(cls, path: Path) -> DemoFamily | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(DemoChild)}  # an older demo also kept each child's first preset
        children = [DemoChild(**{k: v for k, v in c.items() if k in known}) for c in data["children"]]
        return cls(**{**data, "children": children})

    @classmethod
    def new(cls) -> DemoFamily:
        return cls(
            email=DEMO_EMAIL,
            password=secrets.token_urlsafe(9),
            parent_id="",
            family_id="",
            children=[
                DemoChild(name, _random_pin(year), f"demo-{secrets.token_hex(6)}")
                for name, _, year in CHILDREN
            ],
            parent_client_id=f"demo-{secrets.token_hex(6)}",
        )

    def save(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, ensure_ascii=False, indent=2)


def _random_pin(birth_year: int) -> str:
    while True:
        pin = f"{secrets.randbelow(10**6):06d}"
        if check_pin_policy(pin, birth_year=birth_year) is None:
            return pin


def create_family(db: Database, settings: Settings, demo: DemoFamily, now: datetime) -> None:
    """The parent registers, adds both children on their presets and enrols a device for each with
    a pairing code: the services behind ``/api/users/register``, ``/children``, ``/family/link`` and
    ``/join``. Fills in the ids."""
    gateway = Gateway(db, lambda: now, WeekdayMarketClock(), budget=False)  # its limiter is off
    tokens = services.register(
        gateway.accounts,
        settings,
        RegisterIn(
            email=demo.email,
            password=demo.password,
            display_name=PARENT_NAME,
            family_name="데모 가족",
            client_id=demo.parent_client_id or None,
            device_name=f"{PARENT_NAME}의 휴대폰",
        ),
    )
    demo.parent_id, demo.family_id = tokens["user_id"], tokens["family_id"]
    parent = Runner(gateway, demo.principal(PARENT_NAME, now))
    presets = {name: (preset, year) for name, preset, year in CHILDREN}
    for child in demo.children:
        preset, year = presets[child.name]
        body = ChildIn(display_name=child.name, birth_year=year, pin=child.pin, preset=preset)  # type: ignore[arg-type]
        child.user_id = services.create_child(parent, settings, body).child_id
        code = create_link(parent, LinkIn(kind="child_device", child_id=child.user_id)).code
        join = JoinIn(code=code, client_id=child.client_id, device_name=f"{child.name}의 태블릿")
        redeem(gateway.accounts, settings, join)

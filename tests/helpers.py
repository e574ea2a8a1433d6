"""Building families through the public API, for any test that needs signed-in members.

    fam = Family.create(client)                      # a parent, children "지우" and "하늘"
    client.get("/api/family", headers=fam.parent.headers)
    kid = fam.child("지우")                           # signed in on its enrolled device
    client.post("/api/game/trade/buy", json=..., headers=kid.headers)
    client.put(..., headers=fam.elevated(client))    # a parent token after step-up

Everything goes through HTTP, so a family built here is exactly what a real one looks like.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import TestClient

from tests.support.logs import plant

__all__ = ["PASSWORD", "Family", "Member", "bearer", "create_child", "enroll_device", "register_parent"]

PASSWORD = "correct horse battery staple"
_PINS = ["482915", "739164", "615283", "904172", "358026"]
_pins = itertools.cycle(_PINS)
plant(PASSWORD, *_PINS)  # the log canary: no log line of the session may carry them


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ok(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text)
    return response.json() if response.content else {}


@dataclass
class Member:
    """A signed-in user on one device: its ids, tokens and ready-made auth headers."""

    user_id: str
    client_id: str
    tokens: dict[str, Any]
    display_name: str = ""
    pin: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        plant(self.tokens.get("access_token"), self.tokens.get("refresh_token"), self.pin)

    @property
    def access(self) -> str:
        return str(self.tokens["access_token"])

    @property
    def refresh(self) -> str:
        return str(self.tokens["refresh_token"])

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


def register_parent(
    client: TestClient[Any], *, email: str | None = None, name: str = "엄마", family_name: str = "우리집"
) -> Member:
    email = email or f"parent-{uuid.uuid4().hex[:10]}@example.org"
    client_id = f"dev-{uuid.uuid4().hex}"
    body = {
        "email": email,
        "password": PASSWORD,
        "display_name": name,
        "family_name": family_name,
        "locale": "ko",
        "client_id": client_id,
    }
    tokens = _ok(client.post("/api/users/register", json=body), 201)
    return Member(tokens["user_id"], client_id, tokens, display_name=name, email=email)


def create_child(
    client: TestClient[Any],
    parent: Member,
    name: str,
    *,
    pin: str | None = None,
    preset: str = "classic",
    birth_year: int = 2015,
) -> tuple[str, str]:
    """Create a child; returns ``(child_id, pin)``."""
    pin = pin or next(_pins)
    body = {"display_name": name, "birth_year": birth_year, "pin": pin, "preset": preset}
    return _ok(client.post("/api/users/children", json=body, headers=parent.headers), 201)["child_id"], pin


def link_code(
    client: TestClient[Any], parent: Member, kind: str = "child_device", child_id: str | None = None
) -> str:
    body: dict[str, Any] = {"kind": kind} if child_id is None else {"kind": kind, "child_id": child_id}
    return str(_ok(client.post("/api/users/family/link", json=body, headers=parent.headers), 201)["code"])


def enroll_device(
    client: TestClient[Any], parent: Member, child_id: str, *, pin: str | None = None, name: str = ""
) -> Member:
    """Pair a new device for the child (link code + join); returns the child signed in on it."""
    client_id = f"dev-{uuid.uuid4().hex}"
    code = link_code(client, parent, "child_device", child_id)
    plant(code)
    tokens = _ok(
        client.post(
            "/api/users/family/join", json={"code": code, "client_id": client_id, "device_name": "tablet"}
        ),
        200,
    )
    return Member(child_id, client_id, tokens, display_name=name, pin=pin)


def step_up(client: TestClient[Any], parent: Member) -> dict[str, str]:
    """Headers with a parent token elevated for 5 minutes."""
    out = _ok(client.post("/api/auth/step-up", json={"password": PASSWORD}, headers=parent.headers), 200)
    return bearer(out["access_token"])


@dataclass
class Family:
    """A parent and its children, each child signed in on its own enrolled device."""

    parent: Member
    children: dict[str, Member] = field(default_factory=dict)
    presets: dict[str, str] = field(default_factory=dict)

    @property
    def family_id(self) -> str:
        return str(self.parent.tokens["family_id"])

    def child(self, name: str) -> Member:
        return self.children[name]

    def elevated(self, client: TestClient[Any]) -> dict[str, str]:
        return step_up(client, self.parent)

    @classmethod
    def create(
        cls,
        client: TestClient[Any],
        children: dict[str, str] | tuple[str, ...] = ("지우", "하늘"),
        *,
        email: str | None = None,
    ) -> Family:
        """Register a parent and add ``children`` (names, or name → preset; default preset classic)."""
        presets = children if isinstance(children, dict) else dict.fromkeys(children, "classic")
        family = cls(register_parent(client, email=email), presets=dict(presets))
        for name, preset in presets.items():
            child_id, pin = create_child(client, family.parent, name, preset=preset)
            family.children[name] = enroll_device(client, family.parent, child_id, pin=pin, name=name)
        return family

"""Wire shapes of the accounts API. Every input struct rejects unknown fields (mass assignment)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "AdminSetupIn",
    "ChildIn",
    "ChildOut",
    "JoinIn",
    "LinkIn",
    "LinkOut",
    "LoginIn",
    "LogoutIn",
    "PinIn",
    "PinLoginIn",
    "ProfileOut",
    "RefreshIn",
    "RegisterIn",
    "StepUpIn",
    "StepUpOut",
    "TokensOut",
]

Email = Annotated[str, Meta(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=254)]
Password = Annotated[str, Meta(min_length=1, max_length=256)]
Name = Annotated[str, Meta(min_length=1, max_length=60)]
ClientId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.:-]{8,64}$")]
DeviceName = Annotated[str, Meta(max_length=60)]
Pin = Annotated[str, Meta(pattern=r"^[0-9]{4,6}$")]
UserId = Annotated[str, Meta(min_length=1, max_length=40)]
Locale = Literal["ko", "en"]
Preset = Literal["beginner", "classic", "realistic"]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class RegisterIn(_In):
    email: Email
    password: Password
    display_name: Name
    family_name: Annotated[str, Meta(min_length=1, max_length=100)]
    locale: Locale = "ko"
    client_id: ClientId | None = None
    device_name: DeviceName = ""


class LoginIn(_In):
    email: Email
    password: Password
    client_id: ClientId
    device_name: DeviceName = ""


class PinLoginIn(_In):
    client_id: ClientId
    child_id: UserId
    pin: Pin


class ChildIn(_In):
    """A child has a nickname, a birth year and a PIN — and no e-mail, phone or location."""

    display_name: Name
    birth_year: Annotated[int, Meta(ge=1990, le=2100)]
    pin: Pin
    preset: Preset = "classic"
    avatar: Annotated[str, Meta(max_length=40)] | None = None


class ChildOut(msgspec.Struct, kw_only=True):
    child_id: str
    display_name: str
    birth_year: int
    preset: str


class PinIn(_In):
    pin: Pin


class LinkIn(_In):
    kind: Literal["child_device", "parent_invite"]
    child_id: UserId | None = None


class LinkOut(msgspec.Struct, kw_only=True):
    kind: str
    code: str
    expires_at: datetime
    child_id: str | None = None


class JoinIn(_In):
    """Redeem a code. A parent invite also carries the new parent's account."""

    code: Annotated[str, Meta(min_length=1, max_length=40)]
    client_id: ClientId
    device_name: DeviceName = ""
    email: Email | None = None
    password: Password | None = None
    display_name: Name | None = None
    locale: Locale = "ko"


class TokensOut(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_at: datetime
    user_id: str
    role: str
    family_id: str | None
    client_id: str | None


class RefreshIn(_In):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=200)]


class LogoutIn(_In):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=200)]


class StepUpIn(_In):
    password: Password


class StepUpOut(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: str
    expires_in: int
    elevated_until: datetime


class ProfileOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A member's profile. Fields only a parent (or the parent itself) may see are left out otherwise."""

    user_id: str
    role: str
    display_name: str
    family_id: str | None
    locale: str
    avatar: str | None = None
    birth_year: int | None = None
    # parent-only
    email: str | None = None
    pin_locked: bool | None = None
    pin_failures: int | None = None
    created_at: datetime | None = None


class AdminSetupIn(_In):
    token: Annotated[str, Meta(min_length=1, max_length=100)]
    email: Email
    password: Password
    display_name: Name
    client_id: ClientId | None = None

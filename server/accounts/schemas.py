"""Wire shapes of the accounts API. Every input struct rejects unknown fields (mass assignment), and
every constraint the server enforces on a field is stated here, so the OpenAPI document states it too.

Text never carries control characters (``server.wire``). Every name people give (a parent's, a
child's, a family's, a device's) must also pass ``sync.names``: 422 ``INVALID_ARGS`` saying which field
and why. What a schema cannot state is checked by the services: a password on the offline blocklist or
equal to the e-mail, and a PIN equal to the birth year.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from sync.errors import Code as ErrorCode
from sync.names import name_problem

from ..auth.credentials import MAX_PASSWORD, MIN_PASSWORD, PIN_PATTERN
from ..errors import DomainError
from ..wire import CONTROL, ID_PATTERN, NO_CONTROL

__all__ = [
    "AdminSetupIn",
    "ChildDeviceLinkIn",
    "ChildIn",
    "ChildOut",
    "JoinIn",
    "LinkIn",
    "LinkOut",
    "ParentInviteLinkIn",
    "LoginIn",
    "LogoutIn",
    "OidcFlowIn",
    "OidcFlowOut",
    "OidcPollIn",
    "OidcProvidersOut",
    "PinIn",
    "PinLoginIn",
    "ProfileOut",
    "RefreshIn",
    "RegisterIn",
    "StepUpIn",
    "StepUpOut",
    "TokensOut",
]

_ADDRESS = rf"[^@ {CONTROL}]"  # no space, no control character (not \s: see server.wire)
Email = Annotated[str, Meta(pattern=rf"^{_ADDRESS}{{1,64}}@{_ADDRESS}+\.{_ADDRESS}+$", max_length=254)]
# signing in takes any password a parent may have; a new one must meet the length policy
Password = Annotated[str, Meta(pattern=NO_CONTROL, min_length=1, max_length=MAX_PASSWORD)]
NewPassword = Annotated[str, Meta(pattern=NO_CONTROL, min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
Name = Annotated[str, Meta(pattern=NO_CONTROL, min_length=1, max_length=60)]
FamilyName = Annotated[str, Meta(pattern=NO_CONTROL, min_length=1, max_length=100)]
ClientId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.:-]{8,64}$")]
DeviceName = Annotated[str, Meta(pattern=NO_CONTROL, max_length=60)]
Pin = Annotated[str, Meta(pattern=r"^[0-9]{4,6}$")]
NewPin = Annotated[str, Meta(pattern=PIN_PATTERN)]  # no repeat, run or common PIN
UserId = Annotated[str, Meta(pattern=ID_PATTERN)]
Code = Annotated[str, Meta(pattern=NO_CONTROL, min_length=1, max_length=40)]
OpaqueToken = Annotated[str, Meta(pattern=NO_CONTROL, min_length=1, max_length=200)]
Locale = Literal["ko", "en"]
Preset = Literal["beginner", "classic", "realistic"]
Role = Literal["parent", "child", "admin"]


_NAME_FIELDS = ("display_name", "family_name", "device_name")


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    def __post_init__(self) -> None:
        for field in _NAME_FIELDS:
            name = getattr(self, field, None)
            # an empty device name means "unnamed"; required names have min_length=1
            if name and (reason := name_problem(name)):
                raise DomainError(ErrorCode.INVALID_ARGS, f"{field}: {reason}")


class RegisterIn(_In):
    email: Email
    password: NewPassword
    display_name: Name
    family_name: FamilyName
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
    pin: NewPin
    preset: Preset = "classic"
    avatar: Annotated[str, Meta(pattern=NO_CONTROL, max_length=40)] | None = None


class ChildOut(msgspec.Struct, kw_only=True):
    child_id: str
    display_name: str
    birth_year: int
    preset: Preset


class PinIn(_In):
    pin: NewPin


class ChildDeviceLinkIn(_In, tag_field="kind", tag="child_device"):
    """A code that enrols a device for this child."""

    child_id: UserId


class ParentInviteLinkIn(_In, tag_field="kind", tag="parent_invite"):
    """A code that lets a second parent join the family."""


class LinkIn(_In):
    """What the pairing service reads, whichever of the two wire shapes came in."""

    kind: Literal["child_device", "parent_invite"]
    child_id: UserId | None = None

    @classmethod
    def of(cls, body: ChildDeviceLinkIn | ParentInviteLinkIn) -> LinkIn:
        if isinstance(body, ChildDeviceLinkIn):
            return cls(kind="child_device", child_id=body.child_id)
        return cls(kind="parent_invite")


class LinkOut(msgspec.Struct, kw_only=True):
    kind: Literal["child_device", "parent_invite"]
    code: str
    expires_at: datetime
    child_id: str | None = None


class JoinIn(_In):
    """Redeem a code. A parent invite also carries the new parent's account."""

    code: Code
    client_id: ClientId
    device_name: DeviceName = ""
    email: Email | None = None
    password: NewPassword | None = None
    display_name: Name | None = None
    locale: Locale = "ko"


class TokensOut(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_expires_at: datetime
    user_id: str
    role: Role
    family_id: str | None
    client_id: str | None


class RefreshIn(_In):
    refresh_token: OpaqueToken


class LogoutIn(_In):
    refresh_token: OpaqueToken


class StepUpIn(_In):
    password: Password


class StepUpOut(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    elevated_until: datetime


class ProfileOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A member's profile. Fields only a parent (or the parent itself) may see are left out otherwise."""

    user_id: str
    role: Role
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
    token: Annotated[str, Meta(pattern=NO_CONTROL, min_length=1, max_length=100)]
    email: Email
    password: NewPassword
    display_name: Name
    client_id: ClientId | None = None


ProviderName = Annotated[str, Meta(pattern=r"^[a-z0-9]{1,20}$")]


class OidcProvidersOut(msgspec.Struct, kw_only=True):
    """The OpenID Connect providers this server's operator registered (none on a family server)."""

    providers: list[str]


class OidcFlowIn(_In):
    """A parent's app starts a sign-in through a provider for this device."""

    provider: ProviderName
    client_id: ClientId
    device_name: DeviceName = ""


class OidcFlowOut(msgspec.Struct, kw_only=True):
    flow_id: str
    url: str  # the app opens it in the system browser
    poll_secret: str  # the app's alone: it exchanges the flow for the session's tokens
    expires_in: int
    interval: int  # seconds between two polls


class OidcPollIn(_In):
    poll_secret: OpaqueToken

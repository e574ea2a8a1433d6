"""HTTP routes for accounts, sessions and the operator's first sign-up. Thin: parse, call, return.

Every change passes the gateway's account door (``server.gateway.accounts``): a parent's through
the caller's ``runner``, a sign-in's through ``gateway.accounts``. A route whose change names no
object asks the gateway's table for the caller's role in its guard (``route_guard``), before the
body is read: a child posting anything to ``/children`` is 403, not 422, and the role is written
in the table alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from sync.records import Role

from ..auth.guards import family_member, requires_role
from ..auth.tokens import AccessClaims
from ..db import Database
from ..gateway import Gateway, Runner, route_guard
from ..gateway.rest import RUNNER
from ..principal import Principal
from ..problems import documented
from ..settings import Settings
from ..wire import ID_PATTERN
from . import pairing, services, setup
from .schemas import (
    AdminSetupIn,
    ChildDeviceLinkIn,
    ChildIn,
    ChildOut,
    JoinIn,
    LinkIn,
    LinkOut,
    LoginIn,
    LogoutIn,
    ParentInviteLinkIn,
    PinIn,
    PinLoginIn,
    ProfileOut,
    RefreshIn,
    RegisterIn,
    StepUpIn,
    StepUpOut,
    TokensOut,
)

__all__ = ["ROUTES"]

Clock = Callable[[], datetime]
_PUBLIC: dict[str, Any] = {"exclude_from_auth": True, "security": [{}], "sync_to_thread": True}
UserPath = Annotated[str, PathParameter(pattern=ID_PATTERN)]


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class UsersController(Controller):
    path = "/api/users"
    tags = ["accounts"]
    dependencies = RUNNER

    @post(
        "/register", operation_id="register", responses=documented(409, 422, 429), status_code=201, **_PUBLIC
    )
    def register(
        self,
        data: JSONBody[RegisterIn],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        """A parent registers and creates the family; answers the session's tokens."""
        return TokensOut(**services.register(gateway.accounts, settings, data))

    @post(
        "/login", operation_id="login", responses=documented(401, 409, 422, 429), status_code=200, **_PUBLIC
    )
    def login(
        self,
        data: JSONBody[LoginIn],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        """Password sign-in on a device (``client_id``)."""
        return TokensOut(**services.login(gateway.accounts, settings, data))

    @post(
        "/login/pin",
        operation_id="loginPin",
        responses=documented(401, 403, 409, 422, 429),
        status_code=200,
        **_PUBLIC,
    )
    def login_pin(
        self,
        data: JSONBody[PinLoginIn],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        """A child's PIN sign-in on a device enrolled for it."""
        return TokensOut(**services.pin_login(gateway.accounts, settings, data))

    @post(
        "/children",
        operation_id="createChild",
        responses=documented(401, 403, 404, 422, 429),
        status_code=201,
        # who may add a child: the gateway's row, asked before the body is read (the ADMIN: 404)
        guards=[route_guard("child.add")],
        sync_to_thread=True,
    )
    def create_child(
        self, data: JSONBody[ChildIn], runner: NamedDependency[Runner], settings: NamedDependency[Settings]
    ) -> ChildOut:
        """Add a child to the family and open its game account."""
        return services.create_child(runner, settings, data)

    @post(
        "/children/{child_id:str}/pin",
        operation_id="resetChildPin",
        responses=documented(401, 403, 404, 422, 429),
        status_code=204,
        guards=[family_member],  # role and step-up after the child lookup: another family's is 404
        sync_to_thread=True,
    )
    def reset_pin(
        self,
        child_id: UserPath,
        data: JSONBody[PinIn],
        runner: NamedDependency[Runner],
        settings: NamedDependency[Settings],
    ) -> None:
        """Set a child's PIN and lift a lockout (a parent with step-up)."""
        services.reset_pin(runner, settings, child_id, data.pin)

    @post(
        "/family/link",
        operation_id="createLinkCode",
        responses=documented(401, 403, 404, 422, 429),
        status_code=201,
        guards=[family_member],  # the role after the child lookup: another family's child is 404
        sync_to_thread=True,
    )
    def link(
        self, data: JSONBody[ChildDeviceLinkIn | ParentInviteLinkIn], runner: NamedDependency[Runner]
    ) -> LinkOut:
        """A single-use, 24-hour code to enrol a child's device or invite a second parent."""
        return pairing.create_link(runner, LinkIn.of(data))

    @post(
        "/family/join",
        operation_id="joinFamily",
        responses=documented(404, 409, 422, 429),
        status_code=200,
        **_PUBLIC,
    )
    def join(
        self,
        data: JSONBody[JoinIn],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        """Redeem a code on this device; answers tokens bound to it."""
        return TokensOut(**pairing.redeem(gateway.accounts, settings, data))

    @get(
        "/{user_id:str}/profile",
        operation_id="getProfile",
        responses=documented(401, 404, 429),
        guards=[family_member],
        sync_to_thread=True,
    )
    def profile(
        self,
        request: Request[Principal, AccessClaims, Any],
        user_id: UserPath,
        db: NamedDependency[Database],
    ) -> ProfileOut:
        """A member's profile (self, or a parent of the family)."""
        return services.profile(db, request.user, user_id)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]
    dependencies = RUNNER

    @post(
        "/refresh",
        operation_id="refreshTokens",
        responses=documented(401, 422, 429),
        status_code=200,
        **_PUBLIC,
    )
    def refresh(
        self,
        data: JSONBody[RefreshIn],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        """Exchange a refresh token for a new pair; a reused token ends the whole session."""
        return TokensOut(**services.refresh(gateway.accounts, settings, data.refresh_token))

    @post("/logout", operation_id="logout", responses=documented(422, 429), status_code=204, **_PUBLIC)
    def logout(self, data: JSONBody[LogoutIn], gateway: NamedDependency[Gateway]) -> None:
        """End the session the refresh token belongs to (its access tokens stop too)."""
        services.logout(gateway.accounts, data.refresh_token)

    @post(
        "/step-up",
        operation_id="stepUp",
        responses=documented(401, 403, 422, 429),
        status_code=200,
        guards=[requires_role(Role.PARENT)],
        sync_to_thread=True,
    )
    def step_up(
        self,
        request: Request[Principal, AccessClaims, Any],
        data: JSONBody[StepUpIn],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> StepUpOut:
        """Re-enter the password: an access token elevated for 5 minutes."""
        return StepUpOut(**services.step_up(gateway.accounts, settings, request.auth, data.password))


class AdminSetupController(Controller):
    path = "/api/admin"
    tags = ["operations"]
    dependencies = RUNNER

    @post(
        "/setup",
        operation_id="adminSetup",
        responses=documented(403, 409, 422, 429),
        status_code=201,
        **_PUBLIC,
    )
    def setup(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[AdminSetupIn],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        """Create the operator account with the one-time setup token."""
        return TokensOut(**setup.create_admin(gateway.accounts, settings, data, _address(request)))


ROUTES = [UsersController, AuthController, AdminSetupController]

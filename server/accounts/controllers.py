"""HTTP routes for accounts, sessions and the operator's first sign-up. Thin: parse, call, return."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from sync.records import Role

from ..auth.guards import family_member, requires_role
from ..auth.sessions import end_session, rotate
from ..auth.tokens import AccessClaims
from ..db import Database
from ..errors import ProblemError
from ..principal import Principal
from ..problems import documented
from ..ratelimit import RateLimiter
from ..settings import Settings
from . import pairing, services, setup
from .schemas import (
    AdminSetupIn,
    ChildIn,
    ChildOut,
    JoinIn,
    LinkIn,
    LinkOut,
    LoginIn,
    LogoutIn,
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
_PARENT = [family_member, requires_role(Role.PARENT)]  # the ADMIN gets 404, like all family data


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class UsersController(Controller):
    path = "/api/users"
    tags = ["accounts"]

    @post(
        "/register", operation_id="register", responses=documented(409, 422, 429), status_code=201, **_PUBLIC
    )
    def register(
        self,
        data: JSONBody[RegisterIn],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> TokensOut:
        """A parent registers and creates the family; answers the session's tokens."""
        return TokensOut(**services.register(db, settings, data, clock()))

    @post(
        "/login", operation_id="login", responses=documented(401, 409, 422, 429), status_code=200, **_PUBLIC
    )
    def login(
        self,
        data: JSONBody[LoginIn],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        clock: NamedDependency[Clock],
    ) -> TokensOut:
        """Password sign-in on a device (``client_id``)."""
        return TokensOut(**services.login(db, settings, limiter, data, clock()))

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
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        clock: NamedDependency[Clock],
    ) -> TokensOut:
        """A child's PIN sign-in on a device enrolled for it."""
        return TokensOut(**services.pin_login(db, settings, limiter, data, clock()))

    @post(
        "/children",
        operation_id="createChild",
        responses=documented(401, 403, 404, 422, 429),
        status_code=201,
        guards=_PARENT,
        sync_to_thread=True,
    )
    def create_child(
        self,
        request: Request[Principal, AccessClaims, Any],
        data: JSONBody[ChildIn],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> ChildOut:
        """Add a child to the family and open its game account."""
        return services.create_child(db, settings, request.user, data, clock())

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
        request: Request[Principal, AccessClaims, Any],
        child_id: FromPath[str],
        data: JSONBody[PinIn],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> None:
        """Set a child's PIN and lift a lockout (a parent with step-up)."""
        services.reset_pin(db, settings, request.user, child_id, data.pin, clock())

    @post(
        "/family/link",
        operation_id="createLinkCode",
        responses=documented(401, 403, 404, 422, 429),
        status_code=201,
        guards=[family_member],  # the role after the child lookup: another family's child is 404
        sync_to_thread=True,
    )
    def link(
        self,
        request: Request[Principal, AccessClaims, Any],
        data: JSONBody[LinkIn],
        db: NamedDependency[Database],
        clock: NamedDependency[Clock],
    ) -> LinkOut:
        """A single-use, 24-hour code to enrol a child's device or invite a second parent."""
        return pairing.create_link(db, request.user, data, clock())

    @post(
        "/family/join",
        operation_id="joinFamily",
        responses=documented(404, 409, 422, 429),
        status_code=200,
        **_PUBLIC,
    )
    def join(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[JoinIn],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        clock: NamedDependency[Clock],
    ) -> TokensOut:
        """Redeem a code on this device; answers tokens bound to it."""
        return TokensOut(**pairing.redeem(db, settings, limiter, data, clock(), _address(request)))

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
        user_id: FromPath[str],
        db: NamedDependency[Database],
    ) -> ProfileOut:
        """A member's profile (self, or a parent of the family)."""
        return services.profile(db, request.user, user_id)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]

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
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> TokensOut:
        """Exchange a refresh token for a new pair; a reused token ends the whole session."""
        with db.write() as session:
            outcome = rotate(session, data.refresh_token, clock(), settings)
        if isinstance(outcome, ProblemError):
            raise outcome
        return TokensOut(**outcome)

    @post("/logout", operation_id="logout", responses=documented(422, 429), status_code=204, **_PUBLIC)
    def logout(
        self, data: JSONBody[LogoutIn], db: NamedDependency[Database], clock: NamedDependency[Clock]
    ) -> None:
        """End the session the refresh token belongs to (its access tokens stop too)."""
        with db.write() as session:
            end_session(session, data.refresh_token, clock())

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
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        clock: NamedDependency[Clock],
    ) -> StepUpOut:
        """Re-enter the password: an access token elevated for 5 minutes."""
        return StepUpOut(**services.step_up(db, settings, limiter, request.auth, data.password, clock()))


class AdminSetupController(Controller):
    path = "/api/admin"
    tags = ["operations"]

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
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        clock: NamedDependency[Clock],
    ) -> TokensOut:
        """Create the operator account with the one-time setup token."""
        return TokensOut(**setup.create_admin(db, settings, limiter, data, clock(), _address(request)))


ROUTES = [UsersController, AuthController, AdminSetupController]

"""The console's web plumbing: the operator's session cookie, CSRF, the sign-in guard, the locale.

The session is server-side (the cookie holds only an id): HttpOnly, SameSite=Strict, Secure when
the server's public URL is https, scoped to ``/admin``, 8 hours. Its id is replaced at sign-in, so an
id planted before the operator signed in is worth nothing after. Every form carries Litestar's
CSRF token (a signed double-submit cookie); HTMX sends it as a header from ``<body hx-headers>``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig

from sync.records import Role

from ..db import Database
from ..db.models import User
from ..settings import Settings
from .texts import LOCALES

__all__ = ["SESSION_STORE", "admin_middleware", "locale_of", "operator_guard", "operator_of"]

SESSION_STORE = "admin_sessions"  # the app's store of that name: memory, or Redis for several processes
SESSION_HOURS = 8
LANG_COOKIE = "yongdon_admin_lang"


class _RotatingBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        session = connection.scope.get("session")
        if isinstance(session, dict) and session.pop("_rotate", False):
            return self.generate_session_id()  # signed in just now: a new id, never the one we were given
        return super().get_session_id(connection)


@dataclass
class _RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = _RotatingBackend


def admin_middleware(settings: Settings) -> list[DefineMiddleware]:
    secure = settings.public_url.startswith("https://")
    # derived, not the JWT secret itself: a CSRF token never helps forge an access token
    secret = hmac.new(settings.jwt_secret.encode(), b"yongdon-admin-csrf", hashlib.sha256).hexdigest()[:32]
    session = _RotatingSessionConfig(
        key="yongdon_admin",
        path="/admin",
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=secure,
        samesite="strict",
        store=SESSION_STORE,
    )
    csrf = CSRFConfig(
        secret=secret,
        cookie_name="yongdon_admin_csrf",
        cookie_path="/admin",
        cookie_httponly=True,
        cookie_secure=secure,
        cookie_samesite="strict",
        header_name="x-csrftoken",
    )
    return [session.middleware, DefineMiddleware(CSRFMiddleware, config=csrf)]


def _is_operator(db: Database, user_id: str) -> bool:
    with db.read() as session:
        user = session.get(User, user_id)
        return user is not None and user.role == Role.ADMIN.value


async def operator_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A signed-in operator whose ADMIN account still exists (else: to the sign-in page)."""
    user_id = connection.session.get("operator") if connection.scope.get("session") else None
    if not user_id or not await anyio.to_thread.run_sync(_is_operator, connection.app.state.db, user_id):
        raise NotAuthorizedException("sign in as the operator")


def operator_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return str(connection.session["operator"])


def locale_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """``?lang=`` (remembered in a cookie), else the cookie, else the browser's language; Korean first."""
    asked = connection.query_params.get("lang") or connection.cookies.get(LANG_COOKIE)
    if asked in LOCALES:
        return str(asked)
    accept = connection.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "ko"

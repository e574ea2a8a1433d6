"""``/admin``: the operator's console, server-rendered (Jinja) with HTMX for in-place actions.

Each handler reads one service and renders one template; every change is written to the audit log.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader, Cookie, State
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import Body, FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Template
from sqlalchemy import select

from sync.records import Role

from ..auth.credentials import verify_password
from ..db.models import User
from ..db.sealed import email_lookup
from ..errors import DomainError
from ..settings import Settings
from . import audit, services
from .backups import BackupError, find_backup, list_backups, make_backup
from .texts import texts
from .web import LANG_COOKIE, admin_middleware, locale_of, operator_guard, operator_of

__all__ = ["admin_router"]

STATIC_DIR = Path(__file__).with_name("static")
TEMPLATES_DIR = Path(__file__).with_name("templates")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _page(request: Request[Any, Any, Any], name: str, page: str, **context: Any) -> Template:
    locale = locale_of(request)
    flash = request.session.pop("flash", None) if request.scope.get("session") else None
    template = Template(
        template_name=name,
        context={"t": texts(locale), "lang": locale, "page": page, "flash": flash, **context},
    )
    if request.query_params.get("lang") == locale:
        template.cookies.append(
            Cookie(key=LANG_COOKIE, value=locale, path="/admin", samesite="strict", httponly=True)
        )
    return template


def _now(state: State) -> Any:
    return state.clock()


def _to_sign_in(request: Request[Any, Any, Any], _: NotAuthorizedException) -> Response[Any]:
    return Redirect("/admin/login", status_code=303)


class SignIn(Controller):
    path = "/admin"

    @get("/login", sync_to_thread=False)
    def form(self, request: Request[Any, Any, Any]) -> Template:
        return _page(request, "login.html", "login", error=None)

    @post("/login", sync_to_thread=True, status_code=200)
    def sign_in(self, request: Request[Any, Any, Any], state: State, data: Form) -> Response[Any] | Template:
        email, password = data.get("email", "").strip().lower(), data.get("password", "")
        address = request.client.host if request.client else "unknown"
        try:  # failures only use the budget, per address and per account, as the app's sign-in does
            attempt = state.limiter.attempt(("password", f"admin:{address}"), ("password", f"admin:{email}"))
        except DomainError:
            return _page(request, "login.html", "login", error="signin.limited")
        with state.db.read() as session:
            found = session.execute(
                select(User.id, User.password_hash).where(
                    User.email_hash.in_(email_lookup(session, email)), User.role == Role.ADMIN.value
                )
            ).first()
        user_id, stored = (found.id, found.password_hash) if found else (None, None)
        if not verify_password(stored, password) or user_id is None:  # one Argon2 verify either way
            audit.record(state.db, "unknown", "sign-in", _now(state), outcome="refused")
            return _page(request, "login.html", "login", error="signin.failed")
        state.limiter.forgive(attempt)
        request.set_session({"operator": user_id, "_rotate": True})
        audit.record(state.db, user_id, "sign-in", _now(state))
        return Redirect("/admin", status_code=303)


_STATIC_TYPES = {"htmx.min.js": "text/javascript", "admin.css": "text/css"}


@get("/admin/static/{name:str}", sync_to_thread=False, cache_control=CacheControlHeader(max_age=3600))
def static(name: FromPath[str]) -> File:
    """The console's two assets, served from the package (no CDN: the console works offline)."""
    if name not in _STATIC_TYPES:
        raise NotFoundException("no such file")
    return File(path=STATIC_DIR / name, media_type=_STATIC_TYPES[name], content_disposition_type="inline")


class Console(Controller):
    path = "/admin"
    guards = [operator_guard]

    @post("/logout", sync_to_thread=True)
    def sign_out(self, request: Request[Any, Any, Any], state: State) -> Redirect:
        audit.record(state.db, operator_of(request), "sign-out", _now(state))
        request.clear_session()
        return Redirect("/admin/login", status_code=303)

    @get("/", sync_to_thread=True)
    def overview(self, request: Request[Any, Any, Any], state: State) -> Template:
        view = services.server_overview(state.db, state.settings, state.migration_heads)
        return _page(request, "overview.html", "overview", server=view)

    @get("/market", sync_to_thread=True)
    def market(self, request: Request[Any, Any, Any], state: State) -> Template:
        view = services.market_view(state.db, state.settings, _now(state))
        return _page(request, "market.html", "market", market=view)

    @post("/market", sync_to_thread=True)
    def switch_market(self, request: Request[Any, Any, Any], state: State, data: Form) -> Redirect | Template:
        try:
            start = date.fromisoformat(data["start"]) if data.get("start") else None
            speed = float(data["speed"]) if data.get("speed") else None
            target = services.set_market(state.db, _now(state), data.get("mode", ""), start, speed)
        except ValueError as error:
            audit.record(state.db, operator_of(request), "market", _now(state), outcome="refused")
            request.session["flash"] = {"error": str(error)}
            return Redirect("/admin/market", status_code=303)
        audit.record(state.db, operator_of(request), "market", _now(state), target=target)
        request.session["flash"] = {"ok": "market.saved"}
        return Redirect("/admin/market", status_code=303)

    @get("/outbox", sync_to_thread=True)
    def outbox(self, request: Request[Any, Any, Any], state: State) -> Template:
        return _page(request, "outbox.html", "outbox", outbox=services.outbox_view(state.db), requeued=None)

    @post("/outbox/requeue", sync_to_thread=True, status_code=200)
    def requeue(self, request: HTMXRequest, state: State) -> Template:
        from ..notify.dispatcher import requeue_dead

        count = requeue_dead(state.db)
        audit.record(state.db, operator_of(request), "requeue-dead", _now(state), target=str(count))
        name = "_outbox.html" if request.htmx else "outbox.html"
        return _page(request, name, "outbox", outbox=services.outbox_view(state.db), requeued=count)

    @get("/backups", sync_to_thread=True)
    def backups(self, request: Request[Any, Any, Any], state: State) -> Template:
        return _page(request, "backups.html", "backups", backups=list_backups(state.settings))

    @post("/backups", sync_to_thread=True)
    def make(self, request: Request[Any, Any, Any], state: State) -> Redirect:
        try:
            made = make_backup(state.settings, _now(state))
        except BackupError as error:
            audit.record(state.db, operator_of(request), "backup", _now(state), outcome="failed")
            request.session["flash"] = {"error": str(error)}
        else:
            audit.record(state.db, operator_of(request), "backup", _now(state), target=made.name)
            request.session["flash"] = {"ok": "backups.made", "detail": made.name}
        return Redirect("/admin/backups", status_code=303)

    @get("/backups/{name:str}", sync_to_thread=True)
    def download(self, request: Request[Any, Any, Any], state: State, name: FromPath[str]) -> File:
        found = find_backup(state.settings, name)
        if found is None:
            raise NotFoundException("no such backup")
        audit.record(state.db, operator_of(request), "download-backup", _now(state), target=found.name)
        return File(path=found.path, filename=found.name, content_disposition_type="attachment")

    @get("/families", sync_to_thread=True)
    def families(self, request: Request[Any, Any, Any], state: State) -> Template:
        view = services.families_overview(state.db)
        return _page(request, "families.html", "families", families=view, searched=False, found=None)

    @post("/families/find", sync_to_thread=True, status_code=200)
    def find_family(self, request: Request[Any, Any, Any], state: State, data: Form) -> Template:
        """By POST: the e-mail (the family's data) stays out of URLs, histories and proxy logs."""
        found = services.family_of_email(state.db, data.get("email", ""))
        audit.record(
            state.db, operator_of(request), "find-family", _now(state), target=found["id"] if found else ""
        )
        view = services.families_overview(state.db)
        return _page(request, "families.html", "families", families=view, searched=True, found=found)

    @post("/families/{family_id:str}/{action:str}", sync_to_thread=True, status_code=200)
    def disable(
        self, request: HTMXRequest, state: State, family_id: FromPath[str], action: FromPath[str]
    ) -> Template | Redirect:
        if action not in ("disable", "enable"):
            raise NotFoundException("no such action")
        try:
            services.set_disabled(state.db, family_id, action == "disable", _now(state))
        except services.FamilyNotFound as error:
            raise NotFoundException("no such family") from error
        audit.record(state.db, operator_of(request), f"{action}-family", _now(state), target=family_id)
        if not request.htmx:
            return Redirect("/admin/families", status_code=303)
        return _page(request, "_family_row.html", "families", row=services.family_row(state.db, family_id))

    @get("/audit", sync_to_thread=True)
    def audit_log(self, request: Request[Any, Any, Any], state: State) -> Template:
        return _page(request, "audit.html", "audit", entries=audit.recent(state.db))


def admin_router(settings: Settings) -> Router:
    return Router(
        path="/",
        route_handlers=[SignIn, Console, static],
        middleware=admin_middleware(settings),
        request_class=HTMXRequest,
        exception_handlers={NotAuthorizedException: _to_sign_in},
        include_in_schema=False,
    )

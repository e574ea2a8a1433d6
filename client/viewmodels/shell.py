"""The app shell's state: which route group is allowed, enrolment and unlock, the parent-mode
switch (step-up password, locks again after 5 minutes idle), and where a session that ended on its
own leads (a child's PIN, a parent's password).

The server enforces every permission; the mode only decides what is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .base import Observable, Tools
from .errors import code_of, explain

__all__ = ["PARENT_IDLE", "ShellVM"]

PARENT_IDLE = timedelta(minutes=5)


class _NotOurs(Exception):
    """The server at the address the parent typed keeps another family."""

    code = "SERVER_NOT_OURS"


def _moved(typed: str, current: str) -> str:
    """The server address a parent typed, when it differs from the one in use (else "")."""
    url = typed.strip().rstrip("/")
    return url if url.startswith(("http://", "https://")) and url != current else ""


class ShellVM(Observable):
    def __init__(
        self, runtime: Any, tools: Tools, *, device_name: str = "Yongdon", default_server_url: str = ""
    ) -> None:
        super().__init__()
        self.runtime, self.tools, self.device_name = runtime, tools, device_name
        self.default_server_url = default_server_url
        self.parent_mode = False
        self.last_activity: datetime | None = None
        self.busy = False
        self.error: str | None = None
        self.notice: str | None = None  # why the unlock screen or the mode switch is showing
        self.ended: Any = None  # the identity whose session ended: the unlock screen offers it first
        self.unreachable = False  # the last sign-in found no server: offer a new server address
        self.providers: list[str] = []  # the server's sign-in providers ("Continue with Kakao")
        self.browser_url: str | None = None  # a provider's sign-in waiting in the system browser
        self._stop_waiting = False

    # -- where the app may be -------------------------------------------------------------
    @property
    def profile(self) -> Any:
        return self.runtime.active

    def identities(self) -> list[Any]:
        """Who is enrolled on this installation (the runtime opens each one's database to answer:
        a screen asks once when it is built, not on every render)."""
        return list(self.runtime.identities())

    def server_url(self) -> str:
        """The server address to offer: the open profile's, else the configured default."""
        profile = self.profile
        return str(profile.identity.server_url) if profile is not None else self.default_server_url

    def home_route(self) -> str:
        if self.profile is None:
            return "/unlock" if self.runtime.identities() else "/enroll"
        if self.profile.identity.role == "parent" or self.parent_mode:
            return "/parent"
        return "/child"

    def allowed(self, route: str) -> str:
        """``route`` if it may be shown now, else where to go instead."""
        group = route.strip("/").split("/")[0]
        if self.profile is None:
            return route if group in ("enroll", "unlock") else self.home_route()
        if group in ("enroll", "unlock"):
            return route if group == "enroll" else self.home_route()
        if group == "parent":
            if self.profile.identity.role == "parent":
                return route
            return route if self.parent_mode else "/mode/parent"
        if group in ("mode", "settings"):
            return route
        if group == "child" and self.profile.identity.role == "child":
            return route
        return self.home_route()

    # -- enrolment and unlock -------------------------------------------------------------
    async def _run(
        self, work: Callable[[], Any], *, failed: Callable[[BaseException], str] | None = None
    ) -> bool:
        self.busy, self.error = True, None
        self.changed()
        try:
            await work()
        except Exception as exc:  # ApiError and friends: a stable code, explained
            self.error = failed(exc) if failed else explain(self.tools.tr, code_of(exc))
            self.unreachable = code_of(exc) == "OFFLINE"
            return False
        finally:
            self.busy = False
            self.changed()
        return True

    async def enroll_child(
        self, server_url: str, code: str, email: str = "", password: str = "", name: str = ""
    ) -> bool:
        """Redeem a pairing code. A child's code makes this her device, which then opens with her
        PIN (the unlock screen, with her first); a parent invite creates the new parent's account
        from ``email``, ``password`` and ``name`` and opens the family at once."""
        url, code = server_url.strip().rstrip("/"), code.strip()
        if not url.startswith(("http://", "https://")) or not code:
            self.error = explain(self.tools.tr, "INVALID_ARGS")
            self.changed()
            return False
        account = {"email": email.strip(), "password": password, "display_name": name.strip()}

        async def join() -> None:
            identity = await self.runtime.join(
                url, code, self.device_name, **{k: v for k, v in account.items() if v}
            )
            if identity.role != "child":
                self.touch()
                return
            # enrolled, and locked: her PIN opens the device from the first time on (security.md)
            self.ended = identity
            self.notice = self.tools.tr("enroll.now_pin", name=identity.display_name)

        return await self._run(join, failed=self._join_failed)

    def _join_failed(self, exc: BaseException) -> str:
        """A parent invite redeemed without the new account: say which fields it needs."""
        if code_of(exc) == "CONFLICT" and (getattr(exc, "detail", None) or {}).get("parent_invite"):
            return self.tools.tr("enroll.invite_needs_account")
        return explain(self.tools.tr, code_of(exc))

    async def sign_in_parent(self, server_url: str, email: str, password: str) -> bool:
        url = server_url.strip().rstrip("/")
        ok = await self._run(
            lambda: self.runtime.sign_in_parent(url, email.strip(), password, self.device_name)
        )
        if ok:
            self.touch()
        return ok

    async def load_providers(self, server_url: str) -> None:
        """Ask the server at ``server_url`` which providers a parent may sign in with (a button each)."""
        url = server_url.strip().rstrip("/")
        found = await self.runtime.sign_in_providers(url) if url.startswith(("http://", "https://")) else []
        if found != self.providers:
            self.providers = found
            self.changed()

    async def sign_in_with(self, server_url: str, provider: str) -> bool:
        """A parent signs in through ``provider`` in the system browser: the flow's address becomes
        :attr:`browser_url` (the screen's link opens it, as KakaoPay's payment link is opened), and
        the app waits for the browser to come back (:meth:`stop_waiting` gives up). A provider that
        vouches for the parent's e-mail signs in the parent who registered it, never anyone else."""
        url = server_url.strip().rstrip("/")
        self._stop_waiting = False

        async def opened(link: str) -> None:
            self.browser_url = link
            self.changed()

        ok = await self._run(
            lambda: self.runtime.sign_in_with_provider(
                url, provider, self.device_name, opened, stopped=lambda: self._stop_waiting
            )
        )
        self.browser_url = None
        self.changed()
        if ok:
            self.touch()
        return ok

    def stop_waiting(self) -> None:
        self._stop_waiting = True

    async def register_parent(self, server_url: str, email: str, password: str, name: str) -> bool:
        url = server_url.strip().rstrip("/")
        return await self._run(
            lambda: self.runtime.register_parent(url, email.strip(), password, name.strip(), self.device_name)
        )

    async def unlock(self, identity: Any, secret: str, server_url: str = "") -> bool:
        """The PIN (a child) or password (a parent) again; what was waiting is sent right after.
        A parent may name the server's new address (``moved``): this installation moves there."""
        moved = _moved(server_url, identity.server_url) if identity.role == "parent" else ""

        async def call() -> Any:
            if moved:
                return await self.runtime.move_server(identity, moved, secret)
            if identity.role == "child":
                return await self.runtime.unlock_child(identity, secret)
            return await self.runtime.unlock_parent(identity, secret)

        ok = await self._run(call, failed=lambda exc: self._unlock_failed(exc, identity.role))
        if ok:
            self.notice = self.ended = None
            self.unreachable = False
            if identity.role == "parent":
                self.touch()
        return ok

    def _unlock_failed(self, exc: BaseException, role: str) -> str:
        """Which refusals a parent must fix (a locked or reset PIN, a revoked device), in words."""
        tr, code = self.tools.tr, code_of(exc)
        if role == "child" and code in ("UNAUTHENTICATED", "BAD_PIN"):
            return tr("session.wrong_pin")  # also what a child sees after a parent reset the PIN
        if role == "child" and code == "FORBIDDEN":
            locked = bool((getattr(exc, "detail", None) or {}).get("pin_locked"))
            return tr("session.pin_locked" if locked else "session.device_revoked")
        if code == "UNAUTHENTICATED":
            return explain(tr, "WRONG_PASSWORD")
        return explain(tr, code)

    # -- a session that ended on its own ---------------------------------------------------
    def session_ended(self, identity: Any) -> str:
        """The server refused a session's refresh token: the route to show now. A child's device
        goes back to the PIN, a parent to the password (on a child's device: the mode switch); the
        queue stays on the device and is sent once unlocked."""
        self.ended = identity
        parent = identity.role == "parent"
        self.notice = self.tools.tr("session.ended_parent" if parent else "session.ended_child")
        route = self.home_route()
        if parent and self.parent_mode:
            self.parent_mode = False
            if self.profile is not None:  # the child's profile is still open underneath
                route = "/mode/parent"
        self.changed()
        return route

    # -- parent mode on a child's device --------------------------------------------------
    def parent_identity(self) -> Any:
        """The parent identity enrolled on this installation, if any (else the parent signs in here)."""
        return next((i for i in self.runtime.identities() if i.role == "parent"), None)

    async def enter_parent_mode(self, password: str, email: str = "", server_url: str = "") -> bool:
        """A parent's own password opens the parent identity (signing it in here the first time),
        then steps it up so approvals work at once. The child's profile stays enrolled underneath.
        When the old address no longer answers, the parent may name the server's new one: the
        device moves there first (``Runtime.move_server``)."""
        child = self.profile
        if child is None or not password:
            return False
        parent = self.parent_identity()
        url = _moved(server_url, child.identity.server_url) or child.identity.server_url

        async def open_parent() -> None:
            if parent is None:  # the first time here: sign in, then bring the child's identity along
                profile = await self.runtime.sign_in_parent(url, email.strip(), password, self.device_name)
                if profile.identity.family_id != child.identity.family_id:
                    await self.runtime.sign_out(profile.identity)
                    raise _NotOurs
                if url != child.identity.server_url:
                    profile = await self.runtime.move_server(profile.identity, url, password)
            elif url != parent.server_url:
                profile = await self.runtime.move_server(parent, url, password)
            else:
                profile = await self.runtime.unlock_parent(parent, password)
            await self.runtime.step_up(profile, password)

        ok = await self._run(open_parent, failed=lambda exc: self._unlock_failed(exc, "parent"))
        if ok:
            self.parent_mode = True
            self.notice = self.ended = None
            self.unreachable = False
            self.touch()
            self.changed()
        return ok

    async def leave_parent_mode(self) -> None:
        """Back to the child: the core drops the parent's profile (and, beside a child, its token)."""
        self.parent_mode = False
        await self.runtime.lock()
        self.changed()

    def touch(self) -> None:
        """Any activity in parent mode pushes the idle lock back."""
        self.last_activity = self.tools.clock()

    def idle_expired(self) -> bool:
        """True when parent mode has been idle for 5 minutes (the caller then locks it)."""
        if not self.parent_mode or self.last_activity is None:
            return False
        return self.tools.clock() - self.last_activity >= PARENT_IDLE

"""The app shell's state: which route group is allowed, enrolment and unlock, and the parent-mode
switch (step-up password, locks again after 5 minutes idle).

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


class ShellVM(Observable):
    def __init__(self, runtime: Any, tools: Tools, *, device_name: str = "Yongdon") -> None:
        super().__init__()
        self.runtime, self.tools, self.device_name = runtime, tools, device_name
        self.parent_mode = False
        self.last_activity: datetime | None = None
        self.busy = False
        self.error: str | None = None

    # -- where the app may be -------------------------------------------------------------
    @property
    def profile(self) -> Any:
        return self.runtime.active

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
    async def _run(self, work: Callable[[], Any]) -> bool:
        self.busy, self.error = True, None
        self.changed()
        try:
            await work()
        except Exception as exc:  # ApiError and friends: a stable code, explained
            self.error = explain(self.tools.tr, code_of(exc))
            return False
        finally:
            self.busy = False
            self.changed()
        return True

    async def enroll_child(self, server_url: str, code: str) -> bool:
        url, code = server_url.strip().rstrip("/"), code.strip()
        if not url.startswith(("http://", "https://")) or not code:
            self.error = explain(self.tools.tr, "INVALID_ARGS")
            self.changed()
            return False
        return await self._run(lambda: self.runtime.enroll_with_code(url, code, self.device_name))

    async def sign_in_parent(self, server_url: str, email: str, password: str) -> bool:
        url = server_url.strip().rstrip("/")
        ok = await self._run(
            lambda: self.runtime.sign_in_parent(url, email.strip(), password, self.device_name)
        )
        if ok:
            self.touch()
        return ok

    async def register_parent(self, server_url: str, email: str, password: str, name: str) -> bool:
        url = server_url.strip().rstrip("/")
        return await self._run(
            lambda: self.runtime.register_parent(url, email.strip(), password, name.strip(), self.device_name)
        )

    async def unlock(self, identity: Any, secret: str) -> bool:
        if identity.role == "child":
            return await self._run(lambda: self.runtime.unlock_child(identity, secret))
        ok = await self._run(lambda: self.runtime.unlock_parent(identity, secret))
        if ok:
            self.touch()
        return ok

    # -- parent mode on a child's device --------------------------------------------------
    def parent_identity(self) -> Any:
        """The parent identity enrolled on this installation, if any (else the parent signs in here)."""
        return next((i for i in self.runtime.identities() if i.role == "parent"), None)

    async def enter_parent_mode(self, password: str, email: str = "") -> bool:
        """A parent's own password opens the parent identity (signing it in here the first time),
        then steps it up so approvals work at once. The child's profile stays enrolled underneath."""
        child = self.profile
        if child is None or not password:
            return False
        parent = self.parent_identity()

        async def open_parent() -> None:
            if parent is not None:
                profile = await self.runtime.unlock_parent(parent, password)
            else:
                url = child.identity.server_url
                profile = await self.runtime.sign_in_parent(url, email.strip(), password, self.device_name)
            await self.runtime.step_up(profile, password)

        ok = await self._run(open_parent)
        if ok:
            self.parent_mode = True
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

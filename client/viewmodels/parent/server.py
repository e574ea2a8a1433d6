"""The server screen: which server this family uses, a connection test, moving this device to the
server's new address (the password again; the new address is tried first), and on the hosted service
the family's premium plan (``plan.PlanSection``)."""

from __future__ import annotations

import time
from typing import Any

from ..errors import code_of, explain
from .base import ParentScreen, is_offline
from .plan import PlanSection

__all__ = ["ServerVM"]

# what the probe of the new address may meet besides "offline": not a (ready) family server there
_NOT_A_SERVER = ("NOT_FOUND", "UNAVAILABLE", "INTERNAL")


class ServerVM(ParentScreen):
    def __init__(self, *args: Any, **kw: Any) -> None:
        self.result: str | None = None
        self.ok: bool | None = None
        self.new_url = ""
        super().__init__(*args, **kw)
        self.premium = PlanSection(self)  # the hosted service's plan; hidden on a family server

    def refresh(self) -> None:
        super().refresh()
        self.url = self.view.me.server_url

    async def test(self) -> bool:
        """``GET /ready`` on the family's server: reachable, database and migrations fine."""
        tr = self.tools.tr
        self.result, self.ok = None, None
        started = time.monotonic()
        await self.online(lambda: self.profile.api.request("GET", "/ready", auth=False))
        if self.error is None:
            ms = int((time.monotonic() - started) * 1000)
            self.ok, self.result = True, tr("parent.server.ok", ms=ms)
        else:
            self.ok, self.result = False, tr("parent.server.failed", why=self.error)
            self.error = None
        self.changed()
        return bool(self.ok)

    def set_new_url(self, url: str) -> None:
        self.new_url = url

    async def move(self, password: str) -> bool:
        """Move this device to ``new_url``: connection test, the parent's password there, then every
        identity here follows with its records and queue (``Runtime.move_server``)."""
        tr, url = self.tools.tr, self.new_url.strip().rstrip("/")
        self.result = self.ok = None
        refusal = None
        if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
            refusal = tr("parent.server.bad_url")
        elif not password:
            refusal = explain(tr, "INVALID_ARGS")
        if refusal is not None:
            self.error, self.notice = refusal, None
            self.changed()
            return False
        self._start()
        try:
            assert self.runtime is not None, "moving needs the runtime"
            await self.runtime.move_server(self.profile.identity, url, password)
        except Exception as exc:
            self.error = self._why_not(exc)
            return False
        else:
            self.new_url = ""
            self.notice = tr("parent.server.moved", url=url)
            return True
        finally:
            self._done()

    def _why_not(self, exc: BaseException) -> str:
        tr, code = self.tools.tr, code_of(exc)
        if is_offline(exc) or code in _NOT_A_SERVER or code.startswith("HTTP_"):
            return tr("parent.server.unreachable", why=explain(tr, code))
        if code in ("UNAUTHENTICATED", "FORBIDDEN"):
            return tr("parent.server.password_refused")
        return explain(tr, code)

"""The server screen: which server this family uses, and a connection test."""

from __future__ import annotations

import time
from typing import Any

from .base import ParentScreen

__all__ = ["ServerVM"]


class ServerVM(ParentScreen):
    def __init__(self, *args: Any, **kw: Any) -> None:
        self.result: str | None = None
        self.ok: bool | None = None
        super().__init__(*args, **kw)

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

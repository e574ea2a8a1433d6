"""Server: which server this family uses, and a connection test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from client.viewmodels.parent import ServerVM

from ..widgets import card, heading, muted, tid
from .base import ParentScreenView

if TYPE_CHECKING:
    from client.app import App


class ServerView(ParentScreenView):
    route = "/parent/server"
    title_key = "parent.nav.server"
    tab = 4

    def __init__(self, app: App) -> None:
        self.vm = ServerVM(app.shell.profile, app.tools, app.runtime)
        super().__init__(app)

    async def _test(self, e: Any = None) -> None:
        self.app.shell.touch()
        await self.vm.test()

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = [
            card(
                heading(tr("parent.server.url")),
                tid("server-url", ft.Text(vm.url, size=18, selectable=True)),
                muted(tr("parent.server.about")),
            ),
            self.button(tr("parent.server.test"), self._test, "server-test"),
        ]
        if vm.result:
            color = ft.Colors.GREEN_800 if vm.ok else ft.Colors.ERROR
            out.append(tid("server-result", ft.Text(vm.result, size=16, color=color)))
        return out

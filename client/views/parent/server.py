"""Server: which server this family uses, a connection test, moving to a new address, and on the
hosted service the family's premium plan."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.parent import ServerVM

from ..host import Host
from ..widgets import card, heading, muted, tid
from .base import ParentScreenView
from .plan import plan_section


class ServerView(ParentScreenView):
    route = "/parent/server"
    title_key = "parent.nav.server"
    tab = 4

    vm: ServerVM

    def __init__(self, host: Host, vm: ServerVM) -> None:
        super().__init__(host, vm)
        label = self.tr("parent.stepup.password")
        self.move_password = ft.TextField(label=label, password=True, can_reveal_password=True, text_size=18)

    def mounted(self) -> None:
        super().mounted()
        self.host.run_task(self.vm.premium.load)  # hosted only: a family server shows nothing

    async def _test(self, e: Any = None) -> None:
        self.host.touch()
        await self.vm.test()

    async def _move(self, e: Any = None) -> None:
        self.host.touch()
        password, self.move_password.value = self.move_password.value or "", ""
        await self.vm.move(password)

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
        new_url = self.fields.get(
            "new_url", tr("parent.server.new_url"), vm.set_new_url, keyboard_type=ft.KeyboardType.URL
        )
        new_url.value = vm.new_url
        out.append(
            card(
                heading(tr("parent.server.move_heading")),
                muted(tr("parent.server.move_about")),
                tid("server-new-url", new_url),
                tid("server-move-password", self.move_password),
                self.button(tr("parent.server.move"), self._move, "server-move"),
            )
        )
        out.extend(plan_section(vm.premium, tr, self.host, self.button))
        return out

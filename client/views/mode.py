"""The mode switch on a child's device: a parent's own password (an e-mail too the first time the
parent signs in on this device). Parent mode then locks again after 5 idle minutes (``App``)."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.shell import ShellVM

from .enroll import server_field
from .host import Host
from .screen import Screen
from .widgets import big_button, muted, tid

__all__ = ["StepUpView"]


class StepUpView(Screen):
    route = "/mode/parent"

    vm: ShellVM

    def __init__(self, host: Host, vm: ShellVM, demo: Any = None) -> None:
        tr = host.tools.tr
        self.password = ft.TextField(label=tr("unlock.password"), password=True, text_size=20,
                                     can_reveal_password=True)  # fmt: skip
        self.email = ft.TextField(label=tr("enroll.email"), keyboard_type=ft.KeyboardType.EMAIL, text_size=20)
        self.server = server_field(host, vm)
        if demo is not None:  # the demo shows the whole product: its parent is one tap away
            self.email.value, self.password.value = demo.parent_email, demo.parent_password
        super().__init__(host, vm)

    async def _submit(self, e: ft.Event[ft.Button]) -> None:
        ok = await self.vm.enter_parent_mode(
            self.password.value or "", self.email.value or "", self.server.value or ""
        )
        self.password.value = ""
        if ok:
            await self.host.go(self.vm.home_route())

    def chrome(self) -> None:
        back = ft.IconButton(
            ft.Icons.ARROW_BACK, tooltip=self.tr("action.back"), on_click=self.host.nav("/child")
        )
        self.view.appbar = ft.AppBar(title=ft.Text(self.tr("mode.step_up_title")), leading=tid("back", back))

    def controls(self) -> list[ft.Control]:
        vm = self.vm
        out: list[ft.Control] = []
        if vm.notice:  # the parent's sign-in on this device ended on its own
            out.append(tid("stepup-notice", ft.Text(vm.notice, size=16)))
        out.append(ft.Text(self.tr("mode.step_up_body"), size=16))
        if vm.parent_identity() is None:  # the first time on this device: the parent signs in here
            out.append(tid("stepup-email", self.email))
        out.append(tid("stepup-password", self.password))
        if vm.error:
            out.append(tid("stepup-error", ft.Text(vm.error, color=ft.Colors.ERROR, size=16)))
        if vm.unreachable:  # the old address is gone: the parent may give the server's new one
            out += [muted(self.tr("session.server_moved")), tid("stepup-server", self.server)]
        if vm.busy:
            out.append(ft.ProgressRing())
        out.append(big_button(self.tr("unlock.open"), self._submit, "stepup-submit", disabled=vm.busy))
        return out

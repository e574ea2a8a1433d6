"""First start: the server URL, then a pairing code (child device) or a parent's login/registration."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from .screen import Screen
from .widgets import big_button, card, heading, muted, tid

if TYPE_CHECKING:
    from client.app import App


class EnrollView(Screen):
    route = "/enroll"

    def __init__(self, app: App) -> None:
        self.vm = app.shell
        tr = app.tools.tr
        self.server = ft.TextField(
            label=tr("enroll.server"), value=app.config.default_server_url, text_size=18
        )
        self.code = ft.TextField(label=tr("enroll.code"), hint_text=tr("enroll.code_hint"), text_size=24)
        self.email = ft.TextField(label=tr("enroll.email"), keyboard_type=ft.KeyboardType.EMAIL)
        self.password = ft.TextField(label=tr("enroll.password"), password=True, can_reveal_password=True)
        self.name = ft.TextField(label=tr("enroll.display_name"))
        super().__init__(app)

    async def _join(self, e: ft.Event[ft.Button]) -> None:
        if await self.vm.enroll_child(self.server.value or "", self.code.value or ""):
            await self.app.go(self.vm.home_route())

    async def _sign_in(self, e: ft.Event[ft.Button]) -> None:
        if await self.vm.sign_in_parent(
            self.server.value or "", self.email.value or "", self.password.value or ""
        ):
            await self.app.go(self.vm.home_route())

    async def _register(self, e: ft.Event[ft.Button]) -> None:
        ok = await self.vm.register_parent(
            self.server.value or "", self.email.value or "", self.password.value or "", self.name.value or ""
        )
        if ok:
            await self.app.go(self.vm.home_route())

    def chrome(self) -> None:
        self.view.appbar = ft.AppBar(title=ft.Text(self.tr("enroll.title")))

    def controls(self) -> list[ft.Control]:
        tr, vm = self.tr, self.vm
        out: list[ft.Control] = [tid("enroll-server", self.server)]
        if vm.busy:
            out.append(ft.Row([ft.ProgressRing(), ft.Text(tr("enroll.working"))]))
        if vm.error:
            out.append(tid("enroll-error", ft.Text(vm.error, color=ft.Colors.ERROR, size=16)))
        out += [
            card(
                heading(tr("enroll.child_heading")),
                tid("enroll-code", self.code),
                big_button(tr("enroll.join"), self._join, "enroll-join", disabled=vm.busy),
            ),
            card(
                heading(tr("enroll.parent_heading")),
                tid("enroll-email", self.email),
                tid("enroll-password", self.password),
                big_button(tr("enroll.sign_in"), self._sign_in, "enroll-sign-in", disabled=vm.busy),
                muted(tr("enroll.display_name")),
                tid("enroll-name", self.name),
                big_button(
                    tr("enroll.register"), self._register, "enroll-register", primary=False, disabled=vm.busy
                ),  # fmt: skip
            ),
        ]
        return out


class UnlockView(Screen):
    """Pick an enrolled identity on this installation and unlock it (PIN for a child)."""

    route = "/unlock"

    def __init__(self, app: App) -> None:
        self.vm = app.shell
        self.secret = ft.TextField(label=app.tools.tr("unlock.pin"), password=True, text_size=24,
                                   keyboard_type=ft.KeyboardType.NUMBER)  # fmt: skip
        identities = app.runtime.identities()
        self.chosen = identities[0] if identities else None
        super().__init__(app)

    def _choose(self, identity: object) -> None:
        self.chosen = identity
        self.secret.value = ""
        self.render()

    async def _open(self, e: ft.Event[ft.Button]) -> None:
        if self.chosen is not None and await self.vm.unlock(self.chosen, self.secret.value or ""):
            await self.app.go(self.vm.home_route())
        self.secret.value = ""

    def chrome(self) -> None:
        self.view.appbar = ft.AppBar(title=ft.Text(self.tr("unlock.title")))

    def controls(self) -> list[ft.Control]:
        tr, vm = self.tr, self.vm
        people = [
            tid(
                f"who-{i.user_id}",
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.CHILD_CARE if i.role == "child" else ft.Icons.PERSON),
                    title=ft.Text(i.display_name, size=20),
                    selected=i == self.chosen,
                    min_height=56,
                    on_click=lambda e, who=i: self._choose(who),
                ),
            )  # fmt: skip
            for i in self.app.runtime.identities()
        ]
        child = self.chosen is not None and self.chosen.role == "child"
        self.secret.label = tr("unlock.pin") if child else tr("unlock.password")
        out: list[ft.Control] = [*people, tid("unlock-secret", self.secret)]
        if vm.error:
            out.append(tid("unlock-error", ft.Text(vm.error, color=ft.Colors.ERROR, size=16)))
        if vm.busy:
            out.append(ft.ProgressRing())
        out.append(big_button(tr("unlock.open"), self._open, "unlock-open", disabled=vm.busy))
        out.append(big_button(tr("unlock.add"), self.app.nav("/enroll"), "unlock-add", primary=False))
        return out

"""First start: the server URL, then a pairing code (a child's device, or a parent invite with the
new parent's e-mail, password and name from the parents' card) or a parent's login/registration."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.theme import MIN_TOUCH
from client.viewmodels.shell import ShellVM

from .host import Host
from .screen import Screen
from .widgets import big_button, card, heading, muted, tid


def server_field(host: Host, vm: ShellVM) -> ft.TextField:
    """The server's address, filled with the one in use (the active profile's, else the default)."""
    return ft.TextField(label=host.tools.tr("enroll.server"), value=vm.server_url(), text_size=18,
                        keyboard_type=ft.KeyboardType.URL)  # fmt: skip


class EnrollView(Screen):
    route = "/enroll"

    vm: ShellVM

    def __init__(self, host: Host, vm: ShellVM) -> None:
        tr = host.tools.tr
        self.server = server_field(host, vm)
        self.server.on_blur = self._server_changed  # another server may offer other providers
        self.code = ft.TextField(label=tr("enroll.code"), hint_text=tr("enroll.code_hint"), text_size=24)
        self.email = ft.TextField(label=tr("enroll.email"), keyboard_type=ft.KeyboardType.EMAIL)
        self.password = ft.TextField(label=tr("enroll.password"), password=True, can_reveal_password=True)
        self.name = ft.TextField(label=tr("enroll.display_name"))
        super().__init__(host, vm)

    async def _join(self, e: ft.Event[ft.Button]) -> None:
        # a parent invite takes the account typed in the parents' card; a child's code ignores it
        joined = await self.vm.enroll_child(
            self.server.value or "",
            self.code.value or "",
            self.email.value or "",
            self.password.value or "",
            self.name.value or "",
        )
        if joined:
            await self.host.go(self.vm.home_route())

    async def _sign_in(self, e: ft.Event[ft.Button]) -> None:
        if await self.vm.sign_in_parent(
            self.server.value or "", self.email.value or "", self.password.value or ""
        ):
            await self.host.go(self.vm.home_route())

    def mounted(self) -> None:
        self.host.run_task(self._server_changed)

    async def _server_changed(self, e: Any = None) -> None:
        """The server's providers (asked again when the address changes: another server, others)."""
        await self.vm.load_providers(self.server.value or "")

    def _continue_with(self, provider: str) -> Any:
        async def handler(e: Any = None) -> None:
            if await self.vm.sign_in_with(self.server.value or "", provider):
                await self.host.go(self.vm.home_route())

        return handler

    def _provider_name(self, provider: str) -> str:
        key = f"enroll.provider.{provider}"
        return self.tr(key) if self.host.tools.tr.has(key) else provider.capitalize()

    def _providers(self) -> list[ft.Control]:
        """ "Continue with Kakao" and so on, for the providers this server's operator registered."""
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = []
        for provider in vm.providers:
            label = tr("enroll.continue_with", provider=self._provider_name(provider))
            out.append(big_button(label, self._continue_with(provider), f"enroll-oidc-{provider}",
                                  primary=False, disabled=vm.busy, icon=ft.Icons.LOGIN))  # fmt: skip
        if vm.browser_url:  # the client opens it in the system browser: the provider's own page
            link = ft.FilledButton(tr("enroll.open_browser"), icon=ft.Icons.OPEN_IN_NEW, height=MIN_TOUCH,
                                   url=ft.Url(vm.browser_url, target=ft.UrlTarget.BLANK))  # fmt: skip
            stop = ft.TextButton(tr("enroll.stop_waiting"), on_click=lambda e: vm.stop_waiting())
            out += [
                tid("enroll-oidc-waiting", muted(tr("enroll.finish_in_browser"), size=15)),
                tid("enroll-oidc-open", link, label=tr("enroll.open_browser")),
                tid("enroll-oidc-stop", stop),
            ]
        return out

    async def _register(self, e: ft.Event[ft.Button]) -> None:
        ok = await self.vm.register_parent(
            self.server.value or "", self.email.value or "", self.password.value or "", self.name.value or ""
        )
        if ok:
            await self.host.go(self.vm.home_route())

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
                muted(tr("enroll.code_help")),
                big_button(tr("enroll.join"), self._join, "enroll-join", disabled=vm.busy),
            ),
            card(
                heading(tr("enroll.parent_heading")),
                tid("enroll-email", self.email),
                tid("enroll-password", self.password),
                big_button(tr("enroll.sign_in"), self._sign_in, "enroll-sign-in", disabled=vm.busy),
                *self._providers(),
                muted(tr("enroll.display_name")),
                tid("enroll-name", self.name),
                big_button(
                    tr("enroll.register"), self._register, "enroll-register", primary=False, disabled=vm.busy
                ),  # fmt: skip
            ),
        ]
        return out


class UnlockView(Screen):
    """Pick an enrolled identity on this installation and unlock it (PIN for a child). The one whose
    session just ended comes first, else a child (on a child's device the parent is the exception)."""

    route = "/unlock"

    vm: ShellVM

    def __init__(self, host: Host, vm: ShellVM) -> None:
        self.secret = ft.TextField(label=host.tools.tr("unlock.pin"), password=True, text_size=24,
                                   keyboard_type=ft.KeyboardType.NUMBER)  # fmt: skip
        self.server = server_field(host, vm)
        self.people = vm.identities()  # read once: each is a profile's database on disk
        first = [i for i in self.people if i == vm.ended] or [i for i in self.people if i.role == "child"]
        self.chosen = (first or self.people or [None])[0]
        if self.chosen is not None:
            self.server.value = self.chosen.server_url
        super().__init__(host, vm)

    def _choose(self, identity: Any) -> None:
        self.chosen = identity
        self.secret.value = ""
        self.server.value = identity.server_url
        self.render()

    async def _open(self, e: ft.Event[ft.Button]) -> None:
        chosen, secret = self.chosen, self.secret.value or ""
        if chosen is not None and await self.vm.unlock(chosen, secret, self.server.value or ""):
            await self.host.go(self.vm.home_route())
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
            for i in self.people
        ]
        child = self.chosen is not None and self.chosen.role == "child"
        self.secret.label = tr("unlock.pin") if child else tr("unlock.password")
        out: list[ft.Control] = []
        if vm.notice:
            out.append(tid("unlock-notice", ft.Text(vm.notice, size=16)))
        out += [*people, tid("unlock-secret", self.secret)]
        if vm.error:
            out.append(tid("unlock-error", ft.Text(vm.error, color=ft.Colors.ERROR, size=16)))
        if vm.unreachable and not child:  # the old address is gone: a parent may give the new one
            out += [muted(tr("session.server_moved")), tid("unlock-server", self.server)]
        if vm.busy:
            out.append(ft.ProgressRing())
        out.append(big_button(tr("unlock.open"), self._open, "unlock-open", disabled=vm.busy))
        out.append(big_button(tr("unlock.add"), self.host.nav("/enroll"), "unlock-add", primary=False))
        return out

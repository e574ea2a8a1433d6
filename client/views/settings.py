"""Settings: language (ko/en), light/dark, and the way to the notification settings."""

from __future__ import annotations

import flet as ft

from client.viewmodels.settings import SettingsVM

from .host import Host
from .screen import Screen
from .widgets import big_button, tid


class SettingsView(Screen):
    route = "/settings"

    vm: SettingsVM

    def __init__(self, host: Host, vm: SettingsVM) -> None:
        super().__init__(host, vm)

    def chrome(self) -> None:
        self.view.appbar = ft.AppBar(
            title=ft.Text(self.tr("action.settings")),
            leading=tid(
                "back",
                ft.IconButton(
                    ft.Icons.ARROW_BACK,
                    tooltip=self.tr("action.back"),
                    on_click=self.host.nav(self.host.home_route()),
                ),
            ),  # fmt: skip
        )

    def controls(self) -> list[ft.Control]:
        tr = self.tr
        vm = self.vm
        lang = ft.SegmentedButton(
            segments=[ft.Segment(value=loc, label=ft.Text(tr(f"settings.lang.{loc}"))) for loc in vm.locales],
            selected=[vm.locale],
            on_change=lambda e: vm.set_locale(next(iter(e.control.selected or [vm.locale]))),
        )
        dark = ft.Switch(label=tr("settings.dark"), value=vm.dark,
                         on_change=lambda e: vm.set_dark(bool(e.control.value)))  # fmt: skip
        notifications = big_button(
            tr("notify.title"),
            self.host.nav("/settings/notifications"),
            "settings-notifications",
            primary=False,
            icon=ft.Icons.NOTIFICATIONS,
        )
        return [
            ft.Text(tr("settings.language"), size=18),
            tid("settings-language", lang),
            tid("settings-dark", dark),
            notifications,
        ]

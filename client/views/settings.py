"""Settings: language (ko/en) and light/dark."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from .screen import Screen
from .widgets import tid

if TYPE_CHECKING:
    from client.app import App


class SettingsView(Screen):
    route = "/settings"

    def __init__(self, app: App) -> None:
        super().__init__(app)

    def chrome(self) -> None:
        self.view.appbar = ft.AppBar(
            title=ft.Text(self.tr("action.settings")),
            leading=tid(
                "back",
                ft.IconButton(
                    ft.Icons.ARROW_BACK,
                    tooltip=self.tr("action.back"),
                    on_click=self.app.nav(self.app.shell.home_route()),
                ),
            ),  # fmt: skip
        )

    def controls(self) -> list[ft.Control]:
        tr = self.tr
        lang = ft.SegmentedButton(
            segments=[ft.Segment(value=loc, label=ft.Text(tr(f"settings.lang.{loc}"))) for loc in tr.locales],
            selected=[tr.locale],
            on_change=lambda e: self.app.set_locale(next(iter(e.control.selected or [tr.locale]))),
        )
        dark = ft.Switch(label=tr("settings.dark"), value=self.app.prefs.dark,
                         on_change=lambda e: self.app.set_dark(bool(e.control.value)))  # fmt: skip
        return [
            ft.Text(tr("settings.language"), size=18),
            tid("settings-language", lang),
            tid("settings-dark", dark),
        ]

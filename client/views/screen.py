"""A screen: one view-model bound to one ``ft.View``; re-rendered whenever the view-model changes."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.sync_chip import chip_hint, connection_banner, sync_chip

from .host import Host
from .layout import lay_out
from .widgets import chip, tid

__all__ = ["CHILD_TABS", "ChildScreenView", "Screen"]

CHILD_TABS = (
    ("/child", "nav.home", ft.Icons.HOME),
    ("/child/market", "nav.market", ft.Icons.SEARCH),
    ("/child/portfolio", "nav.portfolio", ft.Icons.PIE_CHART),
    ("/child/allowance", "nav.allowance", ft.Icons.SAVINGS),
    ("/child/inbox", "nav.inbox", ft.Icons.MAIL),
)


class Screen:
    """``host`` is the app around the view; ``vm`` is the view-model it renders (the app builds it)."""

    route: str

    def __init__(self, host: Host, vm: Any = None) -> None:
        self.host, self.vm = host, vm
        self.tr = host.tools.tr
        self.fmt = host.tools.fmt
        self.view = ft.View(
            route=self.route,
            scroll=ft.ScrollMode.AUTO,
            padding=16,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,  # full-width cards and buttons
        )
        self.on_page = False  # set by the app once the view is on the page
        self._unsubscribe = self.vm.subscribe(self.render) if self.vm is not None else None

    def controls(self) -> list[ft.Control]:
        raise NotImplementedError

    def chrome(self) -> None:
        """Appbar and navigation: set on ``self.view`` before each render."""

    @property
    def wide(self) -> bool:
        return bool(self.host.wide)

    def top(self) -> list[ft.Control]:
        """What opens every screen of a mode, above its own controls (the offline banner)."""
        return []

    def side(self) -> list[ft.Control] | None:
        """The second column on a wide screen (``None``: this screen has one column)."""
        return None

    def render(self) -> None:
        self.chrome()
        wide = self.wide
        side = self.side() if wide else None  # first: the main column may mark what the side shows
        lay_out(self.view, [*self.top(), *self.controls()], side, wide)
        if self.on_page:
            self.view.update()

    def mounted(self) -> None:
        """Called once the view is on the page (start slow work here, with ``page.run_task``)."""

    def dispose(self) -> None:
        self.on_page = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.vm is not None and hasattr(self.vm, "detach"):
            self.vm.detach()


class ChildScreenView(Screen):
    """Child-mode chrome: the title, the always-visible sync state, and the tab bar."""

    title_key = "app.title"
    tab: int | None = None
    back: str | None = None

    def __init__(self, host: Host, vm: Any) -> None:
        super().__init__(host, vm)
        vm.attach()

    def title(self) -> str:
        return self.tr(self.title_key)

    def top(self) -> list[ft.Control]:
        """Every child screen opens with the offline banner while the server cannot be reached."""
        view = self.vm.view
        words = connection_banner(view.status, view.pending, self.host.tools)
        return [offline_banner(words)] if words else []

    def chrome(self) -> None:
        text, tone = sync_chip(self.vm.view.status, self.host.tools)
        leading = None
        if self.back:
            back = self.back
            leading = tid("back", ft.IconButton(ft.Icons.ARROW_BACK, tooltip=self.tr("action.back"),
                                                on_click=self.host.nav(back)))  # fmt: skip
        self.view.appbar = ft.AppBar(
            title=ft.Text(self.title()),
            leading=leading,
            actions=[
                chip(
                    text,
                    tone,
                    on_click=self.host.sync_now,
                    tooltip=chip_hint(self.vm.view.status, self.host.tools),
                ),
                tid(
                    "open-parent-mode",
                    ft.IconButton(
                        ft.Icons.LOCK, tooltip=self.tr("mode.parent"), on_click=self.host.nav("/mode/parent")
                    ),
                ),
                tid(
                    "open-settings",
                    ft.IconButton(
                        ft.Icons.SETTINGS,
                        tooltip=self.tr("action.settings"),
                        on_click=self.host.nav("/settings"),
                    ),
                ),
            ],  # fmt: skip
        )
        self.view.navigation_bar = ft.NavigationBar(
            destinations=[
                ft.NavigationBarDestination(icon=icon, label=self.tr(key)) for _, key, icon in CHILD_TABS
            ],
            selected_index=self.tab if self.tab is not None else 0,
            on_change=self._tab,
        )

    async def _tab(self, e: ft.Event[ft.NavigationBar]) -> None:
        index = int(e.data) if e.data is not None else (e.control.selected_index or 0)
        await self.host.go(CHILD_TABS[index][0])


def offline_banner(words: str) -> ft.Control:
    body = ft.Container(
        ft.Row(
            [
                ft.Icon(ft.Icons.CLOUD_OFF, color=ft.Colors.ON_TERTIARY_CONTAINER),
                ft.Text(words, size=15, color=ft.Colors.ON_TERTIARY_CONTAINER, expand=True),
            ],
        ),  # fmt: skip
        bgcolor=ft.Colors.TERTIARY_CONTAINER,
        padding=12,
        border_radius=ft.BorderRadius.all(12),
    )
    return tid("offline-banner", body, label=words)

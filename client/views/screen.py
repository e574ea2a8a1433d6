"""A screen: one view-model bound to one ``ft.View``; re-rendered whenever the view-model changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from client.viewmodels.sync_chip import sync_chip

from .widgets import chip, tid

if TYPE_CHECKING:
    from client.app import App

__all__ = ["CHILD_TABS", "ChildScreenView", "Screen"]

CHILD_TABS = (
    ("/child", "nav.home", ft.Icons.HOME),
    ("/child/market", "nav.market", ft.Icons.SEARCH),
    ("/child/portfolio", "nav.portfolio", ft.Icons.PIE_CHART),
    ("/child/allowance", "nav.allowance", ft.Icons.SAVINGS),
    ("/child/inbox", "nav.inbox", ft.Icons.MAIL),
)


class Screen:
    route: str
    vm: Any = None

    def __init__(self, app: App) -> None:
        self.app = app
        self.tr = app.tools.tr
        self.fmt = app.tools.fmt
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

    def render(self) -> None:
        self.chrome()
        self.view.controls = self.controls()
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

    def __init__(self, app: App) -> None:
        super().__init__(app)
        if self.vm is not None:
            self.vm.attach()

    def title(self) -> str:
        return self.tr(self.title_key)

    def chrome(self) -> None:
        status = self.app.shell.profile.view().status
        text, tone = sync_chip(status, self.app.tools)
        leading = None
        if self.back:
            back = self.back
            leading = tid("back", ft.IconButton(ft.Icons.ARROW_BACK, tooltip=self.tr("action.back"),
                                                on_click=self.app.nav(back)))  # fmt: skip
        self.view.appbar = ft.AppBar(
            title=ft.Text(self.title()),
            leading=leading,
            actions=[
                chip(text, tone),
                tid(
                    "open-parent-mode",
                    ft.IconButton(
                        ft.Icons.LOCK, tooltip=self.tr("mode.parent"), on_click=self.app.nav("/mode/parent")
                    ),
                ),
                tid(
                    "open-settings",
                    ft.IconButton(
                        ft.Icons.SETTINGS,
                        tooltip=self.tr("action.settings"),
                        on_click=self.app.nav("/settings"),
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
        await self.app.go(CHILD_TABS[index][0])

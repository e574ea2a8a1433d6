"""The app: one ``App`` per Flet session, routing between the shell's screens.

Routes: ``/enroll`` and ``/unlock`` before anyone is signed in; the child group ``/child…``; the
mode switch ``/mode/parent``; the separate parent group ``/parent…``; ``/settings``. The shell
view-model decides which group may be shown (``ShellVM.allowed``); every screen reads the local view
and works offline.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flet as ft

from .config import AppConfig
from .i18n import Catalogs, Translator, load_catalogs, system_locale
from .theme import apply_theme
from .viewmodels.base import Tools, utcnow, viewer_timezone
from .viewmodels.market import load_index
from .viewmodels.prefs import Prefs
from .viewmodels.shell import ShellVM
from .views.child.allowance import AllowanceView
from .views.child.home import HomeView
from .views.child.inbox import InboxView
from .views.child.market import MarketView
from .views.child.portfolio import PortfolioView
from .views.child.stock import StockView
from .views.child.trade import TradeView
from .views.enroll import EnrollView, UnlockView
from .views.mode import StepUpView
from .views.parent import parent_screen
from .views.screen import Screen
from .views.settings import SettingsView

__all__ = ["App", "AppDeps", "make_main"]

IDLE_CHECK_S = 10.0


@dataclass
class AppDeps:
    """What every session shares: one installation's runtime, manifest, catalogs, prefs and index."""

    runtime: Any
    config: AppConfig
    prefs: Prefs
    catalogs: Catalogs
    clock: Callable[[], datetime] = utcnow
    locale: str | None = None
    build_order: Callable[..., tuple[str, dict[str, Any]]] | None = None  # tests; default client.actions
    build_request: Callable[[int], tuple[str, dict[str, Any]]] | None = None
    demo: Any = None  # client.demo.Demo when `yongdon demo` opened the app


class App:
    def __init__(self, page: ft.Page, deps: AppDeps) -> None:
        self.page, self.deps = page, deps
        self.config, self.runtime, self.prefs = deps.config, deps.runtime, deps.prefs
        self.build_order, self.build_request = deps.build_order, deps.build_request
        self.index = load_index(Path(self.config.assets_dir) / "market" / "symbols.json")
        locale = (
            deps.locale or self.prefs.locale or system_locale(self.config.locales, self.config.default_locale)
        )
        self.tools = Tools(Translator(deps.catalogs, locale), clock=deps.clock, tz=viewer_timezone(locale))
        self.shell = ShellVM(self.runtime, self.tools)
        self.screen: Screen | None = None
        self.current: str | None = None

    # -- navigation -----------------------------------------------------------------------
    def nav(self, route: str) -> Callable[..., Awaitable[None]]:
        """An event handler that goes to ``route``."""

        async def handler(e: Any = None) -> None:
            await self.go(route)

        return handler

    async def go(self, route: str) -> None:
        """Show ``route`` now, then tell the client (browser URL, back button) about it."""
        shown = self.show(route)
        self.page.navigate(shown)

    async def _on_route(self, e: ft.RouteChangeEvent) -> None:
        shown = self.show(e.route)
        if shown != urlsplit(e.route).path:
            self.page.navigate(shown)  # a redirect: put the allowed route in the address bar

    def show(self, route: str, *, force: bool = False) -> str:
        parts = urlsplit(route)
        path = parts.path.rstrip("/") or "/"
        if self.shell.parent_mode:
            self.shell.touch()  # navigating is activity: it pushes parent mode's idle lock back
        target = self.shell.allowed(path if path != "/" else self.shell.home_route())
        if target == self.current and self.screen is not None and not force:
            return target
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} if target == path else {}
        screen = self._make(target, query)
        if self.screen is not None:
            self.screen.dispose()
        self.screen, self.current = screen, target
        self.page.views.clear()
        self.page.views.append(screen.view)
        screen.render()
        self.page.update()
        screen.on_page = True
        screen.mounted()
        return target

    def _make(self, path: str, query: dict[str, str]) -> Screen:
        segments = path.strip("/").split("/")
        match segments:
            case ["enroll"]:
                return EnrollView(self)
            case ["unlock"]:
                return UnlockView(self)
            case ["settings"]:
                return SettingsView(self)
            case ["mode", "parent"]:
                return StepUpView(self)
            case ["parent", *rest]:
                return parent_screen(self, rest)
            case ["child", "market"]:
                return MarketView(self)
            case ["child", "stock", symbol]:
                return StockView(self, symbol)
            case ["child", "trade", symbol]:
                return TradeView(self, symbol, query.get("side", "buy"))
            case ["child", "portfolio"]:
                return PortfolioView(self)
            case ["child", "allowance"]:
                return AllowanceView(self)
            case ["child", "inbox"]:
                return InboxView(self)
            case _:
                return HomeView(self)

    # -- preferences ----------------------------------------------------------------------
    def set_locale(self, locale: str) -> None:
        self.tools.tr.set_locale(locale)
        self.tools.tz = viewer_timezone(locale)
        self.prefs.locale = locale
        self.prefs.save()
        if self.current:
            self.show(self.current, force=True)

    def set_dark(self, dark: bool) -> None:
        self.prefs.dark = dark
        self.prefs.save()
        self.page.theme_mode = ft.ThemeMode.DARK if dark else ft.ThemeMode.LIGHT
        self.page.update()

    # -- parent mode idle lock ------------------------------------------------------------
    async def enforce_idle_lock(self) -> bool:
        """Back to the child's screens once parent mode has been idle for 5 minutes."""
        if not self.shell.idle_expired():
            return False
        await self.shell.leave_parent_mode()
        self.show(self.shell.home_route())
        with contextlib.suppress(RuntimeError):  # the session may be gone (tab closed)
            self.page.navigate(self.current or "/")
        return True

    async def _tick(self) -> None:
        """Every few seconds: the idle lock, and fresh relative times ("synced 2 min ago")."""
        while True:
            await asyncio.sleep(IDLE_CHECK_S)
            if await self.enforce_idle_lock() or self.screen is None:
                continue
            vm = self.screen.vm
            if vm is not None and hasattr(vm, "refresh") and vm is not self.shell:
                vm.refresh()
            self.screen.render()

    async def start(self) -> None:
        self.page.title = self.tools.tr("app.title")
        apply_theme(self.page, self.config, dark=self.prefs.dark)
        if not self.page.web:  # a desktop window: the manifest's phone-like size
            self.page.window.width = self.config.window_width
            self.page.window.height = self.config.window_height
        self.page.on_route_change = self._on_route
        self.show(self.page.route or "/")
        self.page.run_task(self._tick)


def make_main(
    runtime: Any, config: AppConfig, *, data_dir: Path | None = None, **kw: Any
) -> Callable[[ft.Page], Awaitable[None]]:
    """The Flet entry point for one installation (``runtime``) and its data directory."""
    prefs = Prefs.load(data_dir / "prefs.json") if data_dir else Prefs()
    deps = AppDeps(runtime=runtime, config=config, prefs=prefs, catalogs=load_catalogs(), **kw)

    async def main(page: ft.Page) -> None:
        if deps.demo is not None:
            await deps.demo.ready(runtime)
        await App(page, deps).start()

    return main

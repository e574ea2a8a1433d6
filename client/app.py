"""The app: one ``App`` per Flet session, routing between the shell's screens.

Routes: ``/enroll`` and ``/unlock`` before anyone is signed in; the child group ``/child…``; the
mode switch ``/mode/parent``; the separate parent group ``/parent…``; ``/settings``. The shell
view-model decides which group may be shown (``ShellVM.allowed``); every screen reads the local view
and works offline. A session the server ends (its refresh token refused) takes every tab to the PIN
or password screen at once (``ShellVM.session_ended``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flet as ft

from .config import AppConfig
from .i18n import Catalogs, Translator, load_catalogs, system_locale
from .push import NoPushTokens, PushTokenSource, register_push
from .theme import apply_theme
from .viewmodels.allowance import AllowanceVM
from .viewmodels.base import Tools, utcnow, viewer_timezone
from .viewmodels.device_name import device_name
from .viewmodels.home import HomeVM
from .viewmodels.inbox import InboxVM
from .viewmodels.market import MarketVM, load_index
from .viewmodels.notifications import NotificationSettingsVM
from .viewmodels.parent import (
    ApprovalsVM,
    ChildSettingsVM,
    DashboardVM,
    FamilyVM,
    ParentInboxVM,
    PayoutsVM,
    ServerVM,
)
from .viewmodels.portfolio import PortfolioVM
from .viewmodels.prefs import Prefs
from .viewmodels.settings import SettingsVM
from .viewmodels.shell import ShellVM
from .viewmodels.stock import StockVM
from .viewmodels.trade import TradeVM
from .views.child.allowance import AllowanceView
from .views.child.home import HomeView
from .views.child.inbox import InboxView
from .views.child.market import MarketView
from .views.child.portfolio import PortfolioView
from .views.child.stock import StockView
from .views.child.trade import TradeView
from .views.enroll import EnrollView, UnlockView
from .views.layout import WIDE_PX, is_wide
from .views.mode import StepUpView
from .views.notifications import NotificationSettingsView
from .views.parent import (
    ApprovalsView,
    ChildSettingsView,
    DashboardView,
    FamilyView,
    ParentInboxView,
    PayoutsView,
    ServerView,
)
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
    push_tokens: PushTokenSource = field(default_factory=NoPushTokens)  # a phone build supplies one


class App:
    """One session's composition root: it builds each screen's view-model and hands it, with itself
    as the view's ``Host`` (``client/views/host.py``), to the screen's view."""

    def __init__(self, page: ft.Page, deps: AppDeps) -> None:
        self.page, self.deps = page, deps
        self.config, self.runtime, self.prefs = deps.config, deps.runtime, deps.prefs
        self.build_order, self.build_request = deps.build_order, deps.build_request
        self.index = load_index(Path(self.config.assets_dir) / "market" / "symbols.json")
        locale = (
            deps.locale or self.prefs.locale or system_locale(self.config.locales, self.config.default_locale)
        )
        self.tools = Tools(Translator(deps.catalogs, locale), clock=deps.clock, tz=viewer_timezone(locale))
        platform = page.platform.value if page.platform is not None else None
        self.shell = ShellVM(
            self.runtime,
            self.tools,
            device_name=device_name(self.tools.tr, platform, page.web, page.client_user_agent),
            default_server_url=self.config.default_server_url,
        )
        self.screen: Screen | None = None
        self.current: str | None = None
        self._unsubscribe: Callable[[], None] = lambda: None
        self._push_for: Any = None  # the profile whose push token was registered
        self.wide = is_wide(page)  # a rail and two columns; follows the window (``_on_resize``)

    # -- what a view may ask (``Host``) ---------------------------------------------------
    @property
    def parent_mode(self) -> bool:
        return bool(self.shell.parent_mode)

    def home_route(self) -> str:
        return self.shell.home_route()

    def run_task(self, work: Callable[[], Awaitable[Any]]) -> None:
        self.page.run_task(work)

    def show_dialog(self, dialog: ft.DialogControl) -> None:
        self.page.show_dialog(dialog)

    def pop_dialog(self) -> None:
        self.page.pop_dialog()

    def touch(self) -> None:
        self.shell.touch()

    async def leave_parent_mode(self) -> None:
        await self.shell.leave_parent_mode()

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
        self._register_push()
        return target

    def _register_push(self) -> None:
        """Once per identity opened as this device's own: its push token, if the device has one.
        Parent mode on a child's device registers nothing (the parent's alerts stay off the child's phone)."""
        profile = self.shell.profile
        if profile is None or self.shell.parent_mode or profile is self._push_for:
            return
        self._push_for = profile

        async def register() -> None:
            if await register_push(profile, self.deps.push_tokens) is False and self._push_for is profile:
                self._push_for = None  # no connection now: the next screen tries again

        self.page.run_task(register)

    def _make(self, path: str, query: dict[str, str]) -> Screen:
        segments = path.strip("/").split("/")
        profile, tools, index = self.shell.profile, self.tools, self.index
        match segments:
            case ["enroll"]:
                return EnrollView(self, self.shell)
            case ["unlock"]:
                return UnlockView(self, self.shell)
            case ["settings"]:
                settings = SettingsVM(
                    tools, self.prefs, apply_locale=self.set_locale, apply_dark=self.set_dark
                )
                return SettingsView(self, settings)
            case ["settings", "notifications"]:
                return NotificationSettingsView(
                    self, NotificationSettingsVM(profile, tools, self.deps.push_tokens, self.runtime)
                )
            case ["mode", "parent"]:
                return StepUpView(self, self.shell, demo=self.deps.demo)
            case ["parent", *rest]:
                return self._parent(rest)
            case ["child", "market"]:
                return MarketView(self, MarketVM(profile, tools, index, self.prefs))
            case ["child", "stock", symbol]:
                return StockView(self, StockVM(profile, tools, index, symbol), query.get("from"))
            case ["child", "trade", symbol]:
                side = query.get("side", "buy")
                trade = TradeVM(profile, tools, symbol, side=side, build=self.build_order, index=index)
                return TradeView(self, trade)
            case ["child", "portfolio"]:
                return PortfolioView(self, PortfolioVM(profile, tools, index))
            case ["child", "allowance"]:
                return AllowanceView(self, AllowanceVM(profile, tools, build=self.build_request))
            case ["child", "inbox"]:
                return InboxView(self, InboxVM(profile, tools))
            case _:
                return HomeView(self, HomeVM(profile, tools))

    def _parent(self, rest: list[str]) -> Screen:
        """The parent screen for ``/parent/<rest…>``; anything unknown is the dashboard."""
        profile, tools, runtime = self.shell.profile, self.tools, self.runtime
        match rest:
            case ["approvals"]:
                family = DashboardVM(profile, tools, runtime, self.index)
                return ApprovalsView(self, ApprovalsVM(profile, tools, runtime), family)
            case ["payouts"]:
                return PayoutsView(self, PayoutsVM(profile, tools, runtime))
            case ["devices"]:
                return FamilyView(self, FamilyVM(profile, tools, runtime))
            case ["server"]:
                return ServerView(self, ServerVM(profile, tools, runtime))
            case ["inbox"]:
                return ParentInboxView(self, ParentInboxVM(profile, tools, runtime))
            case ["child", child_id]:
                return ChildSettingsView(self, ChildSettingsVM(profile, tools, runtime, child_id))
            case _:
                return DashboardView(self, DashboardVM(profile, tools, runtime, self.index))

    def _on_resize(self, e: ft.PageResizeEvent) -> None:
        """Crossing the desktop width swaps the bottom bar for a rail (and back)."""
        wide = e.width >= WIDE_PX
        if wide != self.wide:
            self.wide = wide
            if self.screen is not None:
                self.screen.render()

    # -- sessions ---------------------------------------------------------------------------
    def _session_ended(self, identity: Any) -> None:
        route = self.shell.session_ended(identity)
        try:
            self.show(route, force=True)
            self.page.navigate(self.current or "/")
        except RuntimeError:  # this tab is gone (closed, or its session expired)
            self._unsubscribe()

    async def sync_now(self, e: Any = None) -> None:
        """The sync chip: sync now; with no open session, the way to unlock."""
        profile = self.shell.profile
        if profile is None:
            await self.go(self.shell.home_route())
            return
        await profile.sync_now()

    # -- preferences ----------------------------------------------------------------------
    def set_locale(self, locale: str) -> None:
        self.tools.tr.set_locale(locale)
        self.tools.tz = viewer_timezone(locale)
        flutter_locale(self.page, locale)
        self.page.title = self.tools.tr("app.title")
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
        flutter_locale(self.page, self.tools.tr.locale)
        apply_theme(self.page, self.config, dark=self.prefs.dark)
        if not self.page.web:  # a desktop window: the manifest's phone-like size
            self.page.window.width = self.config.window_width
            self.page.window.height = self.config.window_height
        self.page.on_route_change = self._on_route
        self.page.on_resize = self._on_resize
        self._unsubscribe = self.runtime.subscribe(self._session_ended)
        self.page.on_close = lambda e: self._unsubscribe()
        self.show(self.page.route or "/")
        self.page.run_task(self._tick)


# Flutter's own words (a text field's "40 characters remaining", the back button's tooltip, "Show
# password") are read by screen readers too: they follow the app's language, not the browser's.
_FLUTTER_LOCALES = {"ko": ft.Locale("ko", "KR"), "en": ft.Locale("en", "US")}


def flutter_locale(page: ft.Page, locale: str) -> None:
    """Tell Flutter the app's language, so its built-in texts and semantics read in it."""
    page.locale_configuration = ft.LocaleConfiguration(
        supported_locales=list(_FLUTTER_LOCALES.values()),
        current_locale=_FLUTTER_LOCALES.get(locale, _FLUTTER_LOCALES["ko"]),
    )


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

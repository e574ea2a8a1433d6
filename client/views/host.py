"""What a view may ask of the app around it: words, navigation, background work, dialogs, the
window's width, and the parent-mode lock. Views depend on this, never on ``client.app.App`` (which
builds each screen's view-model and hands both to the view)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import flet as ft

from client.viewmodels.base import Tools

__all__ = ["Host"]


class Host(Protocol):
    tools: Tools

    @property
    def wide(self) -> bool:
        """At least ``layout.WIDE_PX``: a navigation rail and two columns."""
        ...

    @property
    def parent_mode(self) -> bool:
        """A child's device showing the parent's screens (after the parent's password)."""
        ...

    def nav(self, route: str) -> Callable[..., Awaitable[None]]:
        """An event handler that goes to ``route``."""
        ...

    async def go(self, route: str) -> None: ...

    def home_route(self) -> str:
        """Where "home" is now (the child's home, the family dashboard, unlock or enrol)."""
        ...

    def run_task(self, work: Callable[[], Awaitable[Any]]) -> None:
        """Slow work off the event handler (loading a chart, following prices)."""
        ...

    def show_dialog(self, dialog: ft.DialogControl) -> None: ...

    def pop_dialog(self) -> None: ...

    async def sync_now(self, e: Any = None) -> None:
        """The sync chip's tap: sync now, or with no open session, the way to unlock."""
        ...

    def touch(self) -> None:
        """Activity in parent mode: pushes its idle lock back."""
        ...

    async def leave_parent_mode(self) -> None: ...

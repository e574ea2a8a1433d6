"""The observable base of every view-model, and what they share: a clock and the translator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from client.i18n import Formatter, Translator

if TYPE_CHECKING:
    from client.engine import SyncStatus
    from client.profile import Identity, LocalView, PendingItem

__all__ = ["Observable", "Profile", "ProfileScreen", "Tools", "utcnow", "viewer_timezone"]


class Profile(Protocol):
    """What a view-model reads and does through one signed-in identity: ``client.profile.Profile``
    on a device, an in-memory twin in tests. Changes go through ``act`` (recorded locally first);
    online-only calls through ``api``."""

    identity: Identity
    api: Any
    charts: dict[tuple[str, str], Any]  # the last chart each screen loaded, shown offline

    def view(self) -> LocalView: ...

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]: ...

    async def act(self, name: str, args: dict[str, Any]) -> PendingItem: ...

    async def cancel_pending(self, seq: int) -> bool: ...

    async def sync_now(self) -> SyncStatus: ...

    async def mark_seen(self, mutation_ids: list[str]) -> None: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


def viewer_timezone(locale: str, device: tzinfo | None = None) -> tzinfo | None:
    """The zone clock times are shown in: the device's own (``None``), except that a device left on
    UTC — a container or a fresh server install, where the web view often runs — shows a
    Korean-speaking family Korean time ("opens tomorrow 09:00", not "00:00")."""
    device = device or datetime.now().astimezone().tzinfo
    if locale == "ko" and device is not None and device.utcoffset(None) == timedelta(0):
        return ZoneInfo("Asia/Seoul")
    return None


class Observable:
    """Listeners are called after every change; views re-render from the view-model's fields."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(fn)

        def unsubscribe() -> None:
            if fn in self._listeners:
                self._listeners.remove(fn)

        return unsubscribe

    def changed(self) -> None:
        for fn in list(self._listeners):
            fn()


@dataclass
class Tools:
    """Text, formatting and the device clock, handed to every view-model."""

    tr: Translator
    clock: Callable[[], datetime] = utcnow
    tz: tzinfo | None = None  # the viewer's timezone for clock times; None is the device's own

    @property
    def fmt(self) -> Formatter:
        return Formatter(self.tr, self.tz)


class ProfileScreen(Observable):
    """A screen's view-model over one profile: it re-reads the local view on every change of the
    profile while attached (the view attaches it when shown and detaches it when disposed)."""

    def __init__(self, profile: Profile, tools: Tools) -> None:
        super().__init__()
        self.profile, self.tools = profile, tools
        self._unsubscribe: Callable[[], None] | None = None
        self.busy = False
        self.error: str | None = None
        self.refresh()

    def attach(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self.profile.subscribe(self._on_change)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_change(self) -> None:
        self.refresh()
        self.changed()

    def refresh(self) -> None:
        self.view = self.profile.view()

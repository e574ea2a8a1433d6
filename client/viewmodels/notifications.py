"""Notification settings: per event the signed-in person hears, the inbox, e-mail and push, as the
family server offers them (``GET /api/notifications/preferences``).

The inbox is the record: it keeps every notification (an opt-in one, the weekly summary, only for
those who chose e-mail or push for it), so it is shown, never switched. A child has no e-mail at
all; a server without a mail server or a push provider offers those switches turned off, and says
why. Online only: the choices live on the server and are followed by its dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import Profile, ProfileScreen, Tools
from .errors import code_of, explain

__all__ = ["EventRow", "NotificationSettingsVM"]


@dataclass(frozen=True)
class EventRow:
    event: str
    label: str
    inbox: bool
    email: bool
    push: bool


class NotificationSettingsVM(ProfileScreen):
    def __init__(self, profile: Profile, tools: Tools, push_tokens: Any = None) -> None:
        self.push_tokens = push_tokens
        self.loaded = False
        self.rows: list[EventRow] = []
        self.opt_in: set[str] = set()
        self.email_column = profile.identity.role == "parent"  # children have no e-mail, not even a switch
        self.email_offered = self.push_offered = False
        self.ntfy: dict[str, str] | None = None
        self.device_push = ""
        self.notice: str | None = None
        super().__init__(profile, tools)

    async def load(self) -> None:
        tr = self.tools.tr
        self.busy, self.error = True, None
        self.changed()
        token = await self.push_tokens.token() if self.push_tokens is not None else None
        self.device_push = tr("notify.device.ready" if token else "notify.device.none")
        try:
            self._take(await self.profile.api.notification_preferences())
            self.loaded = True
        except Exception as exc:
            self.error = self._why(exc)
        finally:
            self.busy = False
            self.changed()

    def _take(self, answer: dict[str, Any]) -> None:
        offers = answer.get("channels") or {}
        self.email_offered = bool(offers.get("email")) and self.email_column
        self.push_offered = bool(offers.get("push"))
        self.opt_in = set(answer.get("opt_in") or ())
        ntfy = answer.get("ntfy")
        self.ntfy = {"server": str(ntfy["server"]), "topic": str(ntfy["topic"])} if ntfy else None
        self.rows = [self._row(event, dict(chosen)) for event, chosen in (answer.get("events") or {}).items()]

    def _row(self, event: str, chosen: dict[str, Any]) -> EventRow:
        tr, key = self.tools.tr, f"notify.event.{event}"
        email, push = bool(chosen.get("email")), bool(chosen.get("push"))
        inbox = event not in self.opt_in or email or push
        return EventRow(event, tr(key) if tr.has(key) else event, inbox, email, push)

    def row(self, event: str) -> EventRow | None:
        return next((r for r in self.rows if r.event == event), None)

    async def choose(self, event: str, channel: str, on: bool) -> bool:
        """Turn ``channel`` (``email`` or ``push``) on or off for ``event``; the server's answer is shown."""
        offered = {"email": self.email_offered, "push": self.push_offered}
        if self.row(event) is None or not offered.get(channel):
            return False
        self.busy, self.error, self.notice = True, None, None
        self.changed()
        try:
            self._take(await self.profile.api.set_notification_preferences({event: {channel: on}}))
            self.notice = self.tools.tr("notify.saved")
        except Exception as exc:
            self.error = self._why(exc)
        finally:
            self.busy = False
            self.changed()
        return self.error is None

    def _why(self, exc: BaseException) -> str:
        code = code_of(exc)
        return self.tools.tr("notify.offline") if code == "OFFLINE" else explain(self.tools.tr, code)

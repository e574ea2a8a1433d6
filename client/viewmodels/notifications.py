"""Notification settings: per event the signed-in person hears, the inbox, e-mail, push and SMS, as
the family server offers them (``GET /api/notifications/preferences``).

The inbox is the record: it keeps every notification (an opt-in one, the weekly summary, only for
those who chose e-mail or push for it), so it is shown, never switched. A child has no e-mail at
all; a server without a mail server or a push provider offers those switches turned off, and says
why. Online only: the choices live on the server and are followed by its dispatcher.

SMS (parents only, where the server has an SMS provider) needs a phone number proved by a code: the
parent types the number and its password (adding one is a step-up change), the server texts a
6-digit code, the parent types it back; then the SMS switches turn on. The number can be removed
(with the password again).
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
    sms: bool = False


class NotificationSettingsVM(ProfileScreen):
    def __init__(self, profile: Profile, tools: Tools, push_tokens: Any = None, runtime: Any = None) -> None:
        self.push_tokens = push_tokens
        self.runtime = runtime  # checks a parent's password (step-up) before a phone number changes
        self.loaded = False
        self.rows: list[EventRow] = []
        self.opt_in: set[str] = set()
        self.email_column = profile.identity.role == "parent"  # children have no e-mail, not even a switch
        self.email_offered = self.push_offered = self.sms_offered = False
        self.phone: dict[str, Any] | None = None  # {"number": masked, "verified"} of a parent
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
        self.sms_offered = bool(offers.get("sms")) and self.email_column  # a parent's, like e-mail
        phone = answer.get("phone")
        self.phone = {"number": str(phone["number"]), "verified": bool(phone["verified"])} if phone else None
        self.opt_in = set(answer.get("opt_in") or ())
        ntfy = answer.get("ntfy")
        self.ntfy = {"server": str(ntfy["server"]), "topic": str(ntfy["topic"])} if ntfy else None
        self.rows = [self._row(event, dict(chosen)) for event, chosen in (answer.get("events") or {}).items()]

    def _row(self, event: str, chosen: dict[str, Any]) -> EventRow:
        tr, key = self.tools.tr, f"notify.event.{event}"
        email, push, sms = bool(chosen.get("email")), bool(chosen.get("push")), bool(chosen.get("sms"))
        inbox = event not in self.opt_in or email or push or sms
        return EventRow(event, tr(key) if tr.has(key) else event, inbox, email, push, sms)

    def row(self, event: str) -> EventRow | None:
        return next((r for r in self.rows if r.event == event), None)

    async def choose(self, event: str, channel: str, on: bool) -> bool:
        """Turn ``channel`` (``email``, ``push``, ``sms``) on or off for ``event``; the server's answer
        is shown. SMS only once the number is verified."""
        offered = {"email": self.email_offered, "push": self.push_offered, "sms": self.sms_ready}
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

    @property
    def sms_ready(self) -> bool:
        return self.sms_offered and self.phone is not None and bool(self.phone["verified"])

    @property
    def code_waiting(self) -> bool:
        return self.phone is not None and not self.phone["verified"]

    async def _call(self, work: Any, notice: str) -> bool:
        self.busy, self.error, self.notice = True, None, None
        self.changed()
        try:
            await work()
            self.notice = self.tools.tr(notice, number=self.phone["number"] if self.phone else "")
        except Exception as exc:
            self.error = self._why(exc)
        finally:
            self.busy = False
            self.changed()
        return self.error is None

    async def _step_up(self, password: str) -> None:
        try:
            await self.runtime.step_up(self.profile, password)
        except Exception as exc:
            if code_of(exc) in ("FORBIDDEN", "UNAUTHENTICATED"):
                raise _Refused("WRONG_PASSWORD") from None
            raise

    async def add_phone(self, number: str, password: str) -> bool:
        """The parent's number and password: a code is texted to the number."""
        if not number.strip() or not password or self.runtime is None:
            self.error = explain(self.tools.tr, "INVALID_ARGS")
            self.changed()
            return False

        async def work() -> None:
            await self._step_up(password)
            self.phone = dict(await self.profile.api.set_phone(number.strip()))

        return await self._call(work, "notify.phone.sent")

    async def verify_phone(self, code: str) -> bool:
        """The code the parent received: the number is verified and the SMS switches turn on."""

        async def work() -> None:
            await self.profile.api.verify_phone(code.strip())
            self._take(await self.profile.api.notification_preferences())

        return await self._call(work, "notify.phone.verified")

    async def remove_phone(self, password: str) -> bool:
        if not password or self.runtime is None:
            self.error = explain(self.tools.tr, "INVALID_ARGS")
            self.changed()
            return False

        async def work() -> None:
            await self._step_up(password)
            await self.profile.api.remove_phone()
            self._take(await self.profile.api.notification_preferences())

        return await self._call(work, "notify.phone.removed")

    def _why(self, exc: BaseException) -> str:
        code = exc.code if isinstance(exc, _Refused) else code_of(exc)
        return self.tools.tr("notify.offline") if code == "OFFLINE" else explain(self.tools.tr, code)


class _Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

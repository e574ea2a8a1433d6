"""Push notifications behind one small interface, with two implementations over HTTP.

- :class:`NtfyPush` — a self-hostable ntfy server (or ntfy.sh). Each user has one topic; ntfy topics
  are readable by anyone who knows the name, so the name is an HMAC of the user id under a server
  key (unguessable, stable) and the app learns it from ``GET /api/notifications/preferences``.
  Publishes with ntfy's JSON form: ``POST <base>/`` ``{"topic", "title", "message", "tags"}``
  (optionally ``Authorization: Bearer <access token>``); ntfy answers 200 with the stored message.
- :class:`FcmPush` — Firebase Cloud Messaging HTTP v1:
  ``POST <base>/v1/projects/<project>/messages:send`` ``{"message": {"token", "notification":
  {"title", "body"}, "data": {…strings…}}}`` with ``Authorization: Bearer <OAuth2 token>``; answers
  ``{"name": "projects/…/messages/…"}``, or ``{"error": {"code", "message", "status"}}`` where
  ``NOT_FOUND``/``UNREGISTERED`` means the app was uninstalled: that token is dropped, not retried.

Both shapes follow the providers' public documentation as we know it (we cannot reach them from
here); tests run them against small local HTTP servers of the same shape.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db.models import Device, PushTarget
from ..settings import Settings
from .inbox import Message

__all__ = [
    "FcmPush",
    "NtfyPush",
    "PushAdapter",
    "PushChannel",
    "PushError",
    "PushNote",
    "push_from_settings",
]

TIMEOUT_S = 10.0


class PushError(Exception):
    """The provider refused or could not be reached; ``gone`` when the target no longer exists."""

    def __init__(self, detail: str, *, gone: bool = False) -> None:
        super().__init__(detail)
        self.gone = gone


@dataclass(frozen=True)
class PushNote:
    title: str
    body: str
    data: Mapping[str, str]


class PushAdapter(Protocol):
    """Where pushes for a user go (``targets``) and how one is sent (``send`` raises :class:`PushError`)."""

    name: str

    def targets(self, session: Session, user_id: str) -> list[str]: ...

    def send(self, target: str, note: PushNote) -> str: ...


def _post(client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    try:
        return client.post(url, json=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as error:
        raise PushError(f"unreachable: {type(error).__name__}") from None


class NtfyPush:
    name = "ntfy"

    def __init__(
        self, base_url: str, topic_key: bytes, token: str | None = None, client: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.topic_key = topic_key
        self.token = token
        self.client = client or httpx.Client()

    def topic(self, user_id: str) -> str:
        return "yongdon-" + hmac.new(self.topic_key, user_id.encode(), hashlib.sha256).hexdigest()[:32]

    def targets(self, session: Session, user_id: str) -> list[str]:
        return [self.topic(user_id)]

    def send(self, target: str, note: PushNote) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"topic": target, "title": note.title, "message": note.body, "tags": ["moneybag"]}
        response = _post(self.client, self.base_url + "/", body, headers)
        if response.status_code != 200:
            raise PushError(f"ntfy answered {response.status_code}")
        return str(response.json().get("id", ""))


class FcmPush:
    name = "fcm"

    def __init__(
        self, base_url: str, project_id: str, access_token: str, client: httpx.Client | None = None
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self.access_token = access_token
        self.client = client or httpx.Client()

    def targets(self, session: Session, user_id: str) -> list[str]:
        """The tokens of the user's devices that still stand: a revoked (lost) phone gets nothing."""
        live = select(PushTarget.token).join(Device, Device.client_id == PushTarget.client_id)
        return list(
            session.scalars(
                live.where(
                    PushTarget.user_id == user_id, Device.user_id == user_id, Device.revoked_at.is_(None)
                )
            )
        )

    def send(self, target: str, note: PushNote) -> str:
        message = {
            "token": target,
            "notification": {"title": note.title, "body": note.body},
            "data": dict(note.data),  # FCM data values must be strings
        }
        headers = {"Authorization": f"Bearer {self.access_token}"}
        response = _post(self.client, self.url, {"message": message}, headers)
        if response.status_code == 200:
            return str(response.json().get("name", ""))
        try:
            status = str(response.json().get("error", {}).get("status", ""))
        except ValueError:
            status = ""
        raise PushError(
            f"fcm answered {response.status_code} {status}", gone=status in {"NOT_FOUND", "UNREGISTERED"}
        )


def note_of(message: Message) -> PushNote:
    data = {k: str(v) for k, v in message.data.items() if v is not None}
    return PushNote(title=message.title, body=message.body, data=data)


@dataclass
class _Pushes:
    targets: list[str]
    note: PushNote
    gone: list[str] = field(default_factory=list)


class PushChannel:
    """The dispatcher's push channel over one adapter (a remote channel: sent after the commit).
    Children get pushes too, in the child's words (the dispatcher words them for the recipient)."""

    name = "push"
    remote = True

    def __init__(self, adapter: PushAdapter) -> None:
        self.adapter = adapter

    def reaches(self, session: Session, user_id: str, role: str) -> bool:
        return bool(self.adapter.targets(session, user_id))

    def prepare(self, session: Session, message: Message) -> _Pushes | None:
        targets = self.adapter.targets(session, message.user_id)
        return _Pushes(targets, note_of(message)) if targets else None

    def send(self, prepared: _Pushes) -> None:
        # a retry after a partial failure pushes to every device again: a repeated push beats a lost one
        failures = []
        for target in prepared.targets:
            try:
                self.adapter.send(target, prepared.note)
            except PushError as error:
                if error.gone:
                    prepared.gone.append(target)
                else:
                    failures.append(str(error))
        if failures:
            raise PushError("; ".join(failures))

    def settle(self, session: Session, prepared: _Pushes) -> None:
        if prepared.gone:  # the app was uninstalled: forget the token instead of retrying it
            session.execute(delete(PushTarget).where(PushTarget.token.in_(prepared.gone)))


def push_from_settings(settings: Settings, topic_key: bytes) -> PushAdapter | None:
    if settings.push_provider == "ntfy":
        return NtfyPush(settings.ntfy_url, topic_key, settings.ntfy_token)
    if settings.push_provider == "fcm" and settings.fcm_project_id and settings.fcm_access_token:
        return FcmPush(settings.fcm_url, settings.fcm_project_id, settings.fcm_access_token)
    return None

"""Wire shapes of the notification routes: the inbox, the channel preferences and the test messages.

Times are ISO 8601 strings as the change log stores them (``+00:00``), so a notification reads the
same in ``GET /api/notifications`` and in a pull.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "DeliveryChannels",
    "EventChannels",
    "Inbox",
    "NotificationView",
    "NtfyTopic",
    "PhoneView",
    "Preferences",
    "PushTokenAnswer",
    "EmailSent",
    "PushSent",
]


class NotificationView(msgspec.Struct, kw_only=True):
    notification_id: str
    user_id: str
    child_id: str | None
    event: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: str
    read_at: str | None


class Inbox(msgspec.Struct, kw_only=True):
    notifications: list[NotificationView]
    unread: int


class EventChannels(msgspec.Struct, kw_only=True):
    email: bool
    push: bool
    sms: bool = False


class DeliveryChannels(msgspec.Struct, kw_only=True):
    """What this server delivers to the caller besides the inbox (``sms``: a provider is configured
    and the caller is a parent; it reaches the parent once its number is verified)."""

    email: bool
    push: bool
    sms: bool = False


class PhoneView(msgspec.Struct, kw_only=True):
    """A parent's phone number for SMS as the app shows it (masked: ``010-****-5678``)."""

    number: str
    verified: bool


class NtfyTopic(msgspec.Struct, kw_only=True):
    server: str
    topic: str


class Preferences(msgspec.Struct, kw_only=True):
    events: dict[str, EventChannels]
    channels: DeliveryChannels
    opt_in: list[str]
    # only when the push provider is ntfy (the app subscribes to this topic); absent otherwise
    ntfy: NtfyTopic | UnsetType = UNSET
    # a parent's number for SMS, when it added one; absent otherwise (always for a child)
    phone: PhoneView | UnsetType = UNSET


class PushTokenAnswer(msgspec.Struct, kw_only=True):
    registered: bool
    provider: str | None


class PushSent(msgspec.Struct, kw_only=True):
    sent: int
    provider: str
    user_id: str


class EmailSent(msgspec.Struct, kw_only=True):
    sent: int
    user_id: str

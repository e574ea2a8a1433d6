"""The inbox channel and the inbox itself: per-user notifications, synced through the change log.

A notification's change-log row is scoped like the notification: a child's to that child (its
parents see it too), a parent's to that parent alone (audience ``p:<user id>``, which no child's
pull ever asks for; see ``server.replication.pull``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import Notification
from ..game.writer import log_change
from ..ids import new_id
from .schemas import Inbox, NotificationView

__all__ = [
    "ENTITY",
    "PLAIN_ROWS",
    "InboxChannel",
    "Message",
    "audience_of",
    "inbox",
    "mark_read",
    "notification_data",
    "notification_view",
    "parent_audience",
]

ENTITY = "notification"
PLAIN_ROWS = "yongdon_plain_rows"
"""An execution option: the plain rows of a change-log insert whose rows were sealed beforehand
(the dispatcher's chunks). The live channel offers a new inbox item to its owner's sockets from
them; from the sealed rows it would send ciphertext."""
_PARENT_PREFIX = "p:"  # "p:" + a 36-character id fits the change log's 40-character audience


@dataclass(frozen=True)
class Message:
    """One event worded for one recipient: what every channel delivers."""

    outbox_id: int
    family_id: str
    child_id: str | None
    event: str
    user_id: str
    role: str
    title: str
    body: str
    data: dict[str, Any]


def parent_audience(user_id: str) -> str:
    """The change-log audience of rows only this parent may pull."""
    return _PARENT_PREFIX + user_id


def audience_of(role: str, user_id: str) -> str:
    return user_id if role == "child" else parent_audience(user_id)


def notification_view(row: Notification | Mapping[str, Any]) -> NotificationView:
    """The notification as the pull and ``GET /api/notifications`` carry it (from its row, or from
    the row's values before it is written: the dispatcher writes many with one statement)."""
    get = row.get if isinstance(row, Mapping) else row.__getattribute__
    read_at = get("read_at")
    return NotificationView(
        notification_id=get("id"),
        user_id=get("user_id"),
        child_id=get("child_id"),
        event=get("event"),
        title=get("title"),
        body=get("body"),
        data=get("data"),
        created_at=get("created_at").astimezone(UTC).isoformat(),
        read_at=read_at.astimezone(UTC).isoformat() if read_at else None,
    )


def notification_data(row: Notification | Mapping[str, Any]) -> dict[str, Any]:
    """The same as plain data, for the change log (one shape for both)."""
    data: dict[str, Any] = msgspec.to_builtins(notification_view(row))
    return data


class InboxChannel:
    """Delivers by inserting the notification and its change-log row in the dispatcher's transaction."""

    name = "inbox"

    def deliver(self, session: Session, message: Message, now: datetime) -> None:
        row = Notification(
            id=new_id(),
            family_id=message.family_id,
            user_id=message.user_id,
            child_id=message.child_id,
            event=message.event,
            title=message.title[:200],
            body=message.body[:500],
            data=message.data,
            created_at=now,
            read_at=None,
        )
        session.add(row)
        session.flush()
        audience = audience_of(message.role, message.user_id)
        log_change(session, message.family_id, audience, ENTITY, row.id, notification_data(row), now)


def inbox(session: Session, user_id: str, limit: int) -> Inbox:
    """The user's notifications, newest first, and how many are unread."""
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    unread = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return Inbox(notifications=[notification_view(r) for r in rows], unread=int(unread or 0))


def mark_read(session: Session, row: Notification, role: str, now: datetime) -> Notification:
    """Mark a notification read (once; a second call keeps the first time). Whose it is, the
    gateway has checked (``notification.read``: the caller's own, another's does not exist)."""
    if row.read_at is None:
        row.read_at = now
        session.flush()
        data = notification_data(row)
        log_change(session, row.family_id, audience_of(role, row.user_id), ENTITY, row.id, data, now)
    return row

"""Inbox: the synced notifications, and every order or request the server changed or refused,
explained ("explained, not silently swapped").

Notifications arrive through the pull in the server's shape (``server.notify.inbox.notification_data``:
``notification_id``, ``user_id``, ``event``, ``title``, ``body``, ``data``, ``created_at``,
``read_at``). Each is worded when shown, in the reader's language of that moment, from the facts it
carries (``notices.word``); one stored before facts existed shows its stored text. A parent's pull
also carries its children's own notifications (worded for the child): an inbox shows
only the signed-in person's. The parent's inbox (``viewmodels/parent/inbox.py``) reads them the same way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .base import Profile, Tools
from .child import ChildScreen
from .errors import explain
from .glossary import Gloss, about_event
from .notices import word

__all__ = [
    "InboxVM",
    "Item",
    "mark_notifications_read",
    "my_notifications",
    "notification_item",
    "unread_count",
]


@dataclass(frozen=True)
class Item:
    key: str  # the notification id, or the mutation id of an explained outcome
    title: str
    body: str
    unread: bool
    kind: str  # notification | outcome
    event: str = ""
    when: str = ""  # "5 min ago · today 09:12"
    gloss: Gloss | None = None  # 배당/분할 explained with what happened to the child's shares


def my_notifications(view: Any) -> list[dict[str, Any]]:
    """The signed-in person's own notifications, newest first (the view keeps them in that order)."""
    me = view.me.user_id
    return [n for n in view.notifications if n.get("user_id") == me and n.get("notification_id")]


def unread_count(view: Any) -> int:
    return sum(1 for n in my_notifications(view) if not n.get("read_at"))


def notification_item(n: dict[str, Any], tools: Tools, now: datetime, role: str = "child") -> Item:
    """One notification worded for a reader of ``role``, with how long ago and when it came."""
    when = ""
    with contextlib.suppress(KeyError, TypeError, ValueError):  # a row without a time shows none
        at = datetime.fromisoformat(str(n["created_at"]))
        when = f"{tools.fmt.ago(now - at)} · {tools.fmt.when(at, now)}"
    title, body = word(n, role, tools)
    return Item(
        str(n["notification_id"]),
        title,
        body,
        not n.get("read_at"),
        "notification",
        str(n.get("event", "")),
        when,
        about_event(tools, str(n.get("event", "")), body) if role == "child" else None,
    )


async def mark_notifications_read(profile: Profile, ids: list[str]) -> bool:
    """Online only; True when every one was marked. The marks come back with a pull (done right
    away, once); offline they simply stay unread."""
    sent = 0
    with contextlib.suppress(Exception):  # ApiError, e.g. OFFLINE: the rest stay unread
        for notification_id in ids:
            await profile.api.mark_notification_read(notification_id)
            sent += 1
    if sent:
        with contextlib.suppress(Exception):  # a failed pull only delays the bold titles
            await profile.sync_now()
    return sent == len(ids)


class InboxVM(ChildScreen):
    def refresh(self) -> None:
        super().refresh()
        tr = self.tools.tr
        self.outcome_items = [
            Item(
                key=o.mutation_id,
                title=tr(f"inbox.outcome.{o.status}", what=tr(f"inbox.what.{o.name.split('/')[0]}")),
                body=explain(tr, o.code) if o.status == "rejected" else tr("inbox.adjusted_body"),
                unread=not o.seen,
                kind="outcome",
            )
            for o in self.view.outcomes
        ]
        now = self.server_now()
        self.notification_items = [notification_item(n, self.tools, now) for n in my_notifications(self.view)]
        self.items = self.outcome_items + self.notification_items  # ``unread``: ChildScreen
        self.empty_note = tr("inbox.empty") if not self.items else None

    async def mark_outcomes_seen(self) -> None:
        unseen = [o.mutation_id for o in self.view.outcomes if not o.seen]
        if unseen:
            await self.profile.mark_seen(unseen)

    async def mark_read(self, notification_id: str) -> bool:
        return await mark_notifications_read(self.profile, [notification_id])

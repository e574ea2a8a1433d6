"""Inbox: the synced notifications, and every order or request the server changed or refused,
explained ("explained, not silently swapped")."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from .child import ChildScreen
from .errors import explain

__all__ = ["InboxVM", "Item"]


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    body: str
    unread: bool
    kind: str  # notification | outcome


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
        self.notification_items = [
            Item(
                str(n.get("id")),
                str(n.get("title", "")),
                str(n.get("body", "")),
                not n.get("read_at"),
                "notification",
            )
            for n in self.view.notifications
        ]
        self.items = self.outcome_items + self.notification_items
        self.unread = sum(1 for i in self.items if i.unread)
        self.empty_note = tr("inbox.empty") if not self.items else None

    async def mark_outcomes_seen(self) -> None:
        unseen = [o.mutation_id for o in self.view.outcomes if not o.seen]
        if unseen:
            await self.profile.mark_seen(unseen)

    async def mark_read(self, notification_id: str) -> bool:
        """Online only: the read mark comes back with the next pull (done right away)."""
        try:
            await self.profile.api.mark_notification_read(notification_id)
        except Exception:  # ApiError, e.g. OFFLINE: it simply stays unread
            return False
        with contextlib.suppress(Exception):  # a failed pull only delays the bold title
            await self.profile.sync_now()
        return True

"""The parent's inbox: the parent's own notifications from the local view (synced by the pull), with
the security alerts marked, a way to the screen that acts on each, and the unread count.

Reading works offline; marking read needs the connection (the mark comes back with the next pull).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base import Profile, Tools
from ..inbox import Item, mark_notifications_read, my_notifications, notification_item
from .base import ParentRuntime, ParentScreen

__all__ = ["ACT_ON", "ALERTS", "Note", "ParentInboxVM"]

# the family's security: a new device, a replayed sign-in, a locked PIN — shown apart, in red
ALERTS = frozenset({"SecurityAlert", "DeviceEnrolled"})
# where a parent acts on what a notification says
ACT_ON = {
    "AllowanceRequested": "/parent/approvals",
    "TradeApprovalRequested": "/parent/approvals",
    "AllowanceApprovalNeeded": "/parent/approvals",
    "AllowanceApproved": "/parent/payouts",
    "SecurityAlert": "/parent/devices",
    "DeviceEnrolled": "/parent/devices",
}


@dataclass(frozen=True)
class Note:
    item: Item
    alert: bool
    route: str | None  # the screen that acts on it


class ParentInboxVM(ParentScreen):
    def __init__(self, profile: Profile, tools: Tools, runtime: ParentRuntime | None = None) -> None:
        self.notes: list[Note] = []
        super().__init__(profile, tools, runtime)

    def refresh(self) -> None:
        super().refresh()
        now = self.server_now()
        items = [notification_item(n, self.tools, now, "parent") for n in my_notifications(self.view)]
        self.notes = [Note(i, i.event in ALERTS, ACT_ON.get(i.event)) for i in items]
        self.unread = sum(1 for n in self.notes if n.item.unread)
        self.empty_note = self.tools.tr("parent.inbox.empty") if not self.notes else None

    async def mark_read(self, notification_id: str) -> bool:
        return await self._mark([notification_id])

    async def mark_all_read(self) -> bool:
        return await self._mark([n.item.key for n in self.notes if n.item.unread])

    async def _mark(self, ids: list[str]) -> bool:
        if not ids:
            return True
        self._start()
        done = await mark_notifications_read(self.profile, ids)
        if not done:
            self.error = self.tools.tr("parent.inbox.read_offline")
        self._done()
        return done

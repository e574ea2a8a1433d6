"""What every child screen reads: the signed-in child's book, quotes and summary from the local view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.book import MemoryBook
from sync.market import Quote
from sync.portfolio import Summary, summarise

from .base import ProfileScreen

__all__ = ["ChildScreen"]


class ChildScreen(ProfileScreen):
    """Base of the child view-models: the signed-in child's book, quotes and summary."""

    # -- shared reads ---------------------------------------------------------------------
    @property
    def me(self) -> Any:
        return self.view.me

    @property
    def book(self) -> MemoryBook:
        # right after enrolment, before the first pull, there is no book yet: show an empty one
        return self.view.books.get(self.me.user_id) or MemoryBook(child_id=self.me.user_id)

    def quote(self, symbol: str) -> Quote | None:
        return self.view.quotes.get(symbol) or self.book.latest_quote(symbol)

    def summary(self) -> Summary:
        return summarise(self.book, self.quote)

    def server_now(self) -> datetime:
        """The device's estimate of the server clock (quotes' ages are measured on it)."""
        return self.tools.clock() + self.view.status.server_offset

    @property
    def unread(self) -> int:
        """What waits in the inbox: unread notifications and outcomes not yet seen (the tab's badge)."""
        me = self.me.user_id
        notes = sum(
            1
            for n in self.view.notifications
            if n.get("user_id") == me and n.get("notification_id") and not n.get("read_at")
        )
        return notes + sum(1 for o in self.view.outcomes if not o.seen)

    def pending_trade_ids(self) -> set[str]:
        return {str(p.args["trade_id"]) for p in self.view.pending if p.args.get("trade_id")}

    def pending_request_ids(self) -> set[str]:
        return {str(p.args["request_id"]) for p in self.view.pending if p.args.get("request_id")}

"""Inbox: notifications and explained rejections or adjustments."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.inbox import InboxVM

from ..host import Host
from ..screen import ChildScreenView
from ..widgets import card, muted
from .glossary import glossed


class InboxView(ChildScreenView):
    route = "/child/inbox"
    title_key = "nav.inbox"
    tab = 4

    def __init__(self, host: Host, vm: InboxVM) -> None:
        super().__init__(host, vm)

    def mounted(self) -> None:
        # the child has now seen the explanations: the badge stops counting them
        self.host.run_task(self.vm.mark_outcomes_seen)

    def _read(self, notification_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            await self.vm.mark_read(notification_id)

        return handler

    def controls(self) -> list[ft.Control]:
        out: list[ft.Control] = []
        for item in self.vm.items:
            icon = ft.Icons.INFO if item.kind == "outcome" else ft.Icons.NOTIFICATIONS
            weight = ft.FontWeight.BOLD if item.unread else ft.FontWeight.NORMAL
            lines: list[ft.Control] = [
                ft.Row([ft.Icon(icon), ft.Text(item.title, size=18, weight=weight, expand=True)]),
                glossed(self.host, ft.Text(item.body, size=16), item.gloss, f"inbox-info-{item.key}"),
            ]
            if item.when:
                lines.append(muted(item.when))
            body = card(*lines, identifier=f"inbox-{item.key}")
            if item.kind == "notification" and item.unread:  # a tap marks it read (online)
                body = ft.GestureDetector(body, on_tap=self._read(item.key))
            out.append(body)
        if self.vm.empty_note:
            out.append(muted(self.vm.empty_note))
        return out

"""The parent's inbox: its own notifications (security alerts apart, in red), each with the way to the
screen that acts on it; marking read needs the connection."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.parent.inbox import Note, ParentInboxVM

from ..host import Host
from ..widgets import card, heading, muted, tid
from .base import ParentScreenView


class ParentInboxView(ParentScreenView):
    route = "/parent/inbox"
    title_key = "parent.nav.inbox"
    tab = 5

    vm: ParentInboxVM

    def __init__(self, host: Host, vm: ParentInboxVM) -> None:
        super().__init__(host, vm)

    def _read(self, note: Note) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.mark_read(note.item.key)

        return handler

    def _open(self, note: Note) -> Any:
        async def handler(e: Any = None) -> None:
            if note.item.unread:
                await self.vm.mark_read(note.item.key)  # offline it stays unread; the way still opens
            if note.route:
                await self.host.go(note.route)

        return handler

    def _card(self, note: Note) -> ft.Control:
        item, tr = note.item, self.tr
        tone = ft.Colors.ERROR if note.alert else None
        icon = ft.Icon(ft.Icons.SHIELD if note.alert else ft.Icons.NOTIFICATIONS, color=tone)
        weight = ft.FontWeight.BOLD if item.unread else ft.FontWeight.NORMAL
        title = ft.Text(item.title, size=18, weight=weight, expand=True, color=tone)
        status = tr("parent.inbox.unread" if item.unread else "parent.inbox.read")
        lines: list[ft.Control] = [  # the texts are semantics nodes of their own: read out, findable
            ft.Row([icon, tid(f"note-title-{item.key}", title)]),
            tid(f"note-body-{item.key}", ft.Text(item.body, size=16)),
            muted(f"{item.when} · {status}" if item.when else status),
        ]
        actions: list[ft.Control] = []
        if note.route:
            where = tr(f"parent.inbox.open.{note.route.rsplit('/', 1)[-1]}")
            actions.append(tid(f"open-{item.key}", ft.TextButton(where, on_click=self._open(note))))
        if item.unread:
            mark = ft.TextButton(tr("parent.inbox.mark_read"), on_click=self._read(note))
            actions.append(tid(f"read-{item.key}", mark))
        if actions:
            lines.append(ft.Row(actions, wrap=True))
        return card(*lines, identifier=f"note-{item.key}")

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        count = tr("parent.inbox.heading", n=vm.unread)
        out: list[ft.Control] = [tid("inbox-unread", heading(count))]
        if vm.unread > 1:
            label = tr("parent.inbox.read_all")
            out.append(self.button(label, self._read_all, "inbox-read-all", primary=False))
        alerts = sum(1 for n in vm.notes if n.alert and n.item.unread)
        if alerts:
            warning = ft.Text(
                tr("parent.inbox.alerts", n=alerts), size=16, color=ft.Colors.ERROR, weight=ft.FontWeight.BOLD
            )
            out.append(tid("inbox-alerts", warning))
        out.extend(self._card(n) for n in vm.notes)
        if vm.empty_note:
            out.append(tid("inbox-empty", muted(vm.empty_note, size=16)))
        return out

    async def _read_all(self, e: Any = None) -> None:
        self.host.touch()
        await self.vm.mark_all_read()

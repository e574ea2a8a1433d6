"""Notification settings (``/settings/notifications``): per event, the inbox, e-mail (parents) and
push, as the family server offers them; and what this device does about push."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.notifications import EventRow, NotificationSettingsVM

from .host import Host
from .screen import Screen
from .widgets import card, heading, muted, tid


class NotificationSettingsView(Screen):
    route = "/settings/notifications"

    def __init__(self, host: Host, vm: NotificationSettingsVM) -> None:
        super().__init__(host, vm)

    def chrome(self) -> None:
        back = ft.IconButton(
            ft.Icons.ARROW_BACK, tooltip=self.tr("action.back"), on_click=self.host.nav("/settings")
        )
        self.view.appbar = ft.AppBar(title=ft.Text(self.tr("notify.title")), leading=tid("back", back))

    def mounted(self) -> None:
        self.host.run_task(self.vm.load)

    def _choose(self, event: str, channel: str) -> Any:
        async def handler(e: Any) -> None:
            await self.vm.choose(event, channel, bool(e.control.value))

        return handler

    def _switch(self, row: EventRow, channel: str, offered: bool) -> ft.Control:
        label = self.tr(f"notify.channel.{channel}")
        value = getattr(row, channel)
        switch = ft.Switch(
            label=label,
            value=value,
            disabled=not offered or self.vm.busy,
            on_change=self._choose(row.event, channel),
        )
        state = self.tr("notify.on" if value else "notify.off")
        return tid(f"{channel}-{row.event}", switch, label=f"{row.label}: {label} {state}")

    def _row(self, row: EventRow) -> ft.Control:
        vm, tr = self.vm, self.tr
        inbox_icon = ft.Icons.CHECK_CIRCLE if row.inbox else ft.Icons.REMOVE_CIRCLE_OUTLINE
        inbox = ft.Row(
            [ft.Icon(inbox_icon, size=20), ft.Text(tr("notify.channel.inbox"), size=15)], spacing=4
        )
        state = tr("notify.on" if row.inbox else "notify.off")
        channels: list[ft.Control] = [
            tid(f"inbox-{row.event}", inbox, label=f"{tr('notify.channel.inbox')} {state}")
        ]
        if vm.email_column:
            channels.append(self._switch(row, "email", vm.email_offered))
        channels.append(self._switch(row, "push", vm.push_offered))
        title = ft.Text(row.label, size=17, weight=ft.FontWeight.BOLD)
        return card(
            title, ft.Row(channels, wrap=True, spacing=16, run_spacing=4), identifier=f"notify-{row.event}"
        )

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = []
        if vm.busy and not vm.loaded:
            out.append(tid("notify-busy", ft.ProgressRing(), label=tr("parent.working")))
        if vm.error:
            out.append(tid("notify-error", ft.Text(vm.error, color=ft.Colors.ERROR, size=16)))
        if vm.notice:
            out.append(tid("notify-notice", ft.Text(vm.notice, size=16, weight=ft.FontWeight.BOLD)))
        if vm.loaded:
            out.append(muted(tr("notify.about"), size=15))
            if vm.email_column and not vm.email_offered:
                out.append(tid("notify-no-email", muted(tr("notify.no_email"), size=15)))
            if not vm.push_offered:
                out.append(tid("notify-no-push", muted(tr("notify.no_push"), size=15)))
            out.extend(self._row(r) for r in vm.rows)
        out.append(heading(tr("notify.device.heading")))
        if vm.device_push:
            out.append(tid("notify-device", ft.Text(vm.device_push, size=16)))
        if vm.ntfy:
            ntfy = tr("notify.ntfy", server=vm.ntfy["server"], topic=vm.ntfy["topic"])
            out.append(tid("notify-ntfy", ft.Text(ntfy, size=16, selectable=True)))
        return out

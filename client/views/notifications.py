"""Notification settings (``/settings/notifications``): per event, the inbox, e-mail and SMS (parents)
and push, as the family server offers them; a parent's phone number for SMS (added with the password,
proved by a texted code, removable); and what this device does about push."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.notifications import EventRow, NotificationSettingsVM

from .host import Host
from .parent.base import TextFields
from .screen import Screen
from .widgets import big_button, card, heading, muted, tid


class NotificationSettingsView(Screen):
    route = "/settings/notifications"

    def __init__(self, host: Host, vm: NotificationSettingsVM) -> None:
        super().__init__(host, vm)
        self.fields = TextFields()

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
        if vm.sms_offered:
            channels.append(self._switch(row, "sms", vm.sms_ready))
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
            if vm.email_column and not vm.sms_offered:
                out.append(tid("notify-no-sms", muted(tr("notify.no_sms"), size=15)))
            if vm.sms_offered:
                out.append(self._phone())
            out.extend(self._row(r) for r in vm.rows)
        out.append(heading(tr("notify.device.heading")))
        if vm.device_push:
            out.append(tid("notify-device", ft.Text(vm.device_push, size=16)))
        if vm.ntfy:
            ntfy = tr("notify.ntfy", server=vm.ntfy["server"], topic=vm.ntfy["topic"])
            out.append(tid("notify-ntfy", ft.Text(ntfy, size=16, selectable=True)))
        return out

    # -- a parent's phone number for SMS ----------------------------------------------------------
    def _field(self, key: str, label: str, **kw: Any) -> ft.Control:
        return tid(key, self.fields.get(key, label, lambda text: None, **kw))

    def _text(self, key: str) -> str:
        return self.fields.value(key)

    def _phone(self) -> ft.Control:
        vm, tr = self.vm, self.tr
        parts: list[ft.Control] = [ft.Text(tr("notify.phone.heading"), size=17, weight=ft.FontWeight.BOLD)]
        number = vm.phone["number"] if vm.phone else ""
        password = {"password": True, "can_reveal_password": True}
        if vm.sms_ready:
            parts.append(tid("phone-state", ft.Text(tr("notify.phone.current", number=number), size=16)))
            parts.append(self._field("phone-password", tr("notify.phone.password"), **password))
            parts.append(
                big_button(
                    tr("notify.phone.remove"), self._remove, "phone-remove", primary=False, disabled=vm.busy
                )
            )
            return card(*parts, identifier="notify-phone")
        parts.append(muted(tr("notify.phone.about"), size=15))
        if vm.code_waiting:
            parts.append(tid("phone-state", ft.Text(tr("notify.phone.waiting", number=number), size=16)))
            parts.append(
                self._field(
                    "phone-code", tr("notify.phone.code"), keyboard_type=ft.KeyboardType.NUMBER, max_length=6
                )
            )
            parts.append(
                big_button(tr("notify.phone.verify"), self._verify, "phone-verify", disabled=vm.busy)
            )
        parts.append(
            self._field(
                "phone-number", tr("notify.phone.number"), keyboard_type=ft.KeyboardType.PHONE, max_length=20
            )
        )
        parts.append(self._field("phone-password", tr("notify.phone.password"), **password))
        primary = not vm.code_waiting
        parts.append(
            big_button(tr("notify.phone.send"), self._send, "phone-send", primary=primary, disabled=vm.busy)
        )
        return card(*parts, identifier="notify-phone")

    async def _send(self, e: Any = None) -> None:
        if await self.vm.add_phone(self._text("phone-number"), self._text("phone-password")):
            self.fields.clear("phone-number", "phone-password", "phone-code")
        else:
            self.fields.clear("phone-password")  # a password is never kept on screen after a try
        self.render()

    async def _verify(self, e: Any = None) -> None:
        await self.vm.verify_phone(self._text("phone-code"))
        self.fields.clear("phone-code")
        self.render()

    async def _remove(self, e: Any = None) -> None:
        await self.vm.remove_phone(self._text("phone-password"))
        self.fields.clear("phone-password")
        self.render()

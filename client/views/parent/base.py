"""Parent-mode chrome: the title, the sync state, the way back to the child (on a child's device),
the parent tab bar, and the step-up password prompt any parent screen may need."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.inbox import unread_count
from client.viewmodels.parent.base import ParentScreen
from client.viewmodels.sync_chip import connection_banner, sync_chip

from ..host import Host
from ..screen import Screen, offline_banner
from ..widgets import big_button, chip, tid

__all__ = ["INBOX_TAB", "PARENT_TABS", "ParentScreenView", "TextFields"]

PARENT_TABS = (
    ("/parent", "parent.nav.family", ft.Icons.FAMILY_RESTROOM),
    ("/parent/approvals", "parent.nav.approvals", ft.Icons.FACT_CHECK),
    ("/parent/payouts", "parent.nav.payouts", ft.Icons.PAYMENTS),
    ("/parent/devices", "parent.nav.devices", ft.Icons.DEVICES),
    ("/parent/server", "parent.nav.server", ft.Icons.DNS),
    ("/parent/inbox", "parent.nav.inbox", ft.Icons.NOTIFICATIONS),
)
INBOX_TAB = len(PARENT_TABS) - 1


class TextFields:
    """Text fields that survive re-renders (a rebuilt field would drop what the parent is typing)."""

    def __init__(self) -> None:
        self._fields: dict[str, ft.TextField] = {}

    def get(self, key: str, label: str, on_change: Any, **kw: Any) -> ft.TextField:
        tf = self._fields.get(key)
        if tf is None:
            tf = ft.TextField(
                label=label, text_size=18, on_change=lambda e: on_change(e.control.value or ""), **kw
            )
            self._fields[key] = tf
        tf.label = label  # follows a language switch
        return tf

    def value(self, key: str) -> str:
        """What the field ``key`` holds now (empty when it was never shown)."""
        tf = self._fields.get(key)
        return str(tf.value or "") if tf is not None else ""

    def clear(self, *keys: str) -> None:
        """Forget the fields: the next render makes empty new ones. Setting ``value = ""`` on the
        old ones did not reach the browser (what the parent typed came from there, so Flet's diff
        against what it last sent saw no change) and a child just added stayed in the form."""
        for key in keys:
            self._fields.pop(key, None)


class ParentScreenView(Screen):
    title_key = "mode.parent"
    tab: int | None = 0
    back: str | None = None

    vm: ParentScreen

    def __init__(self, host: Host, vm: ParentScreen) -> None:
        super().__init__(host, vm)
        self.fields = TextFields()
        self.password = ft.TextField(
            label=self.tr("parent.stepup.password"),
            password=True,
            can_reveal_password=True,
            text_size=20,
        )
        vm.attach()

    def clear_fields(self, *keys: str) -> None:
        """Empty these fields on screen now (after what they held was sent)."""
        self.fields.clear(*keys)
        self.render()

    def title(self) -> str:
        return self.tr(self.title_key)

    # -- chrome ---------------------------------------------------------------------------
    def chrome(self) -> None:
        status = self.vm.view.status
        text, tone = sync_chip(status, self.host.tools)
        actions: list[ft.Control] = [chip(text, tone)]
        if self.host.parent_mode:  # a child's device: the way back
            actions.append(
                tid(
                    "leave-parent-mode",
                    ft.IconButton(ft.Icons.CHILD_CARE, tooltip=self.tr("mode.child"), on_click=self._leave),
                )
            )
        actions.append(
            tid(
                "open-settings",
                ft.IconButton(
                    ft.Icons.SETTINGS, tooltip=self.tr("action.settings"), on_click=self.host.nav("/settings")
                ),
            )
        )
        leading = None
        if self.back:
            leading = tid(
                "back",
                ft.IconButton(
                    ft.Icons.ARROW_BACK, tooltip=self.tr("action.back"), on_click=self.host.nav(self.back)
                ),
            )
        self.view.appbar = ft.AppBar(
            title=ft.Text(self.title()),
            leading=leading,
            actions=actions,
            bgcolor=ft.Colors.SECONDARY_CONTAINER,
        )
        unread = unread_count(self.vm.view)  # the inbox tab shows how many wait to be read
        self.view.navigation_bar = ft.NavigationBar(
            destinations=[
                ft.NavigationBarDestination(
                    icon=ft.Icon(icon, badge=str(unread)) if i == INBOX_TAB and unread else icon,
                    label=self.tr(key),
                )
                for i, (_, key, icon) in enumerate(PARENT_TABS)
            ],
            selected_index=self.tab if self.tab is not None else 0,
            on_change=self._tab,
        )

    async def _tab(self, e: ft.Event[ft.NavigationBar]) -> None:
        index = int(e.data) if e.data is not None else (e.control.selected_index or 0)
        await self.host.go(PARENT_TABS[index][0])

    async def _leave(self, e: Any = None) -> None:
        self.vm.leaving()
        await self.host.leave_parent_mode()
        await self.host.go(self.host.home_route())

    def top(self) -> list[ft.Control]:
        """The offline banner, as on the child's screens, in a parent's words."""
        view = self.vm.view
        words = connection_banner(view.status, view.pending, self.host.tools, parent=True)
        return [offline_banner(words)] if words else []

    # -- the screen -----------------------------------------------------------------------
    def controls(self) -> list[ft.Control]:
        vm = self.vm
        out: list[ft.Control] = []
        if vm.ask_step_up or vm.queue_needs_step_up:
            out.append(self._step_up())
        if vm.busy:
            out.append(tid("parent-busy", ft.ProgressRing(), label=self.tr("parent.working")))
        if vm.error:
            out.append(tid("parent-error", ft.Text(vm.error, color=ft.Colors.ERROR, size=16)))
        if vm.notice:
            out.append(tid("parent-notice", ft.Text(vm.notice, size=16, weight=ft.FontWeight.BOLD)))
        out.extend(self.body())
        return out

    def body(self) -> list[ft.Control]:
        raise NotImplementedError

    def _step_up(self) -> ft.Control:
        vm = self.vm
        why = self.tr("parent.stepup.queue" if not vm.ask_step_up else "parent.stepup.why")
        buttons: list[ft.Control] = [
            big_button(self.tr("parent.stepup.confirm"), self._confirm, "stepup-confirm")
        ]
        if vm.ask_step_up:
            buttons.append(
                big_button(self.tr("action.cancel"), self._cancel_step_up, "stepup-cancel", primary=False)
            )
        body = ft.Container(
            ft.Column(
                [ft.Text(why, size=16), tid("stepup-inline-password", self.password), *buttons], spacing=8
            ),
            padding=16,
            bgcolor=ft.Colors.TERTIARY_CONTAINER,
            border_radius=ft.BorderRadius.all(12),
        )
        return tid("stepup-prompt", body)

    async def _confirm(self, e: Any = None) -> None:
        password = self.password.value or ""
        self.password.value = ""
        if not self.vm.ask_step_up:  # the sync queue waits for the password
            await self.vm.resume_queue()
        await self.vm.confirm_step_up(password)
        self.host.touch()

    def _cancel_step_up(self, e: Any = None) -> None:
        self.vm.cancel_step_up()

    def mounted(self) -> None:
        # a parent signed in a moment ago on a child's device has no family data yet: fetch it now
        if self.vm.view.status.last_synced_at is None and hasattr(self.vm.profile, "sync_now"):
            self.host.run_task(self._first_sync)

    async def _first_sync(self) -> None:
        try:
            await self.vm.profile.sync_now()
        except Exception:  # the sync chip shows why
            return

    def button(self, label: str, handler: Any, identifier: str, **kw: Any) -> ft.Control:
        disabled = bool(kw.pop("disabled", False)) or self.vm.busy
        return big_button(label, handler, identifier, disabled=disabled, **kw)

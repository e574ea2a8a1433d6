"""Family and devices: add a child, a pairing code with its QR image for a child's device or a second
parent, the devices with a revoke button. Needs the connection; says so plainly offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flet as ft
import platformdirs

from client.viewmodels.parent import FamilyVM

from ..host import Host
from ..widgets import card, heading, muted, tid
from .base import ParentScreenView


class FamilyView(ParentScreenView):
    route = "/parent/devices"
    title_key = "parent.nav.devices"
    tab = 3

    vm: FamilyVM

    def __init__(self, host: Host, vm: FamilyVM) -> None:
        super().__init__(host, vm)

    def mounted(self) -> None:
        super().mounted()
        self.host.run_task(self.vm.load)
        self.host.run_task(self.vm.load_erasures)

    def _export(self, child_id: str | None = None) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.export_data(Path(platformdirs.user_downloads_dir()), child_id)

        return handler

    def _cancel_erasure(self, child_id: str | None = None) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.cancel_erasure(child_id)

        return handler

    async def _erase(self, e: Any = None) -> None:
        self.host.touch()
        await self.vm.erase()

    def _rights(self) -> list[ft.Control]:
        """Download the family's data or a child's; erase either, after a confirmation."""
        vm, tr = self.vm, self.tr
        lines: list[ft.Control] = [heading(tr("parent.rights.title")), muted(tr("parent.rights.explain"))]
        targets: list[tuple[str | None, str]] = [(None, ""), *vm.kids]
        for child_id, name in targets:
            key = child_id or "family"
            lines.append(
                self.button(
                    tr("parent.rights.export_child", name=name)
                    if child_id
                    else tr("parent.rights.export_family"),
                    self._export(child_id),
                    f"export-{key}",
                    primary=False,
                )
            )
            pending = vm.erasure_line(child_id)
            if pending is not None:
                lines.append(tid(f"erasure-{key}", muted(pending)))
                lines.append(
                    self.button(tr("parent.rights.cancel"), self._cancel_erasure(child_id), f"keep-{key}")
                )
            elif vm.confirming == (child_id or ""):
                ask = (
                    tr("parent.rights.confirm_child", name=name)
                    if child_id
                    else tr("parent.rights.confirm_family")
                )
                lines.append(tid(f"confirm-{key}", ft.Text(ask, size=16)))
                lines.append(self.button(tr("parent.rights.confirm"), self._erase, f"erase-yes-{key}"))
                lines.append(
                    self.button(
                        tr("parent.rights.keep"), lambda e=None: vm.keep(), f"erase-no-{key}", primary=False
                    )
                )
            else:
                label = (
                    tr("parent.rights.erase_child", name=name)
                    if child_id
                    else tr("parent.rights.erase_family")
                )
                lines.append(
                    self.button(
                        label, lambda e=None, c=child_id: vm.ask_erase(c), f"erase-{key}", primary=False
                    )
                )
        return [card(*lines, identifier="data-rights")]

    def _code(self, kind: str, child_id: str | None = None) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.pairing_code(kind, child_id)

        return handler

    def _revoke(self, client_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.revoke(client_id)

        return handler

    async def _add(self, e: Any = None) -> None:
        self.host.touch()
        if await self.vm.add_child():
            self.clear_fields("child-name", "child-year", "child-pin")

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = []
        if vm.loading:
            out.append(tid("family-loading", ft.ProgressBar(), label=tr("parent.working")))
        if vm.code is not None:
            c = vm.code
            out.append(
                card(
                    heading(c.for_whom),
                    tid("pairing-code", ft.Text(c.code, size=32, weight=ft.FontWeight.BOLD, selectable=True)),
                    tid(
                        "pairing-qr",
                        ft.Image(
                            src=c.png,
                            width=240,
                            height=240,
                            semantics_label=tr("parent.family.qr_label", code=c.code),
                        ),
                        label=tr("parent.family.qr_label", code=c.code),
                    ),
                    muted(c.expires),
                    self.button(
                        tr("parent.family.hide_code"),
                        lambda e=None: vm.hide_code(),
                        "pairing-hide",
                        primary=False,
                    ),
                )
            )
        out.append(heading(tr("parent.family.members")))
        for user_id, name, role in vm.members:
            row: list[ft.Control] = [ft.Text(f"{name} · {role}", size=16)]
            if (user_id, name) in vm.kids:
                row.append(
                    self.button(
                        tr("parent.family.pair_child", name=name),
                        self._code("child_device", user_id),
                        f"pair-{user_id}",
                        primary=False,
                    )
                )
            out.append(card(*row, identifier=f"member-{user_id}"))
        out.append(
            self.button(
                tr("parent.family.invite_parent"), self._code("parent_invite"), "invite-parent", primary=False
            )
        )
        name = self.fields.get(
            "child-name", tr("parent.family.child_name"), lambda t: vm.set_new_child(name=t), max_length=40
        )
        year = self.fields.get(
            "child-year",
            tr("parent.family.birth_year"),
            lambda t: vm.set_new_child(year=t),
            keyboard_type=ft.KeyboardType.NUMBER,
        )
        pin = self.fields.get(
            "child-pin",
            tr("parent.family.pin"),
            lambda t: vm.set_new_child(pin=t),
            password=True,
            keyboard_type=ft.KeyboardType.NUMBER,
            max_length=6,
        )
        out.append(
            card(
                heading(tr("parent.family.add_child")),
                tid("child-name", name),
                tid("child-year", year),
                tid("child-pin", pin),
                self.button(tr("parent.family.add"), self._add, "child-add"),
                identifier="add-child",
            )
        )
        out.append(heading(tr("parent.family.devices")))
        if vm.family is None and not vm.loading:
            out.append(tid("devices-offline", muted(tr("parent.family.devices_online"), size=16)))
        for d in vm.devices:
            lines: list[ft.Control] = [
                ft.Text(d.name + (tr("parent.family.this_device") if d.this_device else ""), size=16),
                muted(tr("parent.family.device_line", owner=d.owner, seen=d.seen)),
            ]
            if d.revoked:
                lines.append(muted(tr("parent.family.device_revoked")))
            elif not d.this_device:
                lines.append(
                    self.button(
                        tr("parent.family.revoke"),
                        self._revoke(d.client_id),
                        f"revoke-{d.client_id}",
                        primary=False,
                    )
                )
            out.append(card(*lines, identifier=f"device-{d.client_id}"))
        out.extend(self._rights())
        return out

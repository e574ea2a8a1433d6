"""Allowance: convertible profit explained, the request form with the real amount, history."""

from __future__ import annotations

import flet as ft

from client.viewmodels.allowance import AllowanceVM

from ..host import Host
from ..screen import ChildScreenView
from ..widgets import big_button, card, heading, muted, tid


class AllowanceView(ChildScreenView):
    route = "/child/allowance"
    title_key = "nav.allowance"
    tab = 3

    def __init__(self, host: Host, vm: AllowanceVM) -> None:
        self.amount = ft.TextField(
            label=host.tools.tr("allowance.amount"), text_size=24, keyboard_type=ft.KeyboardType.NUMBER,
            on_change=lambda e: self.vm.set_text(e.control.value or ""),
        )  # fmt: skip
        super().__init__(host, vm)

    async def _submit(self, e: ft.Event[ft.Button]) -> None:
        await self.vm.submit()
        self.amount.value = self.vm.text

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = [
            card(
                muted(tr("allowance.convertible")),
                tid("allowance-convertible", ft.Text(vm.convertible, size=32, weight=ft.FontWeight.BOLD)),
                ft.Text(vm.explainer, size=16),
                muted(vm.rate_text),
            ),
            tid("allowance-amount", self.amount),
        ]
        if vm.conversion:
            out.append(
                tid("allowance-conversion", ft.Text(vm.conversion, size=24, weight=ft.FontWeight.BOLD))
            )
        if vm.problem:
            out.append(tid("allowance-problem", ft.Text(vm.problem, color=ft.Colors.ERROR, size=16)))
        out.append(big_button(tr("allowance.request"), self._submit, "allowance-submit",
                              disabled=not vm.can_submit or vm.busy))  # fmt: skip
        if vm.busy:
            out.append(ft.ProgressRing())
        for note in (vm.notice, vm.error):
            if note:
                out.append(tid("allowance-notice", ft.Text(note, size=16)))
        out.append(heading(tr("allowance.requests")))
        for r in vm.requests:
            rows: list[ft.Control] = [ft.Text(r.amounts, size=18), ft.Text(r.status)]
            if r.reason:
                rows.append(muted(r.reason))
            out.append(card(*rows, identifier=f"request-{r.request_id}"))
        if not vm.requests:
            out.append(muted(tr("allowance.none")))
        out.append(heading(tr("allowance.payouts")))
        out.extend(ft.Text(p, size=16) for p in vm.payouts)
        if not vm.payouts:
            out.append(muted(tr("allowance.no_payouts")))
        return out

"""Payouts: mark an approved request paid with a method (cash, bank transfer, Toss, KakaoPay) and a
reference; Toss and KakaoPay pay through the server's payout rail (online only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from client.theme import MIN_TOUCH
from client.viewmodels.parent import PayoutsVM
from client.viewmodels.parent.payouts import METHODS

from ..widgets import card, heading, muted, tid
from .base import ParentScreenView

if TYPE_CHECKING:
    from client.app import App


class PayoutsView(ParentScreenView):
    route = "/parent/payouts"
    title_key = "parent.nav.payouts"
    tab = 2

    def __init__(self, app: App) -> None:
        self.vm = PayoutsVM(app.shell.profile, app.tools, app.runtime)
        super().__init__(app)

    def _pick(self, request_id: str, method: str) -> Any:
        def handler(e: Any = None) -> None:
            self.vm.set_method(request_id, method)

        return handler

    def _pay(self, request_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.app.shell.touch()
            if await self.vm.mark_paid(request_id):
                self.fields.clear(f"ref-{request_id}")

        return handler

    def _methods(self, request_id: str) -> ft.Control:
        chosen = self.vm.method(request_id)
        buttons = []
        for m in METHODS:
            cls = ft.FilledButton if m == chosen else ft.OutlinedButton
            buttons.append(
                tid(
                    f"method-{request_id}-{m}",
                    cls(self.tr(f"parent.method.{m}"), height=MIN_TOUCH, on_click=self._pick(request_id, m)),
                    label=self.tr(f"parent.method.{m}"),
                )
            )
        return ft.Row(buttons, wrap=True, spacing=8, run_spacing=8)

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = [heading(tr("parent.payouts.heading"))]
        if vm.link:
            out.append(
                tid(
                    "payout-link",
                    ft.Text(tr("parent.payouts.open_link", link=vm.link), size=16, selectable=True),
                )
            )
        if not vm.rows:
            out.append(tid("payouts-empty", muted(tr("parent.payouts.none"), size=16)))
        for r in vm.rows:
            rid = r.request_id
            rows: list[ft.Control] = [
                ft.Text(r.child, size=18, weight=ft.FontWeight.BOLD),
                tid(f"payout-amount-{rid}", ft.Text(tr("parent.payouts.to_pay", real=r.amount), size=22)),
            ]
            if r.waiting:
                rows.append(tid(f"payout-waiting-{rid}", muted(tr("parent.payouts.waiting"), size=15)))
            else:
                ref = self.fields.get(
                    f"ref-{rid}",
                    tr("parent.payouts.reference"),
                    lambda text, rid=rid: vm.set_reference(rid, text),
                    max_length=200,
                )
                rows += [
                    muted(tr("parent.payouts.method")),
                    self._methods(rid),
                    tid(f"payout-ref-{rid}", ref),
                    self.button(tr("parent.payouts.mark_paid", real=r.amount), self._pay(rid), f"pay-{rid}"),
                ]
            out.append(card(*rows, identifier=f"payout-{rid}"))
        out.append(heading(tr("parent.payouts.history")))
        out.extend(ft.Text(line, size=15) for line in vm.history)
        if not vm.history:
            out.append(muted(tr("parent.payouts.no_history")))
        return out

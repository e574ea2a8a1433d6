"""The family dashboard: each child's value, profit, recent trades and pending requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from client.viewmodels.parent import DashboardVM

from ..widgets import PROFIT, card, heading, muted, tid
from .base import ParentScreenView

if TYPE_CHECKING:
    from client.app import App


class DashboardView(ParentScreenView):
    route = "/parent"
    title_key = "parent.dash.title"
    tab = 0

    def __init__(self, app: App) -> None:
        self.vm = DashboardVM(app.shell.profile, app.tools, app.runtime, app.index)
        super().__init__(app)

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = []
        if vm.waiting_total or vm.to_pay_total:
            out.append(
                tid(
                    "dash-summary",
                    ft.Text(
                        tr("parent.dash.summary", waiting=vm.waiting_total, to_pay=vm.to_pay_total), size=18
                    ),
                )
            )
        if vm.waiting_total:
            out.append(
                self.button(
                    tr("parent.dash.review", n=vm.waiting_total),
                    self.app.nav("/parent/approvals"),
                    "dash-approvals",
                )
            )
        if not vm.cards:
            out.append(tid("dash-empty", muted(tr("parent.dash.no_children"), size=16)))
        for c in vm.cards:
            rows: list[ft.Control] = [
                heading(c.name),
                muted(tr("parent.dash.value")),
                tid(f"dash-value-{c.child_id}", ft.Text(c.value, size=28, weight=ft.FontWeight.BOLD)),
                tid(f"dash-profit-{c.child_id}", ft.Text(c.profit, size=18, color=PROFIT[c.tone])),
            ]
            if c.pending_requests:
                rows.append(
                    tid(
                        f"dash-pending-{c.child_id}",
                        ft.Text(
                            tr("parent.dash.pending", n=c.pending_requests), size=16, color=ft.Colors.ERROR
                        ),
                    )
                )
            if c.to_pay:
                rows.append(ft.Text(tr("parent.dash.to_pay", n=c.to_pay), size=16))
            rows.append(muted(tr("parent.dash.recent")))
            rows.extend(ft.Text(line, size=15) for line in c.trades)
            if not c.trades:
                rows.append(muted(tr("parent.dash.no_trades")))
            rows.append(
                self.button(
                    tr("parent.dash.settings", name=c.name),
                    self.app.nav(f"/parent/child/{c.child_id}"),
                    f"dash-settings-{c.child_id}",
                    primary=False,
                )
            )
            out.append(card(*rows, identifier=f"dash-child-{c.child_id}"))
        return out

"""The family dashboard: each child's value, profit, recent trades and pending requests."""

from __future__ import annotations

import flet as ft

from client.viewmodels.parent import DashboardVM
from client.viewmodels.parent.dashboard import ChildCard

from ..host import Host
from ..widgets import PROFIT, card, heading, muted, tid
from .base import ParentScreenView


class DashboardView(ParentScreenView):
    route = "/parent"
    title_key = "parent.dash.title"
    tab = 0

    vm: DashboardVM

    def __init__(self, host: Host, vm: DashboardVM) -> None:
        super().__init__(host, vm)

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
                    self.host.nav("/parent/approvals"),
                    "dash-approvals",
                )
            )
        if not vm.cards:
            out.append(tid("dash-empty", muted(tr("parent.dash.no_children"), size=16)))
        out.extend(child_card(self, c) for c in vm.cards)
        return out


def child_card(screen: ParentScreenView, c: ChildCard) -> ft.Control:
    """One child at a glance: value, profit, what waits, the newest trades, the way to the settings
    (the dashboard, and beside a request on a wide screen)."""
    tr = screen.tr
    rows: list[ft.Control] = [
        heading(c.name),
        muted(tr("parent.dash.value")),
        tid(f"dash-value-{c.child_id}", ft.Text(c.value, size=28, weight=ft.FontWeight.BOLD)),
        tid(f"dash-profit-{c.child_id}", ft.Text(c.profit, size=18, color=PROFIT[c.tone])),
    ]
    if c.pending_requests:
        pending = ft.Text(tr("parent.dash.pending", n=c.pending_requests), size=16, color=ft.Colors.ERROR)
        rows.append(tid(f"dash-pending-{c.child_id}", pending))
    if c.awaiting_trades:
        awaiting = ft.Text(
            tr("parent.dash.awaiting_trades", n=c.awaiting_trades), size=16, color=ft.Colors.ERROR
        )
        rows.append(tid(f"dash-awaiting-{c.child_id}", awaiting))
    if c.to_pay:
        rows.append(ft.Text(tr("parent.dash.to_pay", n=c.to_pay), size=16))
    rows.append(muted(tr("parent.dash.recent")))
    for i, t in enumerate(c.trades):
        rows.append(ft.Text(t.text, size=15))
        if t.journal:  # the child's reason, right beside its trade
            rows.append(tid(f"dash-journal-{c.child_id}-{i}", ft.Text(t.journal, size=14, italic=True)))
    if not c.trades:
        rows.append(muted(tr("parent.dash.no_trades")))
    rows.append(
        screen.button(
            tr("parent.dash.settings", name=c.name),
            screen.host.nav(f"/parent/child/{c.child_id}"),
            f"dash-settings-{c.child_id}",
            primary=False,
        )
    )
    return card(*rows, identifier=f"dash-child-{c.child_id}")

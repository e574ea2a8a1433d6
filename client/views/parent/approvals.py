"""Approvals: the real amount that approving pays, approve, or reject with a required reason; then the
child's orders waiting for a parent, approve or decline with a required reason."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.parent import ApprovalsVM, DashboardVM

from ..host import Host
from ..widgets import card, heading, muted, tid
from .base import ParentScreenView
from .dashboard import child_card


class ApprovalsView(ParentScreenView):
    route = "/parent/approvals"
    title_key = "parent.nav.approvals"
    tab = 1

    vm: ApprovalsVM

    def __init__(self, host: Host, vm: ApprovalsVM, family: DashboardVM) -> None:
        self.family = family  # wide: the asking child's profile beside the requests
        self.chosen: str | None = None  # wide: whose profile shows beside the requests
        super().__init__(host, vm)

    def side(self) -> list[ft.Control] | None:
        """Wide: the asking child's profile beside the requests (value, profit, newest trades)."""
        if not self.vm.rows and not self.vm.trade_rows:
            return None
        self.family.refresh()
        ids = [r.child_id for r in self.vm.rows] + [r.child_id for r in self.vm.trade_rows]
        child_id = self.chosen if self.chosen in ids else ids[0]
        found = [c for c in self.family.cards if c.child_id == child_id]
        return [child_card(self, c) for c in found] or None

    def _choose(self, child_id: str) -> Any:
        def handler(e: Any = None) -> None:
            self.chosen = child_id
            self.render()

        return handler

    def _approve(self, request_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.approve(request_id)

        return handler

    def _reject(self, request_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            if await self.vm.reject(request_id):
                self.clear_fields(f"reason-{request_id}")

        return handler

    def _approve_trade(self, trade_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.approve_trade(trade_id)

        return handler

    def _decline_trade(self, trade_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            if await self.vm.decline_trade(trade_id):
                self.clear_fields(f"trade-reason-{trade_id}")

        return handler

    def _trades(self) -> list[ft.Control]:
        """The orders waiting for a parent: what, at which price, the child's why, what a yes does now."""
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = [heading(tr("parent.approvals.trades_heading"))]
        if not vm.trade_rows:
            out.append(tid("trade-approvals-empty", muted(tr("parent.approvals.trades_none"), size=16)))
        for r in vm.trade_rows:
            tid_ = r.trade_id
            reason = self.fields.get(
                f"trade-reason-{tid_}",
                tr("parent.approvals.reason"),
                lambda text, t=tid_: vm.set_reason(t, text),
                max_length=200,
            )
            reason.error = vm.reason_errors.get(tid_)
            rows: list[ft.Control] = [
                ft.Text(r.child, size=18, weight=ft.FontWeight.BOLD),
                tid(f"trade-approval-what-{tid_}", ft.Text(r.what, size=22)),
            ]
            if not r.waiting:  # decided here already: what it held and what a yes would do are past
                rows.append(tid(f"trade-approval-price-{tid_}", ft.Text(r.price, size=16)))
            if r.journal:
                rows.append(tid(f"trade-approval-journal-{tid_}", ft.Text(r.journal, size=15, italic=True)))
            if not r.waiting:
                rows.append(tid(f"trade-approval-then-{tid_}", ft.Text(r.then, size=15)))
            if r.waiting:
                waiting = muted(tr("parent.approvals.waiting"), size=15)
                rows.append(tid(f"trade-approval-waiting-{tid_}", waiting))
            else:
                rows += [
                    self.button(
                        tr("parent.approvals.trade.approve"),
                        self._approve_trade(tid_),
                        f"approve-trade-{tid_}",
                    ),
                    tid(f"trade-reason-{tid_}", reason),
                    self.button(
                        tr("parent.approvals.trade.decline"),
                        self._decline_trade(tid_),
                        f"decline-trade-{tid_}",
                        primary=False,
                    ),
                ]
            out.append(card(*rows, identifier=f"trade-approval-{tid_}"))
        return out

    def _dismiss(self, mutation_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            await self.vm.dismiss(mutation_id)

        return handler

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = []
        for mutation_id, text in vm.answers:
            out.append(
                card(
                    tid(f"answer-{mutation_id}", ft.Text(text, size=16, color=ft.Colors.ERROR)),
                    self.button(
                        tr("parent.approvals.ok"),
                        self._dismiss(mutation_id),
                        f"dismiss-{mutation_id}",
                        primary=False,
                    ),
                )
            )
        out.append(heading(tr("parent.approvals.heading")))
        if not vm.rows:
            out.append(tid("approvals-empty", muted(tr("parent.approvals.none"), size=16)))
        for r in vm.rows:
            rid = r.request_id
            reason = self.fields.get(
                f"reason-{rid}",
                tr("parent.approvals.reason"),
                lambda text, rid=rid: vm.set_reason(rid, text),
                max_length=200,
            )
            reason.error = vm.reason_errors.get(rid)
            name = ft.Text(r.child, size=18, weight=ft.FontWeight.BOLD)
            rows: list[ft.Control] = [
                # wide, the name shows that child's profile beside the requests
                ft.Container(name, on_click=self._choose(r.child_id)) if self.wide else name,
                tid(f"approval-amounts-{rid}", ft.Text(r.amounts, size=22)),
                tid(f"approval-pays-{rid}", ft.Text(r.pays, size=18, weight=ft.FontWeight.BOLD)),
            ]
            if r.rule:
                rows.append(tid(f"approval-rule-{rid}", ft.Text(r.rule, size=15)))
            if r.waiting:
                rows.append(tid(f"approval-waiting-{rid}", muted(tr("parent.approvals.waiting"), size=15)))
            else:
                rows += [
                    self.button(
                        tr("parent.approvals.approve", real=self.fmt.won(r.amount_real)),
                        self._approve(rid),
                        f"approve-{rid}",
                        disabled=not r.can_approve,
                    ),
                    tid(f"reason-{rid}", reason),
                    self.button(
                        tr("parent.approvals.reject"), self._reject(rid), f"reject-{rid}", primary=False
                    ),
                ]
            out.append(card(*rows, identifier=f"approval-{rid}"))
        return out + self._trades()

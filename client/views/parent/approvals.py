"""Approvals: the real amount that approving pays, approve, or reject with a required reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from client.viewmodels.parent import ApprovalsVM

from ..widgets import card, heading, muted, tid
from .base import ParentScreenView

if TYPE_CHECKING:
    from client.app import App


class ApprovalsView(ParentScreenView):
    route = "/parent/approvals"
    title_key = "parent.nav.approvals"
    tab = 1

    def __init__(self, app: App) -> None:
        self.vm = ApprovalsVM(app.shell.profile, app.tools, app.runtime)
        super().__init__(app)

    def _approve(self, request_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.app.shell.touch()
            await self.vm.approve(request_id)

        return handler

    def _reject(self, request_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.app.shell.touch()
            if await self.vm.reject(request_id):
                self.fields.clear(f"reason-{request_id}")

        return handler

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
            rows: list[ft.Control] = [
                ft.Text(r.child, size=18, weight=ft.FontWeight.BOLD),
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
        return out

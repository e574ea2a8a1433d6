"""Portfolio: holdings and the trade history with each outcome and its reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from client.viewmodels.portfolio import PortfolioVM

from ..screen import ChildScreenView
from ..widgets import PROFIT, card, heading, muted, tid

if TYPE_CHECKING:
    from client.app import App


class PortfolioView(ChildScreenView):
    route = "/child/portfolio"
    title_key = "nav.portfolio"
    tab = 2

    def __init__(self, app: App) -> None:
        self.vm = PortfolioVM(app.shell.profile, app.tools, app.index)
        super().__init__(app)

    def _cancel(self, trade_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            await self.vm.cancel(trade_id)

        return handler

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = [heading(tr("portfolio.holdings"))]
        for h in vm.holdings:
            out.append(
                card(
                    ft.Text(f"{h.name} · {h.shares}", size=18, weight=ft.FontWeight.BOLD),
                    muted(tr("portfolio.avg_cost", price=h.avg_cost)),
                    ft.Text(tr("portfolio.value", value=h.value), size=16),
                    ft.Text(h.profit, size=18, color=PROFIT[h.tone]),
                    identifier=f"holding-{h.symbol}",
                )
            )
        if not vm.holdings:
            out.append(muted(tr("portfolio.no_holdings")))
        out.append(heading(tr("portfolio.history")))
        if not vm.trades:
            out.append(muted(tr("portfolio.no_trades")))
        for t in vm.trades:
            rows: list[ft.Control] = [ft.Text(t.title, size=16, weight=ft.FontWeight.BOLD), ft.Text(t.status)]
            if t.waiting:
                rows.insert(1, ft.ProgressBar())
            if t.reason:
                rows.append(muted(t.reason))
            if t.cancellable:
                cancel = ft.OutlinedButton(tr("portfolio.cancel"), on_click=self._cancel(t.key))
                rows.append(tid(f"cancel-{t.key}", cancel))
            out.append(card(*rows, identifier=f"trade-{t.key}"))
        return out

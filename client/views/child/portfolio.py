"""Portfolio: the value chart, holdings (a tap opens the stock, where the child can sell) and the
dated trade history with each outcome and its reason; cancelling an order asks first."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.portfolio import HoldingRow, PortfolioVM, TradeRow

from ..host import Host
from ..screen import ChildScreenView
from ..widgets import PROFIT, card, heading, muted, tid
from .charts import value_card
from .glossary import glossed
from .stock import StockPane


class PortfolioView(ChildScreenView):
    route = "/child/portfolio"
    title_key = "nav.portfolio"
    tab = 2

    vm: PortfolioVM

    def __init__(self, host: Host, vm: PortfolioVM) -> None:
        self.pane: StockPane | None = None  # wide: the chosen holding's stock beside the portfolio
        self._unfollow: Any = None
        super().__init__(host, vm)

    def mounted(self) -> None:
        self.host.run_task(self.vm.load_chart)
        if self.pane is not None:
            self.pane.start()

    def dispose(self) -> None:
        self._show_stock(None)
        super().dispose()

    # -- wide: the stock page beside the portfolio ------------------------------------------
    def _show_stock(self, symbol: str | None) -> None:
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None
        self.pane = StockPane(self.host, self.vm.stock(symbol)) if symbol else None
        if self.pane is not None:
            self._unfollow = self.pane.follow(self.render)
            if self.on_page:
                self.pane.start()

    def side(self) -> list[ft.Control] | None:
        if self.pane is None and self.vm.holdings:
            self._show_stock(self.vm.holdings[0].symbol)  # the first holding until one is tapped
        return self.pane.controls(heading=True) if self.pane is not None else None

    def _open(self, symbol: str) -> Any:
        """A holding's tap: wide, its stock shows beside the portfolio; else its own page."""
        page_handler = self.host.nav(f"/child/stock/{symbol}?from=portfolio")

        async def handler(e: Any = None) -> None:
            if not self.wide:
                await page_handler(e)
                return
            self._show_stock(symbol)
            self.render()

        return handler

    # -- cancelling: a dialog first (a tap by mistake must not undo an order) --------------
    def _ask_cancel(self, t: TradeRow) -> Any:
        def handler(e: Any = None) -> None:
            tr = self.tr
            body = ft.Text(tr("portfolio.cancel_body", what=t.title), size=16)
            keep = ft.TextButton(tr("portfolio.cancel_keep"), on_click=self._close)
            yes = ft.FilledButton(tr("portfolio.cancel_yes"), on_click=self._cancel(t.key))
            dialog = ft.AlertDialog(
                modal=True,
                title=ft.Text(tr("portfolio.cancel_title")),
                content=tid("cancel-dialog-body", body),
                actions=[tid("cancel-keep", keep), tid("cancel-yes", yes)],
            )
            self.host.show_dialog(dialog)

        return handler

    def _close(self, e: Any = None) -> None:
        self.host.pop_dialog()

    def _cancel(self, trade_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.pop_dialog()
            await self.vm.cancel(trade_id)

        return handler

    # -- the screen -----------------------------------------------------------------------
    def _holding(self, h: HoldingRow) -> ft.Control:
        """A holding is a button: it opens the stock's page (sell is there), and back leads here."""
        tr, host = self.tr, self.host
        chosen = self.wide and self.pane is not None and self.pane.vm.symbol == h.symbol
        body = ft.Container(
            ft.Row(
                [
                    ft.Column(
                        [
                            ft.Text(f"{h.name} · {h.shares}", size=18, weight=ft.FontWeight.BOLD),
                            glossed(host, muted(tr("portfolio.avg_cost", price=h.avg_cost)),
                                    h.avg_cost_gloss, f"avg-cost-info-{h.symbol}"),
                            ft.Text(tr("portfolio.value", value=h.value), size=16),
                            glossed(host, ft.Text(h.profit, size=18, color=PROFIT[h.tone]),
                                    h.return_gloss, f"return-info-{h.symbol}"),
                            muted(tr("portfolio.tap_hint"), size=13),
                        ],
                        spacing=6,
                        expand=True,
                    ),
                    ft.Icon(ft.Icons.CHEVRON_RIGHT),
                ],
            ),
            padding=16,
            border_radius=ft.BorderRadius.all(12),
            ink=True,
            bgcolor=ft.Colors.SECONDARY_CONTAINER if chosen else None,
            on_click=self._open(h.symbol),
        )  # fmt: skip
        label = tr("portfolio.open_stock", name=h.name, shares=h.shares)
        return tid(f"holding-{h.symbol}", ft.Card(body), label=label)

    def _trade(self, t: TradeRow) -> ft.Control:
        rows: list[ft.Control] = [ft.Text(t.title, size=16, weight=ft.FontWeight.BOLD)]
        if t.when:
            rows.append(tid(f"trade-when-{t.key}", muted(t.when)))
        if t.waiting:
            rows.append(ft.ProgressBar())
        rows.append(ft.Text(t.status))
        if t.reason:
            rows.append(muted(t.reason))
        if t.journal:
            rows.append(tid(f"trade-journal-{t.key}", ft.Text(t.journal, italic=True)))
        if t.cancellable:
            cancel = ft.OutlinedButton(self.tr("portfolio.cancel"), on_click=self._ask_cancel(t))
            rows.append(tid(f"cancel-{t.key}", cancel))
        return card(*rows, identifier=f"trade-{t.key}")

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = [
            value_card(vm, tr, "portfolio", self.host),
            glossed(self.host, heading(tr("portfolio.holdings")), vm.diversify_gloss, "diversify-info"),
        ]
        out.extend(self._holding(h) for h in vm.holdings)
        if not vm.holdings:
            out.append(muted(tr("portfolio.no_holdings")))
        out.append(heading(tr("portfolio.history")))
        if not vm.trades:
            out.append(muted(tr("portfolio.no_trades")))
        out.extend(self._trade(t) for t in vm.trades)
        return out

"""A stock's page: price and its age, chart, description, and what the fill rule will do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from client.viewmodels.stock import StockVM

from ..screen import ChildScreenView
from ..widgets import big_button, card, muted, tid
from .home import line_chart

if TYPE_CHECKING:
    from client.app import App


class StockView(ChildScreenView):
    tab = 1
    back = "/child/market"

    def __init__(self, app: App, symbol: str) -> None:
        self.route = f"/child/stock/{symbol}"
        self.vm = StockVM(app.shell.profile, app.tools, app.index, symbol)
        super().__init__(app)

    def title(self) -> str:
        return self.vm.name

    def mounted(self) -> None:
        self.app.page.run_task(self.vm.load_chart)
        self.app.page.run_task(self.vm.follow_price)

    def controls(self) -> list[ft.Control]:
        vm, tr, sym = self.vm, self.tr, self.vm.symbol
        chart = (
            line_chart(vm.chart, "stock-chart")
            if vm.chart
            else tid("stock-chart", muted(vm.chart_note or ""))
        )
        out: list[ft.Control] = [
            card(
                tid("stock-price", ft.Text(vm.price, size=32, weight=ft.FontWeight.BOLD)),
                tid("stock-quote-age", muted(vm.quote_age)),
                muted(tr("stock.you_have", shares=vm.held_text)) if vm.held else ft.Container(),
            ),
            card(chart),
            card(ft.Text(vm.description, size=18), muted(vm.sector)),
            card(
                ft.Text(tr("stock.what_happens"), size=16, weight=ft.FontWeight.BOLD),
                tid("fill-preview", ft.Text(vm.preview_text, size=18)),
            ),
        ]
        if vm.can_trade:
            out.append(big_button(tr("stock.buy"), self.app.nav(f"/child/trade/{sym}?side=buy"), "buy"))
            if vm.held:
                out.append(
                    big_button(
                        tr("stock.sell"), self.app.nav(f"/child/trade/{sym}?side=sell"), "sell", primary=False
                    )
                )
        elif not vm.allowed:
            out.append(muted(tr("error.MARKET_NOT_ALLOWED")))
        return out

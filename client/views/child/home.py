"""Home: one big profit number, total value, cash, convertible profit and the value chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft
import flet_charts as fch

from client.viewmodels.home import HomeVM, Point

from ..screen import ChildScreenView
from ..widgets import PROFIT, card, muted, tid

if TYPE_CHECKING:
    from client.app import App


def line_chart(points: list[Point], identifier: str) -> ft.Control:
    values = [p.value for p in points]
    low, high = min(values), max(values)
    pad = max(1, (high - low) // 10)
    chart = fch.LineChart(
        data_series=[
            fch.LineChartData(
                points=[fch.LineChartDataPoint(i, v) for i, v in enumerate(values)],
                stroke_width=3,
                color=ft.Colors.PRIMARY,
            )
        ],
        min_y=low - pad,
        max_y=high + pad,
        height=180,
        # the numbers are on the cards; compact axis labels ("1M 1M 1M") would only confuse a child
        left_axis=fch.ChartAxis(show_labels=False),
        bottom_axis=fch.ChartAxis(show_labels=False),
        top_axis=fch.ChartAxis(show_labels=False),
        right_axis=fch.ChartAxis(show_labels=False),
    )
    return tid(identifier, chart)


class HomeView(ChildScreenView):
    route = "/child"
    tab = 0

    def __init__(self, app: App) -> None:
        self.vm = HomeVM(app.shell.profile, app.tools)
        super().__init__(app)

    def title(self) -> str:
        return self.vm.greeting

    def mounted(self) -> None:
        self.app.page.run_task(self.vm.load_chart)

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        chart: ft.Control = (
            line_chart(vm.chart, "home-chart") if vm.chart else tid("home-chart", muted(vm.chart_note or ""))
        )
        return [
            card(
                muted(tr("home.profit")),
                tid(
                    "home-profit",
                    ft.Text(vm.profit, size=40, weight=ft.FontWeight.BOLD, color=PROFIT[vm.profit_tone]),
                    label=tr("home.profit"),
                ),  # fmt: skip
                ft.Text(vm.profit_pct, size=20, color=PROFIT[vm.profit_tone]),
            ),
            card(
                tid("home-total-label", muted(tr("home.total_value"), size=18)),
                tid("home-total", ft.Text(vm.total_value, size=28, weight=ft.FontWeight.BOLD)),
                tid("home-prices-old", muted(vm.prices_note)) if vm.prices_note else ft.Container(),
                muted(tr("home.cash")),
                tid("home-cash", ft.Text(vm.cash, size=20)),
                muted(tr("home.convertible")),
                tid("home-convertible", ft.Text(vm.convertible, size=20)),
            ),
            card(
                ft.Text(tr("home.chart_title"), size=18, weight=ft.FontWeight.BOLD),
                ft.ProgressBar() if vm.busy else ft.Container(),
                chart,
            ),
        ]

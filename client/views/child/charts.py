"""A chart a child reads at a glance: dates and amounts on the axes, a coloured line (red up, blue
down, the Korean convention), a tooltip in words, range buttons, the change in words and where the
prices come from. The view-model has turned every number into text already (``ChartModel``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft
import flet_charts as fch

from client.viewmodels.charts import RANGES, ChartModel

from ..host import Host
from ..widgets import PROFIT, card, muted, tid
from .glossary import glossed

__all__ = ["change_line", "chart_block", "line_chart", "picker", "range_buttons", "source_line", "value_card"]


def _label(text: str) -> ft.Text:
    return ft.Text(text, size=11, color=ft.Colors.ON_SURFACE_VARIANT)


def line_chart(model: ChartModel, identifier: str) -> ft.Control:
    colour = PROFIT[model.tone] or ft.Colors.PRIMARY
    series = [
        fch.LineChartData(
            points=[
                fch.LineChartDataPoint(i, v, tooltip=tip)
                for i, (v, tip) in enumerate(zip(model.values, model.tooltips, strict=True))
            ],
            stroke_width=3,
            color=colour,
        )
    ]
    if model.benchmark:  # the market: thin and grey, so the child's own line stays the one to read
        series.append(
            fch.LineChartData(
                points=[fch.LineChartDataPoint(i, v) for i, v in enumerate(model.benchmark)],
                stroke_width=2,
                color=ft.Colors.OUTLINE,
                dash_pattern=[6, 4],
            )
        )
    chart = fch.LineChart(
        data_series=series,
        min_y=model.low,
        max_y=model.high,
        min_x=0,
        max_x=max(1, len(model.values) - 1),
        height=200,
        left_axis=fch.ChartAxis(
            labels=[fch.ChartAxisLabel(value=v, label=_label(t)) for v, t in model.y_labels],
            label_size=84,
            label_spacing=model.y_step,
        ),
        bottom_axis=fch.ChartAxis(
            labels=[fch.ChartAxisLabel(value=i, label=_label(t)) for i, t in model.x_labels],
            label_size=28,
            label_spacing=model.x_step,
        ),
        top_axis=fch.ChartAxis(show_labels=False),
        right_axis=fch.ChartAxis(show_labels=False),
    )
    return tid(identifier, chart, label=model.summary)


def range_buttons(
    chosen: str, tr: Callable[[str], str], pick: Callable[[str], Callable[..., Awaitable[None]]], prefix: str
) -> ft.Control:
    """1W 1M 3M 1Y Max: the chosen one filled."""
    buttons: list[ft.Control] = []
    for name in RANGES:
        cls: Any = ft.FilledButton if name == chosen else ft.TextButton
        buttons.append(tid(f"{prefix}-range-{name}", cls(tr(f"chart.range.{name}"), on_click=pick(name))))
    return ft.Row(buttons, spacing=4, wrap=True)


def change_line(text: str, tone: str, identifier: str) -> ft.Control:
    return tid(identifier, ft.Text(text, size=16, weight=ft.FontWeight.BOLD, color=PROFIT[tone]))


def source_line(text: str, identifier: str) -> ft.Control:
    return tid(identifier, muted(text), label=text)


def chart_block(vm: Any, tr: Callable[[str], str], pick: Any, prefix: str) -> list[ft.Control]:
    """Range buttons, the chart (or why there is none), the range's change and any note."""
    out: list[ft.Control] = [range_buttons(vm.range_, tr, pick, prefix)]
    if vm.busy:
        out.append(ft.ProgressBar())
    if vm.model is not None:
        out.append(line_chart(vm.model, f"{prefix}-chart"))
        out.append(change_line(vm.range_text, vm.model.tone, f"{prefix}-range-change"))
    if vm.chart_note:
        out.append(tid(f"{prefix}-chart-note", muted(vm.chart_note), label=vm.chart_note))
    return out


def picker(vm: Any) -> Callable[[str], Callable[..., Awaitable[None]]]:
    """Range buttons' handlers: each loads the chart over its range."""

    def pick(name: str) -> Callable[..., Awaitable[None]]:
        async def handler(e: Any = None) -> None:
            await vm.load_chart(name)

        return handler

    return pick


def market_block(vm: Any, host: Host, prefix: str) -> list[ft.Control]:
    """Who did better, the child or the whole market, in one sentence (with 수익률 explained beside
    it), what the market made and what the grey line is; or why there is no market line."""
    market = vm.market
    if market is None:
        return []
    if market.missing:
        return [tid(f"{prefix}-market-missing", muted(market.missing), label=market.missing)]
    if market.sentence is None:
        return []
    sentence = ft.Text(market.sentence, size=16, weight=ft.FontWeight.BOLD, color=PROFIT[market.tone])
    out: list[ft.Control] = [
        glossed(host, tid(f"{prefix}-market", sentence, label=market.sentence), vm.return_gloss(),
                f"{prefix}-return-info"),
        tid(f"{prefix}-market-detail", muted(market.detail), label=market.detail),
    ]  # fmt: skip
    if market.legend:
        out.append(muted(market.legend, size=13))
    return out


def value_card(vm: Any, tr: Callable[..., str], prefix: str, host: Host) -> ft.Control:
    """The child's value over time (``ValueChartScreen``): today's change, the chart with the market
    beside it, the time-weighted return and the comparison in words; the same card on home and on the
    portfolio."""
    tone = vm.day_move.tone if vm.day_move else "flat"
    return card(
        ft.Text(tr("home.chart_title"), size=18, weight=ft.FontWeight.BOLD),
        change_line(vm.today_text, tone, f"{prefix}-today"),
        *chart_block(vm, tr, picker(vm), prefix),
        tid(f"{prefix}-twr", muted(vm.twr), label=vm.twr) if vm.twr else ft.Container(),
        *market_block(vm, host, prefix),
        identifier=f"{prefix}-value-card",
    )

"""A stock's page: price and its age, chart, description, and what the fill rule will do (or that
trading ended).

``StockPane`` is the page's content on its own, so a wide screen can show it beside the portfolio."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from client.i18n import Translator
from client.viewmodels.news import NewsModel
from client.viewmodels.stock import StockVM

from ..host import Host
from ..screen import ChildScreenView
from ..widgets import big_button, card, muted, tid
from .charts import change_line, chart_block, picker, source_line
from .glossary import glossed

__all__ = ["StockPane", "StockView", "news_card"]


def news_card(news: NewsModel, tr: Translator) -> ft.Control:
    """Headlines, each opening its story outside the app (Flet's URL launcher, a new browser tab on
    the web); titles as published; offline, a sentence instead."""
    rows: list[ft.Control] = [
        tid(
            f"news-{i}",
            ft.ListTile(
                title=ft.Text(row.title, size=16),
                subtitle=muted(row.meta, size=13),
                trailing=ft.Icon(ft.Icons.OPEN_IN_NEW, size=18),
                url=ft.Url(row.link, target=ft.UrlTarget.BLANK),
                content_padding=ft.Padding(0, 0, 0, 0),
            ),
            label=f"{row.title}, {row.meta}",
        )
        for i, row in enumerate(news.rows)
    ]
    return card(
        ft.Text(tr("news.title"), size=16, weight=ft.FontWeight.BOLD),
        tid("news-note", muted(news.note)) if news.note else ft.Container(),
        *rows,
        muted(tr("news.opens_outside"), size=12) if news.rows else ft.Container(),
        identifier="stock-news",
    )


class StockPane:
    """One stock's controls over its own view-model (the stock page, or a column beside another)."""

    def __init__(self, host: Host, vm: StockVM) -> None:
        self.host, self.tr, self.vm = host, host.tools.tr, vm

    def start(self) -> None:
        """Once on the page: the chart and live prices (``page.run_task``)."""
        self.host.run_task(self.vm.load_chart)
        self.host.run_task(self.vm.follow_price)
        self.host.run_task(self.vm.load_news)

    def controls(self, heading: bool = False) -> list[ft.Control]:
        vm, tr, sym, nav = self.vm, self.tr, self.vm.symbol, self.host.nav
        out: list[ft.Control] = []
        if heading:  # beside another screen, the stock's name is not in the app bar
            out.append(tid("stock-name", ft.Text(vm.name, size=24, weight=ft.FontWeight.BOLD)))
        out += [
            card(
                tid("stock-price", ft.Text(vm.price, size=32, weight=ft.FontWeight.BOLD)),
                change_line(vm.today_text, vm.day_move.tone if vm.day_move else "flat", "stock-today"),
                tid("stock-quote-age", muted(vm.quote_age)),
                source_line(vm.source, "stock-source"),
                tid("stock-held", muted(tr("stock.you_have", shares=vm.held_text)))
                if vm.held
                else ft.Container(),
            ),
            card(*chart_block(vm, tr, picker(vm), "stock")),
            card(ft.Text(vm.description, size=18), muted(vm.sector)),
        ]
        if vm.ended_text:  # trading ended: said instead of what an order would do, and no order
            ended = tid("stock-ended", ft.Text(vm.ended_text, size=18), label=vm.ended_text)
            out.append(card(glossed(self.host, ended, vm.ended_gloss, "delisting-info")))
        else:
            out.append(
                card(
                    ft.Text(tr("stock.what_happens"), size=16, weight=ft.FontWeight.BOLD),
                    glossed(
                        self.host,
                        tid("fill-preview", ft.Text(vm.preview_text, size=18)),
                        vm.preview_gloss,
                        "open-price-info",
                    ),
                    *([tid("approval-note", ft.Text(vm.approval_text, size=16))] if vm.approval_text else []),
                )
            )
        out.append(news_card(vm.news, tr))
        if vm.can_trade:
            out.append(big_button(tr("stock.buy"), nav(f"/child/trade/{sym}?side=buy"), "buy"))
            if vm.held:
                sell = nav(f"/child/trade/{sym}?side=sell")
                out.append(big_button(tr("stock.sell"), sell, "sell", primary=False))
        elif not vm.allowed:
            out.append(muted(tr("error.MARKET_NOT_ALLOWED")))
        return out

    def follow(self, render: Callable[[], None]) -> Callable[[], None]:
        """Re-render the screen showing this pane whenever its stock changes; returns the undo."""
        self.vm.attach()
        undo = self.vm.subscribe(render)

        def stop() -> None:
            undo()
            self.vm.detach()

        return stop


class StockView(ChildScreenView):
    tab = 1
    back = "/child/market"

    vm: StockVM

    def __init__(self, host: Host, vm: StockVM, came_from: str | None = None) -> None:
        self.route = f"/child/stock/{vm.symbol}"
        if came_from == "portfolio":  # opened from a holding: back (and the tab) lead to the portfolio
            self.back, self.tab = "/child/portfolio", 2
        self.pane = StockPane(host, vm)
        super().__init__(host, vm)

    def title(self) -> str:
        return self.vm.name

    def mounted(self) -> None:
        self.pane.start()

    def controls(self) -> list[ft.Control]:
        return self.pane.controls()

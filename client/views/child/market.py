"""Market: search box, open/closed with the next open, results and the watchlist."""

from __future__ import annotations

import flet as ft

from client.theme import MIN_TOUCH
from client.viewmodels.market import MarketVM, Row

from ..host import Host
from ..screen import ChildScreenView
from ..widgets import card, heading, muted, tid


class MarketView(ChildScreenView):
    route = "/child/market"
    title_key = "nav.market"
    tab = 1

    def __init__(self, host: Host, vm: MarketVM) -> None:
        self.search = ft.TextField(
            label=host.tools.tr("market.search"),
            hint_text=host.tools.tr("market.search_hint"),
            prefix_icon=ft.Icons.SEARCH,
            text_size=20,
            on_change=lambda e: self.vm.search(e.control.value or ""),
        )
        super().__init__(host, vm)

    def mounted(self) -> None:
        self.host.run_task(self.vm.load_status)

    def row(self, r: Row) -> ft.Control:
        star = ft.IconButton(
            ft.Icons.STAR if r.watched else ft.Icons.STAR_BORDER,
            tooltip=self.tr("market.unwatch" if r.watched else "market.watch"),
            on_click=lambda e, s=r.symbol: self.vm.toggle_watch(s),
        )
        tile = ft.ListTile(
            title=ft.Text(r.name, size=18),
            subtitle=ft.Text(r.detail),
            trailing=ft.Row([ft.Text(r.price or "", size=16), star], tight=True),
            min_height=MIN_TOUCH,
            on_click=self.host.nav(f"/child/stock/{r.symbol}"),
        )
        return tid(f"stock-{r.symbol}", tile, label=r.name)

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        status = [
            tid(
                f"market-{m}",
                ft.Row(
                    [
                        ft.Icon(
                            ft.Icons.CIRCLE, size=12, color=ft.Colors.GREEN if is_open else ft.Colors.GREY
                        ),
                        ft.Text(text, size=16),
                    ]
                ),
            )  # fmt: skip
            for m, is_open, text in vm.markets
        ]
        out: list[ft.Control] = [card(*status), tid("market-search", self.search)]
        if vm.rule_note:
            out.append(tid("market-rule-note", muted(vm.rule_note), label=vm.rule_note))
        elif vm.empty_note:
            out.append(muted(vm.empty_note))
        out.extend(self.row(r) for r in vm.results)
        out.append(heading(tr("market.watchlist")))
        out.extend(self.row(r) for r in vm.watchlist)
        if not vm.watchlist:
            out.append(muted(tr("market.no_watchlist")))
        return out

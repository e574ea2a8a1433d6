"""The trade ticket: edit → confirm → sent (waiting for confirmation)."""

from __future__ import annotations

import flet as ft

from client.viewmodels.trade import TradeVM
from sync.protocol import JOURNAL_MAX

from ..host import Host
from ..screen import ChildScreenView
from ..widgets import big_button, card, heading, muted, tid
from .glossary import glossed


class TradeView(ChildScreenView):
    tab = 1

    vm: TradeVM

    def __init__(self, host: Host, vm: TradeVM) -> None:
        self.route = f"/child/trade/{vm.symbol}"
        self.back = f"/child/stock/{vm.symbol}"
        self.amount = ft.TextField(
            label=vm.input_label, text_size=24, keyboard_type=ft.KeyboardType.NUMBER,
            on_change=lambda e: self.vm.set_text(e.control.value or ""),
        )  # fmt: skip
        self.limit = ft.TextField(
            label=host.tools.tr("trade.limit_label"), text_size=20, keyboard_type=ft.KeyboardType.NUMBER,
            on_change=lambda e: self.vm.set_limit(e.control.value or ""),
        )  # fmt: skip
        # the trade journal: one line (the rule refuses a line break), as long as the rule allows
        self.journal = ft.TextField(
            label=vm.journal_label, text_size=18, max_length=JOURNAL_MAX, multiline=False,
            on_change=lambda e: self.vm.set_journal(e.control.value or ""),
        )  # fmt: skip
        super().__init__(host, vm)

    def title(self) -> str:
        return self.vm.title

    def _by(self, e: ft.Event[ft.SegmentedButton]) -> None:
        self.vm.set_by(next(iter(e.control.selected or ["quantity"])))
        self.amount.value = ""
        self.amount.label = self.vm.input_label

    async def _confirm(self, e: ft.Event[ft.Button]) -> None:
        await self.vm.confirm()

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        info = card(
            tid("trade-price", ft.Text(tr("trade.price", price=vm.price), size=18)),
            muted(tr("trade.cash", cash=vm.cash)),
        )
        said = [tid("trade-journal-line", muted(vm.journal_line))] if vm.journal_line else []
        if vm.stage == "sent":
            return [
                info,
                heading(tr("trade.sent_title")),
                card(*[ft.Text(line, size=18) for line in vm.lines], *said),
                tid("trade-status", ft.Text(vm.sent_status, size=20, weight=ft.FontWeight.BOLD)),
                big_button(tr("trade.done"), self.host.nav("/child"), "trade-done"),
            ]
        lines = [
            glossed(
                self.host,
                tid("trade-prediction", ft.Text(line, size=18)),
                vm.line_glosses.get(i),
                f"trade-info-{vm.line_glosses[i].term}" if i in vm.line_glosses else "",
            )
            for i, line in enumerate(vm.lines)
        ]
        out: list[ft.Control] = [info]
        if vm.stage == "confirm":
            out += [heading(tr("trade.confirm_title")), card(*lines, *said)]
            out.append(big_button(tr("trade.confirm"), self._confirm, "trade-confirm", disabled=vm.busy))
            out.append(big_button(tr("trade.edit"), lambda e: vm.back_to_edit(), "trade-edit", primary=False))
            if vm.busy:
                out.append(ft.ProgressRing())
            if vm.error:
                out.append(tid("trade-error", ft.Text(vm.error, color=ft.Colors.ERROR, size=16)))
            return out
        by = ft.SegmentedButton(
            segments=[
                ft.Segment(value="quantity", label=ft.Text(tr("trade.by_quantity"))),
                ft.Segment(value="amount", label=ft.Text(tr("trade.by_amount"))),
            ],
            selected=[vm.by],
            on_change=self._by,
        )
        out += [tid("trade-by", by), tid("trade-input", self.amount)]
        if vm.limits_allowed:  # the house rules allow limit orders (the "realistic" preset)
            out.append(tid("trade-limit", self.limit))
        self.journal.label, self.journal.helper = vm.journal_label, vm.journal_hint
        out.append(tid("trade-journal", self.journal))
        if lines:
            out.append(card(*lines))
        if vm.message:
            out.append(tid("trade-message", ft.Text(vm.message, color=ft.Colors.ERROR, size=16)))
        out.append(
            big_button(tr("trade.review"), lambda e: vm.review(), "trade-review", disabled=not vm.can_review)
        )
        return out

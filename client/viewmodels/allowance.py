"""Allowance: convertible profit explained, a request form that shows the real amount, each request's
status (with the parent's reason on a rejection) and the payout history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.allowance import check_request_limits, real_amount
from sync.errors import Rejected

from .base import Profile, Tools
from .child import ChildScreen
from .errors import code_of, explain
from .trade import parse_amount

__all__ = ["AllowanceVM", "RequestRow"]


@dataclass(frozen=True)
class RequestRow:
    request_id: str
    amounts: str  # 15,000 G₩ → 1,500원
    status: str
    reason: str | None
    waiting: bool


def _default_builder() -> Callable[[int], tuple[str, dict[str, Any]]]:
    from client.actions import request_conversion

    return request_conversion


class AllowanceVM(ChildScreen):
    def __init__(
        self,
        profile: Profile,
        tools: Tools,
        *,
        build: Callable[[int], tuple[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.text = ""
        self.notice: str | None = None
        self._build = build
        super().__init__(profile, tools)

    def refresh(self) -> None:
        super().refresh()
        tr, fmt, rules = self.tools.tr, self.tools.fmt, self.book.rules()
        s = self.summary()
        self.convertible_value = s.convertible_profit
        self.convertible = fmt.game(s.convertible_profit)
        self.explainer = tr("allowance.explainer", realised=fmt.game(s.realised))
        self.rate_text = tr("allowance.rate", game=fmt.game(1000), real=fmt.won(real_amount(1000, rules)))
        self.amount_game = parse_amount(self.text)
        self.conversion: str | None = None
        self.problem: str | None = None
        self.can_submit = False
        if self.text.strip():
            if self.amount_game is None:
                self.problem = tr("trade.bad_number")
            else:
                self.conversion = tr("allowance.conversion", game=fmt.game(self.amount_game),
                                     real=fmt.won(real_amount(self.amount_game, rules)))  # fmt: skip
                try:
                    check_request_limits(
                        amount_game=self.amount_game, cash=self.book.balance("cash"), stats=self.book.stats(),
                        requests=self.book.requests(), rules=rules, now=self.server_now(),
                    )  # fmt: skip
                except Rejected as rejected:
                    self.problem = explain(tr, rejected.code.value)
                else:
                    self.can_submit = True
        waiting = self.pending_request_ids()
        ordered = sorted(self.book.requests(), key=lambda r: r.created_at, reverse=True)
        self.requests = [
            RequestRow(
                request_id=r.request_id,
                amounts=tr("allowance.conversion", game=fmt.game(r.amount_game), real=fmt.won(r.amount_real)),
                status=tr("trade.waiting") if r.request_id in waiting else tr(f"allowance.status.{r.status}"),
                reason=tr("allowance.parent_said", reason=r.reason)
                if r.status == "rejected" and r.reason
                else None,
                waiting=r.request_id in waiting,
            )
            for r in ordered
        ]
        self.payouts = [
            tr(
                "allowance.paid_line",
                real=fmt.won(r.amount_real),
                method=tr(f"allowance.method.{r.paid_method or 'other'}"),
                when=fmt.day(r.paid_at) if r.paid_at else "",
            )  # fmt: skip
            for r in ordered
            if r.status == "paid"
        ]

    def set_text(self, text: str) -> None:
        self.text, self.notice = text, None
        self.refresh()
        self.changed()

    async def submit(self) -> None:
        if not self.can_submit or self.amount_game is None:
            return
        self.busy, self.error = True, None
        self.changed()
        try:
            name, args = (self._build or _default_builder())(self.amount_game)
            await self.profile.act(name, args)
        except Exception as exc:
            self.error = explain(self.tools.tr, code_of(exc))
        else:
            self.text, self.notice = "", self.tools.tr("allowance.sent")
        finally:
            self.busy = False
        self.refresh()
        self.changed()

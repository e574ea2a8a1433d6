"""Payouts: approved requests waiting for the real money, marked paid with a method and a reference.

Cash, bank transfer and "other" are recorded offline-first (``allowance.mark_paid/v1``); Toss and
KakaoPay go through the server's payout rail (``POST /api/payment/transfer``), which needs the
connection — offline the screen says so and nothing is recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.records import RequestStatus

from ..base import Tools
from .base import ParentScreen, is_offline

__all__ = ["MANUAL", "METHODS", "PayoutRow", "PayoutsVM", "RAILS"]

MANUAL = ("cash", "bank_transfer", "other")
RAILS = ("toss", "kakaopay")
METHODS = (*MANUAL[:2], *RAILS, MANUAL[2])
MARK_PAID = "allowance.mark_paid/v1"
Builder = Callable[..., tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class PayoutRow:
    child_id: str
    child: str
    request_id: str
    amount_real: int
    amount: str
    waiting: bool  # marked paid here, not yet confirmed by the server


def _default_builder() -> Builder:
    from client.actions import mark_paid

    return mark_paid


class PayoutsVM(ParentScreen):
    def __init__(
        self, profile: Any, tools: Tools, runtime: Any = None, *, build: Builder | None = None
    ) -> None:
        self._build = build or _default_builder()
        self.methods: dict[str, str] = {}
        self.references: dict[str, str] = {}
        self.link: str | None = None  # a KakaoPay approval page to open
        super().__init__(profile, tools, runtime)

    def refresh(self) -> None:
        super().refresh()
        tr, fmt = self.tools.tr, self.tools.fmt
        marking = {a.get("request_id") for a in self.pending_args(MARK_PAID)}
        rows: list[PayoutRow] = []
        history: list[str] = []
        for child in self.children():
            for r in sorted(child.book.requests(), key=lambda r: r.updated_at, reverse=True):
                if r.status == RequestStatus.APPROVED:
                    rows.append(
                        PayoutRow(
                            child.child_id,
                            child.name,
                            r.request_id,
                            r.amount_real,
                            fmt.won(r.amount_real),
                            r.request_id in marking,
                        )
                    )
                elif r.status == RequestStatus.PAID:
                    history.append(
                        tr(
                            "parent.payouts.paid_line",
                            child=child.name,
                            real=fmt.won(r.amount_real),
                            method=tr(f"parent.method.{r.paid_method or 'other'}"),
                            reference=r.paid_reference or "",
                            when=r.paid_at.astimezone().strftime("%Y-%m-%d") if r.paid_at else "",
                        ).rstrip(" ·")
                    )
        self.rows, self.history = rows, history

    def method(self, request_id: str) -> str:
        return self.methods.get(request_id, "cash")

    def set_method(self, request_id: str, method: str) -> None:
        if method in METHODS:
            self.methods[request_id] = method
            self.changed()

    def set_reference(self, request_id: str, text: str) -> None:
        self.references[request_id] = text

    async def mark_paid(self, request_id: str) -> bool:
        row = next((r for r in self.rows if r.request_id == request_id), None)
        if row is None or row.waiting:
            return False
        method = self.method(request_id)
        reference = self.references.get(request_id, "").strip()[:200] or None
        tr, fmt = self.tools.tr, self.tools.fmt
        if method in RAILS:
            if self.gate(lambda: self.mark_paid(request_id)):
                return False
            return await self._through_rail(row, method)
        mutation = self._build(row.child_id, row.request_id, method, reference)
        return await self.act(
            mutation, notice=tr("parent.payouts.marked", child=row.child, real=fmt.won(row.amount_real))
        )

    async def _through_rail(self, row: PayoutRow, rail: str) -> bool:
        tr = self.tools.tr
        body = {"request_id": row.request_id, "rail": rail}

        async def call() -> Any:
            return await self.profile.api.request("POST", "/api/payment/transfer", json_body=body)

        self.link = None
        offline = tr("parent.payouts.rail_offline", rail=tr(f"parent.method.{rail}"))
        # a rail the family server has no keys for answers INVALID_ARGS ("not configured here")
        missing = tr("parent.payouts.rail_missing", rail=tr(f"parent.method.{rail}"))
        answer = await self.online(
            call,
            again=lambda: self.mark_paid(row.request_id),
            offline=offline,
            codes={"INVALID_ARGS": missing},
        )
        if answer is None:
            return False
        payout = answer.get("payout") or {}
        if answer.get("status") == "pending":
            self.link = payout.get("link")
            self.notice = tr("parent.payouts.rail_pending", rail=tr(f"parent.method.{rail}"))
        else:
            self.notice = tr(
                "parent.payouts.marked", child=row.child, real=self.tools.fmt.won(row.amount_real)
            )
        try:
            await self.profile.sync_now()  # the rail recorded the payout on the server: pull it
        except Exception as exc:  # the notice stands; the chip shows the sync state
            if not is_offline(exc):
                self.fail(exc)
        self.refresh()
        self.changed()
        return True

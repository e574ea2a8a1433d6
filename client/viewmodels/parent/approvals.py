"""Approvals: each pending conversion request with exactly the real money it will pay, approve or
reject (a reason is required), the two-parent rule and cooling-off explained, and the server's
answer explained when it differed (``REQUEST_CHANGED``: the child changed it before the decision
arrived). Below them, the orders waiting for a parent (``trade_approvals``): approve, or decline
with a reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.records import Request, RequestStatus

from ..base import Profile, Tools
from ..errors import explain
from .base import ParentRuntime, ParentScreen
from .trade_approvals import DECIDE_TRADE, TradeApprovalRow, trade_rows

__all__ = ["ApprovalRow", "ApprovalsVM", "DECIDE"]

DECIDE = "allowance.decide/v1"
Builder = Callable[..., tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class ApprovalRow:
    child_id: str
    child: str
    request_id: str
    version: int
    amount_game: int
    amount_real: int  # floor(game × rate): exactly what approving will pay
    amounts: str  # "15,000 G₩ → 1,500원"
    pays: str  # "Approving pays 1,500원"
    rule: str | None  # the two-parent rule or the cooling-off, in words
    waiting: bool  # our decision is queued, not yet confirmed
    can_approve: bool


def _default_builder() -> Builder:
    from client.actions import decide_request

    return decide_request


def _trade_builder() -> Builder:
    from client.actions import decide_trade

    return decide_trade


class ApprovalsVM(ParentScreen):
    def __init__(
        self,
        profile: Profile,
        tools: Tools,
        runtime: ParentRuntime | None = None,
        *,
        build: Builder | None = None,
    ) -> None:
        self._build = build or _default_builder()
        self._build_trade = _trade_builder()
        self.reasons: dict[str, str] = {}
        self.reason_errors: dict[str, str] = {}
        super().__init__(profile, tools, runtime)

    def parent_count(self) -> int:
        return max(1, sum(1 for m in self.view.members if m.get("role") == "parent"))

    def refresh(self) -> None:
        super().refresh()
        deciding = {a.get("request_id") for a in self.pending_args(DECIDE)}
        rows: list[ApprovalRow] = []
        for child in self.children():
            for r in sorted(child.book.requests(), key=lambda r: r.created_at):
                # a decision queued here is already applied to the local view (predicted); it stays
                # listed, marked as waiting, until the server confirms it
                if r.status != RequestStatus.PENDING and r.request_id not in deciding:
                    continue
                rows.append(
                    self._row(child.child_id, child.name, r, child.book.rules(), r.request_id in deciding)
                )
        self.rows = rows
        deciding_trades = {str(a.get("trade_id")) for a in self.pending_args(DECIDE_TRADE)}
        self.trade_rows: list[TradeApprovalRow] = trade_rows(
            self.children(), deciding_trades, self.tools, self.server_now()
        )
        self.answers = self._answers()

    def _row(self, child_id: str, name: str, r: Request, rules: Any, waiting: bool) -> ApprovalRow:
        tr, fmt = self.tools.tr, self.tools.fmt
        # the book's amount_real was computed with the rules in force when the child asked; it is the
        # amount the server checks, so that is what the parent sees and cites
        real = r.amount_real
        rule, can = None, not waiting
        me = self.view.me.user_id
        if real > rules.second_parent_threshold:
            threshold = fmt.won(rules.second_parent_threshold)
            if self.parent_count() >= 2:
                if me in r.approvals:
                    rule, can = tr("parent.approvals.you_approved_wait", threshold=threshold), False
                elif r.approvals:
                    rule = tr("parent.approvals.other_approved", threshold=threshold)
                else:
                    rule = tr("parent.approvals.two_parents", threshold=threshold)
            elif r.cooling_until is None:
                hours = max(1, rules.cooling_off_s // 3600)
                rule = tr("parent.approvals.cooling_ahead", threshold=threshold, hours=hours)
            elif self.server_now() < r.cooling_until:
                when = fmt.when(r.cooling_until, self.server_now())
                rule, can = tr("parent.approvals.cooling_until", when=when), False
            else:
                rule = tr("parent.approvals.cooling_over")
        return ApprovalRow(
            child_id=child_id,
            child=name,
            request_id=r.request_id,
            version=r.version,
            amount_game=r.amount_game,
            amount_real=real,
            amounts=tr("parent.approvals.amounts", game=fmt.game(r.amount_game), real=fmt.won(real)),
            pays=tr("parent.approvals.pays", real=fmt.won(real)),
            rule=rule,
            waiting=waiting,
            can_approve=can,
        )

    def _answers(self) -> list[tuple[str, str]]:
        """(mutation_id, text): decisions the server answered differently, not yet dismissed."""
        tr, fmt = self.tools.tr, self.tools.fmt
        out: list[tuple[str, str]] = []
        for o in self.view.outcomes:
            if o.name not in (DECIDE, DECIDE_TRADE) or o.seen or o.status == "applied":
                continue
            child = self.child_name(str(o.args.get("child_id", "")))
            detail = o.detail or {}
            if o.name == DECIDE_TRADE and o.status == "rejected":
                # ALREADY_DECIDED: the other parent decided first, or the child cancelled it
                key = "parent.approvals.trade.already" if o.code == "ALREADY_DECIDED" else None
                reason = explain(tr, o.code)
                text = (
                    tr(key, child=child)
                    if key
                    else tr("parent.approvals.refused", child=child, reason=reason)
                )
            elif o.name == DECIDE_TRADE:
                continue
            elif o.status == "rejected" and o.code == "REQUEST_CHANGED":
                now = detail.get("amount_real")
                text = tr(
                    "parent.approvals.changed",
                    child=child,
                    saw=fmt.won(int(o.args.get("amount_real", 0))),
                    now=fmt.won(int(now)) if isinstance(now, int) else "?",
                )
            elif o.status == "rejected":
                text = tr("parent.approvals.refused", child=child, reason=explain(tr, o.code))
            else:  # applied with a twist: waiting for the second parent or the cooling-off
                continue
            out.append((o.mutation_id, text))
        return out

    # -- input and actions ----------------------------------------------------------------
    def set_reason(self, request_id: str, text: str) -> None:
        self.reasons[request_id] = text
        self.reason_errors.pop(request_id, None)

    def row(self, request_id: str) -> ApprovalRow | None:
        return next((r for r in self.rows if r.request_id == request_id), None)

    async def approve(self, request_id: str) -> bool:
        row = self.row(request_id)
        if row is None or not row.can_approve:
            return False
        mutation = self._build(row.child_id, row.request_id, row.version, row.amount_real, "approve")
        return await self.act(
            mutation,
            notice=self.tools.tr("parent.approvals.approved", real=self.tools.fmt.won(row.amount_real)),
        )

    async def reject(self, request_id: str) -> bool:
        row = self.row(request_id)
        if row is None or row.waiting:
            return False
        reason = self.reasons.get(request_id, "").strip()
        if not reason:
            self.reason_errors[request_id] = self.tools.tr("parent.approvals.reason_required")
            self.changed()
            return False
        mutation = self._build(row.child_id, row.request_id, row.version, row.amount_real, "reject", reason)
        ok = await self.act(mutation, notice=self.tools.tr("parent.approvals.rejected"))
        if ok:
            self.reasons.pop(request_id, None)
        return ok

    def trade_row(self, trade_id: str) -> TradeApprovalRow | None:
        return next((r for r in self.trade_rows if r.trade_id == trade_id), None)

    async def approve_trade(self, trade_id: str) -> bool:
        """Approve a waiting order (step-up first, like any approval)."""
        row = self.trade_row(trade_id)
        if row is None or row.waiting:
            return False
        mutation = self._build_trade(row.child_id, trade_id, "approve")
        return await self.act(
            mutation, notice=self.tools.tr("parent.approvals.trade.approved", what=row.what)
        )

    async def decline_trade(self, trade_id: str) -> bool:
        """Decline a waiting order with the reason the child reads (required)."""
        row = self.trade_row(trade_id)
        if row is None or row.waiting:
            return False
        reason = self.reasons.get(trade_id, "").strip()
        if not reason:
            self.reason_errors[trade_id] = self.tools.tr("parent.approvals.reason_required")
            self.changed()
            return False
        mutation = self._build_trade(row.child_id, trade_id, "decline", reason)
        ok = await self.act(mutation, notice=self.tools.tr("parent.approvals.trade.declined"))
        if ok:
            self.reasons.pop(trade_id, None)
        return ok

    async def dismiss(self, mutation_id: str) -> None:
        await self.profile.mark_seen([mutation_id])

"""Payouts: approved requests waiting for the real money, marked paid with a method and a reference.

Cash, bank transfer and "other" are recorded offline-first (``allowance.mark_paid/v1``); Toss and
KakaoPay go through the server's payout rail (``POST /api/payment/transfer``), which needs the
connection — offline the screen says so and nothing is recorded. Toss transfers to the parent's
registered payout account (registered here with the password again, shown masked afterwards); it
answers at once with its payout id as the reference. KakaoPay answers with a payment link: the
parent pays in KakaoPay, which returns the browser to the family server's own page that completes
the payout; this screen then shows it paid with the next pull."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.records import RequestStatus

from ..base import Profile, Tools
from ..errors import code_of
from .base import ParentRuntime, ParentScreen, is_offline
from .payout_account import AccountForm

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
        self,
        profile: Profile,
        tools: Tools,
        runtime: ParentRuntime | None = None,
        *,
        build: Builder | None = None,
    ) -> None:
        self._build = build or _default_builder()
        self.methods: dict[str, str] = {}
        self.references: dict[str, str] = {}
        self.link: str | None = None  # a KakaoPay approval page to open
        self.account: dict[str, str] | None = None  # the payout account, as the server shows it (masked)
        self.account_known = False  # read from the server (it is online only)
        self.editing_account = False
        self.form = AccountForm()
        self.form_problems: dict[str, str] = {}
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
            if method == "toss" and self.account_known and self.account is None:
                self.error, self.editing_account = tr("parent.account.needed"), True
                self.changed()
                return False
            if self.gate(lambda: self.mark_paid(request_id)):
                return False
            return await self._through_rail(row, method)
        mutation = self._build(row.child_id, row.request_id, method, reference)
        return await self.act(
            mutation, notice=tr("parent.payouts.marked", child=row.child, real=fmt.won(row.amount_real))
        )

    async def _through_rail(self, row: PayoutRow, rail: str) -> bool:
        tr = self.tools.tr
        name = tr(f"parent.method.{rail}")

        async def call() -> Any:
            return await self.profile.api.transfer(row.request_id, rail)

        self.link = None
        answer = await self.online(
            call,
            again=lambda: self.mark_paid(row.request_id),
            offline=tr("parent.payouts.rail_offline", rail=name),
            # a rail the family server has no keys for answers INVALID_ARGS ("not configured here");
            # the provider's refusal is PROVIDER_FAILED: nothing was paid, the request stays approved
            codes={
                "INVALID_ARGS": tr("parent.payouts.rail_missing", rail=name),
                "PROVIDER_FAILED": tr("parent.payouts.rail_refused", rail=name),
            },
        )
        if answer is None:
            refused = self._refusal()
            if refused:  # and in the provider's own words, when it gave some
                self.error = tr("parent.payouts.rail_failed", rail=name, why=refused)
                self.changed()
            return False
        payout = answer.get("payout") or {}
        if answer.get("status") == "pending":
            self.link = payout.get("link")
            self.notice = tr("parent.payouts.rail_pending", rail=name)
        else:
            self.notice = tr(
                "parent.payouts.rail_paid",
                child=row.child,
                real=self.tools.fmt.won(row.amount_real),
                rail=name,
                reference=payout.get("reference") or "",
            )
        try:
            await self.profile.sync_now()  # the rail recorded the payout on the server: pull it
        except Exception as exc:  # the notice stands; the chip shows the sync state
            if not is_offline(exc):
                self.fail(exc)
        self.refresh()
        self.changed()
        return True

    def _refusal(self) -> str | None:
        """The provider's own words when the rail refused (502 ``PROVIDER_FAILED`` with the failed payout)."""
        failure = self.failure
        if failure is None or code_of(failure) != "PROVIDER_FAILED":
            return None
        payout = (getattr(failure, "detail", None) or {}).get("payout") or {}
        return str(payout.get("error") or "") or None

    # -- the payout account (Toss transfers go there) ------------------------------------------
    async def load_account(self) -> None:
        """Quietly: offline the section says it needs the connection; nothing else is disturbed."""
        try:
            answer = await self.profile.api.payout_account()
        except Exception:
            self.account_known = False
        else:
            self.account, self.account_known = answer.get("account"), True
        self.changed()

    def account_line(self) -> str | None:
        """ "신한 · ********6789 · 김엄마": never more of the number than the server's mask."""
        if self.account is None:
            return None
        bank = self.account.get("bank", "")
        key = f"parent.bank.{bank}"
        name = self.tools.tr(key) if self.tools.tr.has(key) else bank
        return f"{name} · {self.account.get('number', '')} · {self.account.get('holder', '')}"

    def edit_account(self, editing: bool = True) -> None:
        self.editing_account, self.form_problems = editing, {}
        if not editing:
            self.form.clear()
        self.changed()

    def set_account_field(self, name: str, value: str) -> None:
        setattr(self.form, name, value)
        self.form_problems.pop(name, None)

    async def save_account(self) -> bool:
        """Register the account with the password again; afterwards only the mask is shown."""
        tr = self.tools.tr
        self.form_problems = self.form.problems()
        if self.form_problems:
            self.changed()
            return False
        if self.gate(self.save_account):
            return False
        bank, number, holder = self.form.bank, self.form.number.strip(), self.form.holder.strip()

        async def call() -> Any:
            return await self.profile.api.set_payout_account(bank, number, holder)

        answer = await self.online(call, again=self.save_account, offline=tr("parent.account.offline"))
        if answer is None:
            return False
        self.form.clear()  # the number is the server's now (encrypted); the device forgets it
        self.account, self.account_known, self.editing_account = answer.get("account"), True, False
        self.notice = tr("parent.account.saved", account=self.account_line() or "")
        self.changed()
        return True

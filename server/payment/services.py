"""Paying an approved request through a rail, and the bank account a transfer rail sends to.

One path for ``PUT /api/allowance/{id}/paid`` (the manual rail) and ``POST /api/payment/transfer``
(any rail): look the request up in the caller's family (404), require a stepped-up parent, let the
rail move the money (its refusal is 502 ``PROVIDER_FAILED`` with the failed payout), and only when
it says ``paid`` run ``allowance.mark_paid`` — the same mutation as an offline device's — which
posts REAL ``allowance_payable → allowance_paid`` with the rail's reference.

A provider rail takes two transactions, because the provider's call can sit in neither: it is
slow and outside the database, and an answer lost in a crash must not be lost with a transaction.
First the payout row is committed ``pending``; its id is the provider's idempotency key. Then the
provider is called, outside any transaction. Then one decision: the marking (through the gateway)
and the payout row's ``paid`` commit together (``Gateway.run``'s ``then``), so a request is never
marked paid without its payout, nor a payout paid without its marking. A crash between the
provider's answer and that decision leaves the ``pending`` row: paying again sends it with the
same id, the provider answers its first result instead of paying twice, and the decision is made.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select

from sync.errors import Code, ProtocolCode
from sync.protocol import MutationResult, Outcome
from sync.records import Request

from ..db.models import BankAccount, Payout, RequestRow
from ..errors import DomainError
from ..gateway import Runner
from ..gateway.rest import accepted
from ..ids import new_id
from ..principal import Principal
from ..settings import Settings
from .crypto import FieldCipher, SealError, mask_account
from .links import link_key
from .rails import Destination, KakaoPayRail, ManualRail, PayoutOrder, PayoutRail, RailResult, TossRail
from .schemas import AccountAnswer, AccountView, PaymentAnswer, PayoutView

__all__ = ["Payments", "account_view", "payout_view", "rails_from_settings", "set_account"]


def rails_from_settings(settings: Settings) -> dict[str, PayoutRail]:
    rails: dict[str, PayoutRail] = {"manual": ManualRail()}
    if settings.toss_secret_key:
        rails["toss"] = TossRail(settings.toss_url, settings.toss_secret_key)
    if settings.kakaopay_secret_key:
        rails["kakaopay"] = KakaoPayRail(
            settings.kakaopay_url,
            settings.kakaopay_secret_key,
            settings.kakaopay_cid,
            settings.public_url,
            link_key(settings),
        )
    return rails


def payout_view(row: Payout) -> PayoutView:
    return PayoutView(
        payout_id=row.id,
        request_id=row.request_id,
        child_id=row.child_id,
        rail=row.rail,
        method=row.method,
        amount_real=row.amount_real,
        status=row.status,
        reference=row.reference,
        link=row.link,
        error=row.error,
        created_by=row.created_by,
        created_at=row.created_at.isoformat(),
        finished_at=row.finished_at.isoformat() if row.finished_at else None,
    )


def _paid(result: MutationResult, request: dict[str, Any] | None, payout: PayoutView) -> PaymentAnswer:
    """The answer of a request marked paid (a rejection of the marking is raised by ``accepted``)."""
    applied = accepted(result)
    answer = PaymentAnswer(
        status="adjusted" if applied.status is Outcome.ADJUSTED else "applied",
        mutation_id=applied.id,
        request=msgspec.convert(request, Request, strict=False) if request is not None else None,
        payout=payout,
    )
    if applied.detail:
        answer.detail = applied.detail
    return answer


_ACCOUNTS = ("bank_accounts", "number_ct")


def _seal_args(row_id: str) -> dict[str, str]:
    return {"table": _ACCOUNTS[0], "column": _ACCOUNTS[1], "row_id": row_id}


def account_view(row: BankAccount | None) -> AccountAnswer:
    """The account as shown to its parent: bank, holder and the masked number, never the number."""
    if row is None:
        return AccountAnswer(account=None)
    return AccountAnswer(account=AccountView(bank=row.bank, holder=row.holder, number=row.number_masked))


def set_account(runner: Runner, cipher: FieldCipher, bank: str, number: str, holder: str) -> AccountAnswer:
    principal = runner.principal
    with runner.change("bank_account.set") as call:
        session, now = call.session, call.now
        row = session.scalars(select(BankAccount).where(BankAccount.user_id == principal.user_id)).first()
        if row is None:
            row = BankAccount(
                id=new_id(), family_id=call.family_id, user_id=principal.user_id, created_at=now
            )
            session.add(row)
        row.bank, row.holder, row.number_masked = bank, holder, mask_account(number)
        row.number_ct = cipher.seal(number, **_seal_args(row.id))
        session.flush()
        return account_view(row)


class Payments:
    """The payout service of one server: its rails and the cipher for bank accounts."""

    def __init__(self, rails: dict[str, PayoutRail], cipher: FieldCipher) -> None:
        self.rails = rails
        self.cipher = cipher

    def _request(self, runner: Runner, request_id: str) -> dict[str, Any]:
        principal = runner.principal
        if principal.family_id is None:
            raise DomainError(Code.NOT_FOUND, "no family data for this account")
        with runner.db.read() as session:
            row = session.get(RequestRow, request_id)
            if row is None or row.family_id != principal.family_id:
                raise DomainError(Code.NOT_FOUND, "no such request")
            return dict(row.data)

    def pay(
        self,
        runner: Runner,
        request_id: str,
        *,
        rail: str,
        method: str | None = None,
        reference: str | None = None,
        pg_token: str | None = None,
        idempotency_key: str | None = None,
        payout_id: str | None = None,
    ) -> PaymentAnswer:
        """``payout_id`` (with ``pg_token``): complete that very link (the return page's), not the newest."""
        seen = self._request(runner, request_id)
        principal = runner.principal
        runner.allowed("payout.send")
        chosen = self.rails.get(rail)
        if chosen is None:
            raise DomainError(Code.INVALID_ARGS, f"the payout rail {rail!r} is not configured here")
        if rail == "manual":
            return self._record_paid(
                runner, seen, None, RailResult("paid", method or "cash", reference), idempotency_key
            )
        if seen.get("status") != "approved":
            raise DomainError(  # a rule's refusal: 409 (server.problems)
                Code.ALREADY_DECIDED,
                "only an approved request can be paid",
                extra={"status": seen.get("status")},
            )
        payout, order = self._open(runner, principal, seen, rail, pg_token, payout_id)
        result = chosen.pay(order)  # outside any transaction: a slow provider holds no database lock
        if result.status == "paid":
            return self._record_paid(runner, seen, payout, result, None)
        return self._finish(runner, payout, result)

    def _open(
        self,
        runner: Runner,
        principal: Principal,
        seen: dict[str, Any],
        rail: str,
        pg_token: str | None,
        payout_id: str | None = None,
    ) -> tuple[str, PayoutOrder]:
        """The payout row to send: a new one, or a pending one of this request and rail.

        A ``pg_token`` completes the pending KakaoPay link. A pending Toss payout is one whose answer
        never arrived (a crash, a timeout): it is sent again with the same id, so the provider's
        idempotency answers the first result instead of paying twice. A new KakaoPay link supersedes
        the older one (its approval would no longer be accepted).
        """
        assert principal.family_id is not None
        with runner.change("payout.send") as call:
            session, now = call.session, call.now
            pending = list(
                session.scalars(
                    select(Payout)
                    .where(
                        Payout.request_id == seen["request_id"],
                        Payout.rail == rail,
                        Payout.status == "pending",
                    )
                    .order_by(Payout.created_at.desc())
                )
            )
            row: Payout | None = None
            if pg_token is not None:
                if payout_id is not None:
                    row = next((p for p in pending if p.id == payout_id), None)
                else:
                    row = pending[0] if pending else None
                if row is None or row.reference is None:
                    raise DomainError(ProtocolCode.CONFLICT, "no payment link is waiting for this request")
            elif rail == "toss" and pending:
                row = pending[0]
            else:
                for older in pending:
                    older.status, older.error, older.finished_at = "failed", "superseded by a new link", now
            if row is None:
                row = Payout(
                    id=new_id(),
                    family_id=principal.family_id,
                    child_id=seen["child_id"],
                    request_id=seen["request_id"],
                    rail=rail,
                    method=rail,
                    amount_real=int(seen["amount_real"]),
                    status="pending",
                    created_by=principal.user_id,
                    created_at=now,
                )
                session.add(row)
            destination = self._destination(session, principal.user_id) if rail == "toss" else None
            order = PayoutOrder(
                payout_id=row.id,
                request_id=row.request_id,
                parent_id=principal.user_id,
                amount_real=row.amount_real,
                destination=destination,
                tid=row.reference if pg_token else None,
                pg_token=pg_token,
            )
            return row.id, order

    def _destination(self, session: Any, user_id: str) -> Destination | None:
        account = session.scalars(select(BankAccount).where(BankAccount.user_id == user_id)).first()
        if account is None:
            return None
        try:
            number = self.cipher.open(account.number_ct, **_seal_args(account.id))
        except SealError:
            return None  # treated as "no account": the rail refuses and nothing is paid
        return Destination(account.bank, number, account.holder)

    def _finish(self, runner: Runner, payout_id: str, result: RailResult) -> PaymentAnswer:
        """A pending link (202) or a failure (502): the request is left as it was."""
        assert runner.principal.family_id is not None
        # not checked again: the provider's answer is recorded even if the step-up lapsed meanwhile
        with runner.db.write(runner.principal.family_id) as session:
            row = session.get(Payout, payout_id)
            assert row is not None
            if row.status == "paid":
                # a second approval of the same link raced the first (a reloaded return page): the
                # provider refused the repeat, and the payment it did approve stands
                return PaymentAnswer(status="paid", payout=payout_view(row))
            row.status = "pending" if result.status == "pending" else "failed"
            row.reference = result.reference or row.reference
            row.link, row.error = result.link, result.error
            if row.status == "failed":
                row.finished_at = runner.clock()
            data = payout_view(row)
        if result.status == "failed":
            # 502 PROVIDER_FAILED (server.problems): this server works, the provider did not pay; the
            # parent's app shows the provider's words from the failed payout
            raise DomainError(
                ProtocolCode.PROVIDER_FAILED,
                "the payout provider did not pay",
                extra={"payout": msgspec.to_builtins(data)},
            )
        return PaymentAnswer(status="pending", payout=data)

    def _record_paid(
        self, runner: Runner, seen: dict[str, Any], payout_id: str | None, result: RailResult, key: str | None
    ) -> PaymentAnswer:
        principal = runner.principal
        args: dict[str, Any] = {
            "child_id": seen["child_id"],
            "request_id": seen["request_id"],
            "method": result.method,
        }
        if result.reference:
            args["reference"] = result.reference
        mutation_key = key or (f"payout-{payout_id}" if payout_id else None)
        answer: list[tuple[PayoutView, dict[str, Any] | None]] = []

        def book(session: Any, outcome: MutationResult) -> None:
            """The payout row, in the marking's transaction: both commit, or neither."""
            marked = outcome.status is not Outcome.REJECTED
            if not marked and payout_id is None:
                return  # the manual rail moved nothing: the rejection is the answer, no payout
            assert principal.family_id is not None
            row = session.get(Payout, payout_id or outcome.id)
            if row is None:  # the manual rail: the payout row carries its mutation's id
                row = Payout(
                    id=outcome.id,
                    family_id=principal.family_id,
                    child_id=seen["child_id"],
                    request_id=seen["request_id"],
                    rail="manual",
                    method=result.method,
                    amount_real=int(seen["amount_real"]),
                    status="paid",
                    created_by=principal.user_id,
                    created_at=runner.clock(),
                )
                session.add(row)
            row.status, row.reference = "paid", result.reference
            row.finished_at = row.finished_at or runner.clock()
            if not marked:
                # the provider paid but the request could not be marked (another parent recorded it
                # first): the provider's reference stays here for the parents to reconcile
                row.error = f"not marked paid: {outcome.code}"
            session.flush()
            request = session.get(RequestRow, seen["request_id"])
            answer.append((payout_view(row), request.data if request else None))

        outcome = runner.run("allowance.mark_paid/v1", args, mutation_key, then=book)
        if not answer:
            accepted(outcome)  # raises: the manual rail's rejection
        data, request_data = answer[0]
        return _paid(outcome, request_data, data)


def user_account(session: Any, user_id: str) -> BankAccount | None:
    return session.scalars(select(BankAccount).where(BankAccount.user_id == user_id)).first()

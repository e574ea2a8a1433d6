"""Paying an approved request through a rail, and the bank account a transfer rail sends to.

One path for ``PUT /api/allowance/{id}/paid`` (the manual rail) and ``POST /api/payment/transfer``
(any rail): look the request up in the caller's family (404), require a stepped-up parent, let the
rail move the money, and only when it says ``paid`` run ``allowance.mark_paid`` — the same mutation
as an offline device's — which posts REAL ``allowance_payable → allowance_paid`` with the rail's
reference. A provider rail's payout row is committed *before* the provider is called, so a crash in
between leaves a ``pending`` row to look at, never money moved without a trace; its id is the
provider's idempotency key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sync.errors import Code, ProtocolCode

from ..auth.guards import refuse_unless_parent
from ..db.models import BankAccount, Payout, RequestRow
from ..errors import ProblemError
from ..game.controllers import mutation_response
from ..game.online import Runner
from ..ids import new_id
from ..principal import Principal
from ..settings import Settings
from .crypto import FieldCipher, SealError, mask_account
from .rails import Destination, KakaoPayRail, ManualRail, PayoutOrder, PayoutRail, RailResult, TossRail

__all__ = ["Payments", "account_view", "payout_data", "rails_from_settings", "set_account"]


def rails_from_settings(settings: Settings) -> dict[str, PayoutRail]:
    rails: dict[str, PayoutRail] = {"manual": ManualRail()}
    if settings.toss_secret_key:
        rails["toss"] = TossRail(settings.toss_url, settings.toss_secret_key)
    if settings.kakaopay_secret_key:
        rails["kakaopay"] = KakaoPayRail(
            settings.kakaopay_url, settings.kakaopay_secret_key, settings.kakaopay_cid, settings.public_url
        )
    return rails


def payout_data(row: Payout) -> dict[str, Any]:
    return {
        "payout_id": row.id,
        "request_id": row.request_id,
        "child_id": row.child_id,
        "rail": row.rail,
        "method": row.method,
        "amount_real": row.amount_real,
        "status": row.status,
        "reference": row.reference,
        "link": row.link,
        "error": row.error,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }


_ACCOUNTS = ("bank_accounts", "number_ct")


def _seal_args(row_id: str) -> dict[str, str]:
    return {"table": _ACCOUNTS[0], "column": _ACCOUNTS[1], "row_id": row_id}


def account_view(row: BankAccount | None) -> dict[str, Any]:
    """The account as shown to its parent: bank, holder and the masked number, never the number."""
    if row is None:
        return {"account": None}
    return {"account": {"bank": row.bank, "holder": row.holder, "number": row.number_masked}}


def set_account(runner: Runner, cipher: FieldCipher, bank: str, number: str, holder: str) -> dict[str, Any]:
    principal, now = runner.principal, runner.clock()
    if principal.family_id is None:
        raise ProblemError(404, Code.NOT_FOUND, "no family data for this account")
    refuse_unless_parent(principal, step_up_at=now)
    with runner.db.write(principal.family_id) as session:
        row = session.scalars(select(BankAccount).where(BankAccount.user_id == principal.user_id)).first()
        if row is None:
            row = BankAccount(
                id=new_id(), family_id=principal.family_id, user_id=principal.user_id, created_at=now
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
            raise ProblemError(404, Code.NOT_FOUND, "no family data for this account")
        with runner.db.read() as session:
            row = session.get(RequestRow, request_id)
            if row is None or row.family_id != principal.family_id:
                raise ProblemError(404, Code.NOT_FOUND, "no such request")
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
    ) -> dict[str, Any]:
        seen = self._request(runner, request_id)
        principal = runner.principal
        refuse_unless_parent(principal, step_up_at=runner.clock())
        chosen = self.rails.get(rail)
        if chosen is None:
            raise ProblemError(422, Code.INVALID_ARGS, f"the payout rail {rail!r} is not configured here")
        if rail == "manual":
            return self._record_paid(
                runner, seen, None, RailResult("paid", method or "cash", reference), idempotency_key
            )
        if seen.get("status") != "approved":
            raise ProblemError(
                409,
                Code.ALREADY_DECIDED,
                "only an approved request can be paid",
                extra={"status": seen.get("status")},
            )
        payout, order = self._open(runner, principal, seen, rail, pg_token)
        result = chosen.pay(order)  # outside any transaction: a slow provider holds no database lock
        if result.status == "paid":
            return self._record_paid(runner, seen, payout, result, None)
        return self._finish(runner, payout, result)

    def _open(
        self, runner: Runner, principal: Principal, seen: dict[str, Any], rail: str, pg_token: str | None
    ) -> tuple[str, PayoutOrder]:
        """The payout row to send: a new one, or a pending one of this request and rail.

        A ``pg_token`` completes the pending KakaoPay link. A pending Toss payout is one whose answer
        never arrived (a crash, a timeout): it is sent again with the same id, so the provider's
        idempotency answers the first result instead of paying twice. A new KakaoPay link supersedes
        the older one (its approval would no longer be accepted).
        """
        assert principal.family_id is not None
        now = runner.clock()
        with runner.db.write(principal.family_id) as session:
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
                row = pending[0] if pending else None
                if row is None or row.reference is None:
                    raise ProblemError(
                        409, ProtocolCode.CONFLICT, "no payment link is waiting for this request"
                    )
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

    def _finish(self, runner: Runner, payout_id: str, result: RailResult) -> dict[str, Any]:
        """A pending link (202) or a failure (502): the request is left as it was."""
        assert runner.principal.family_id is not None
        with runner.db.write(runner.principal.family_id) as session:
            row = session.get(Payout, payout_id)
            assert row is not None
            row.status = "pending" if result.status == "pending" else "failed"
            row.reference = result.reference or row.reference
            row.link, row.error = result.link, result.error
            if row.status == "failed":
                row.finished_at = runner.clock()
            data = payout_data(row)
        if result.status == "failed":
            raise ProblemError(
                502, ProtocolCode.UNAVAILABLE, "the payout provider did not pay", extra={"payout": data}
            )
        return {"status": "pending", "payout": data}

    def _record_paid(
        self, runner: Runner, seen: dict[str, Any], payout_id: str | None, result: RailResult, key: str | None
    ) -> dict[str, Any]:
        principal = runner.principal
        args: dict[str, Any] = {
            "child_id": seen["child_id"],
            "request_id": seen["request_id"],
            "method": result.method,
        }
        if result.reference:
            args["reference"] = result.reference
        mutation_key = key or (f"payout-{payout_id}" if payout_id else None)
        outcome = runner.run("allowance.mark_paid/v1", args, mutation_key)
        marked = outcome.status.value != "rejected"
        if not marked and payout_id is None:
            return mutation_response(outcome)  # the manual rail moved nothing: the rejection is the answer
        assert principal.family_id is not None
        with runner.db.write(principal.family_id) as session:
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
            data = payout_data(row)
            request = session.get(RequestRow, seen["request_id"])
            request_data = request.data if request else None
        return mutation_response(outcome, request=request_data, payout=data)


def user_account(session: Any, user_id: str) -> BankAccount | None:
    return session.scalars(select(BankAccount).where(BankAccount.user_id == user_id)).first()

"""Payout rails behind one interface: ``manual`` (the parent records it), ``toss`` and ``kakaopay``.

A rail gets a :class:`PayoutOrder` and answers a :class:`RailResult`: ``paid`` (the money moved:
the request is marked paid with the rail's reference), ``pending`` (a payment link waits for the
parent; nothing is marked) or ``failed`` (the provider said no or could not be reached: nothing is
marked, the request stays approved and can be paid again). A rail never raises for a provider's
refusal; only programming errors escape.

Provider shapes, from their public documentation as we know it (this machine cannot reach them);
the tests run each against a local HTTP server of the same shape:

- **Toss Payments payouts** — ``POST <base>/v2/payouts`` with HTTP Basic (secret key as the user,
  empty password) and ``Idempotency-Key``; body ``{"refPayoutId", "destination": {"bankCode",
  "accountNumber", "holderName"}, "scheduleType": "EXPRESS", "amount": {"currency": "KRW", "value"},
  "transactionDescription"}``; 200 ``{"id", "refPayoutId", "status": "COMPLETED"|"REQUESTED"|…}``,
  errors ``{"code", "message"}``.
- **KakaoPay single payment** — ``POST <base>/online/v1/payment/ready`` with ``Authorization:
  SECRET_KEY <key>``; body ``{"cid", "partner_order_id", "partner_user_id", "item_name", "quantity",
  "total_amount", "tax_free_amount", "approval_url", "cancel_url", "fail_url"}``; 200 ``{"tid",
  "next_redirect_app_url", "next_redirect_mobile_url", "next_redirect_pc_url", "created_at"}``.
  After the parent pays, ``POST …/payment/approve`` ``{"cid", "tid", "partner_order_id",
  "partner_user_id", "pg_token"}`` → 200 ``{"aid", "tid", "amount": {"total"}, "approved_at"}``;
  errors ``{"error_code", "error_message"}``. KakaoPay sends the parent's browser back to the
  ``approval_url`` with ``?pg_token=…`` appended (or to ``cancel_url``/``fail_url``); those
  addresses are the server's own return page (``server/payment/returns.py``), signed per payout
  (``server/payment/links.py``) because a browser redirect carries no credentials.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from .links import return_base

__all__ = [
    "Destination",
    "KakaoPayRail",
    "ManualRail",
    "PayoutOrder",
    "PayoutRail",
    "RailResult",
    "TossRail",
]

TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Destination:
    """Where a transfer goes: the account the parent registered (decrypted only for this call)."""

    bank: str
    number: str
    holder: str


@dataclass(frozen=True)
class PayoutOrder:
    payout_id: str  # also the provider's idempotency key: a retried call cannot pay twice
    request_id: str
    parent_id: str
    amount_real: int
    method: str = ""
    reference: str | None = None
    destination: Destination | None = None
    tid: str | None = None  # KakaoPay: the payment created by a previous "pending" answer
    pg_token: str | None = None  # KakaoPay: the token the parent's browser came back with


@dataclass(frozen=True)
class RailResult:
    status: str  # paid, pending, failed
    method: str
    reference: str | None = None
    link: str | None = None
    error: str | None = None


class PayoutRail(Protocol):
    name: str

    def pay(self, order: PayoutOrder) -> RailResult: ...


class ManualRail:
    """Cash or a transfer the parent made itself: recorded with the method and its reference."""

    name = "manual"
    methods = ("cash", "bank_transfer", "toss", "kakaopay", "other")

    def pay(self, order: PayoutOrder) -> RailResult:
        return RailResult("paid", order.method or "cash", order.reference)


def _call(
    client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response | str:
    try:
        return client.post(url, json=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as error:
        return f"unreachable: {type(error).__name__}"


def _error(response: httpx.Response, code_key: str, message_key: str) -> str:
    try:
        body = response.json()
        return f"{response.status_code} {body.get(code_key, '')}: {body.get(message_key, '')}"[:200]
    except ValueError:
        return f"{response.status_code}"


class TossRail:
    name = "toss"

    def __init__(self, base_url: str, secret_key: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode()
        self.client = client or httpx.Client()

    def pay(self, order: PayoutOrder) -> RailResult:
        if order.destination is None:
            return RailResult("failed", "toss", error="no bank account registered for transfers")
        body = {
            "refPayoutId": order.payout_id,
            "destination": {
                "bankCode": order.destination.bank,
                "accountNumber": order.destination.number,
                "holderName": order.destination.holder,
            },
            "scheduleType": "EXPRESS",
            "amount": {"currency": "KRW", "value": order.amount_real},
            "transactionDescription": "용돈",
        }
        headers = {"Authorization": self.auth, "Idempotency-Key": order.payout_id}
        response = _call(self.client, f"{self.base_url}/v2/payouts", body, headers)
        if isinstance(response, str):
            return RailResult("failed", "toss", error=response)
        if response.status_code != 200:
            return RailResult("failed", "toss", error=_error(response, "code", "message"))
        answer = response.json()
        if answer.get("status") not in ("COMPLETED", "REQUESTED", "IN_PROGRESS"):
            return RailResult("failed", "toss", str(answer.get("id")), error=f"status {answer.get('status')}")
        return RailResult("paid", "toss", str(answer["id"]))


class KakaoPayRail:
    name = "kakaopay"

    def __init__(
        self,
        base_url: str,
        secret_key: str,
        cid: str,
        public_url: str,
        link_key: bytes,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"SECRET_KEY {secret_key}"}
        self.cid = cid
        self.public_url = public_url
        self.link_key = link_key
        self.client = client or httpx.Client()

    def pay(self, order: PayoutOrder) -> RailResult:
        if order.tid and order.pg_token:
            return self._approve(order)
        back = return_base(self.public_url, self.link_key, order.payout_id)
        body = {
            "cid": self.cid,
            "partner_order_id": order.payout_id,
            "partner_user_id": order.parent_id,
            "item_name": "용돈",
            "quantity": 1,
            "total_amount": order.amount_real,
            "tax_free_amount": order.amount_real,  # pocket money is not a taxable sale
            "approval_url": f"{back}/approved",
            "cancel_url": f"{back}/cancelled",
            "fail_url": f"{back}/failed",
        }
        response = _call(self.client, f"{self.base_url}/online/v1/payment/ready", body, self.headers)
        if isinstance(response, str):
            return RailResult("failed", "kakaopay", error=response)
        if response.status_code != 200:
            return RailResult("failed", "kakaopay", error=_error(response, "error_code", "error_message"))
        answer = response.json()
        return RailResult(
            "pending", "kakaopay", str(answer["tid"]), link=str(answer["next_redirect_mobile_url"])
        )

    def _approve(self, order: PayoutOrder) -> RailResult:
        body = {
            "cid": self.cid,
            "tid": order.tid,
            "partner_order_id": order.payout_id,
            "partner_user_id": order.parent_id,
            "pg_token": order.pg_token,
        }
        response = _call(self.client, f"{self.base_url}/online/v1/payment/approve", body, self.headers)
        if isinstance(response, str):
            return RailResult("failed", "kakaopay", order.tid, error=response)
        if response.status_code != 200:
            return RailResult(
                "failed", "kakaopay", order.tid, error=_error(response, "error_code", "error_message")
            )
        answer = response.json()
        if answer.get("amount", {}).get("total") != order.amount_real:
            return RailResult("failed", "kakaopay", order.tid, error="the approved amount differs")
        return RailResult("paid", "kakaopay", str(answer.get("aid") or order.tid))

"""Toss Payments' automatic payments (빌링): issue a billing key for a card, then charge it.

Shapes from Toss' public documentation as we know it (this machine cannot reach Toss); the tests run
against a local HTTP server of the same shape (``tests/server/test_subscriptions.py``):

- ``POST <base>/v1/billing/authorizations/issue`` ``{"authKey", "customerKey"}`` → 200 ``{"mId",
  "customerKey", "authenticatedAt", "method": "카드", "billingKey", "card": {"issuerCode",
  "acquirerCode", "number": "433012******1234", "cardType", "ownerType"}}``.
- ``POST <base>/v1/billing/{billingKey}`` ``{"customerKey", "amount", "orderId", "orderName"}`` with
  ``Idempotency-Key`` → 200, a Payment ``{"paymentKey", "orderId", "status": "DONE", "totalAmount",
  "approvedAt", "method", …}``.
- Errors: HTTP 4xx/5xx ``{"code", "message"}`` (``REJECT_CARD_PAYMENT``, ``INVALID_CARD_EXPIRATION``,
  ``NOT_FOUND_BILLING``, …). Auth: HTTP Basic, the secret key as the user and an empty password.

The ``authKey`` comes from Toss' browser SDK (``requestBillingAuth``), which sends the parent's
browser to our success address with ``?customerKey=…&authKey=…``. The billing key is a credential:
it is sealed at rest, never logged, never answered to anyone. Errors keep Toss' code and message
only (they carry no card number).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx

from .rails import TIMEOUT_S, _call, _error

__all__ = ["Card", "Charge", "TossBilling"]


@dataclass(frozen=True)
class Card:
    """An issued billing key and the card's masked number; ``error`` when Toss refused."""

    billing_key: str | None
    number: str | None
    error: str | None = None


@dataclass(frozen=True)
class Charge:
    """``paid`` (with Toss' ``paymentKey``), ``declined`` (Toss answered no: the card, the key) or
    ``unknown`` (no answer: the same order is sent again, and Toss' idempotency answers the first)."""

    status: str
    payment_key: str | None = None
    error: str | None = None


class TossBilling:
    def __init__(self, base_url: str, secret_key: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode()
        self.client = client or httpx.Client(timeout=TIMEOUT_S)

    def issue(self, customer_key: str, auth_key: str) -> Card:
        body = {"authKey": auth_key, "customerKey": customer_key}
        url = f"{self.base_url}/v1/billing/authorizations/issue"
        response = _call(self.client, url, body, {"Authorization": self.auth})
        if isinstance(response, str):
            return Card(None, None, response)
        if response.status_code != 200:
            return Card(None, None, _error(response, "code", "message"))
        answer = response.json()
        if answer.get("customerKey") != customer_key or not answer.get("billingKey"):
            return Card(None, None, "the answer is not for this customer")
        return Card(str(answer["billingKey"]), str((answer.get("card") or {}).get("number") or "")[:40])

    def charge(
        self, billing_key: str, customer_key: str, order_id: str, amount: int, order_name: str
    ) -> Charge:
        body = {"customerKey": customer_key, "amount": amount, "orderId": order_id, "orderName": order_name}
        headers = {"Authorization": self.auth, "Idempotency-Key": order_id}
        response = _call(self.client, f"{self.base_url}/v1/billing/{billing_key}", body, headers)
        if isinstance(response, str):
            return Charge("unknown", error=response)
        if response.status_code >= 500:
            return Charge("unknown", error=_error(response, "code", "message"))
        if response.status_code != 200:
            return Charge("declined", error=_error(response, "code", "message"))
        answer = response.json()
        if answer.get("status") != "DONE" or answer.get("totalAmount") != amount:
            return Charge("declined", error=f"status {answer.get('status')}")
        return Charge("paid", str(answer["paymentKey"]))

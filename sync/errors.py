"""The closed set of rejection codes shared by server, API and UI."""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["Code", "ProtocolCode", "Rejected"]


class Code(enum.StrEnum):
    """Why a mutation was rejected. The set is closed: the UI has a message for each."""

    FORBIDDEN = "FORBIDDEN"
    INVALID_ARGS = "INVALID_ARGS"
    MARKET_NOT_ALLOWED = "MARKET_NOT_ALLOWED"
    SYMBOL_UNKNOWN = "SYMBOL_UNKNOWN"
    QUOTE_UNKNOWN = "QUOTE_UNKNOWN"
    PRICE_MISMATCH = "PRICE_MISMATCH"
    PRICE_MOVED = "PRICE_MOVED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    INSUFFICIENT_SHARES = "INSUFFICIENT_SHARES"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    ORDER_TOO_SMALL = "ORDER_TOO_SMALL"
    INSUFFICIENT_PROFIT = "INSUFFICIENT_PROFIT"
    CAP_EXCEEDED = "CAP_EXCEEDED"
    COOLDOWN = "COOLDOWN"
    REQUEST_CHANGED = "REQUEST_CHANGED"
    ALREADY_DECIDED = "ALREADY_DECIDED"
    NOT_FOUND = "NOT_FOUND"
    INTERNAL = "INTERNAL"
    # an order over the child's trading budget (orders per minute), refused on every path; the
    # same word as the protocol's per-request limit, so REST answers 429 for either
    RATE_LIMITED = "RATE_LIMITED"
    # an id the caller chose (an order's, a request's, a grant's, a mutation's, an Idempotency-Key)
    # already names something else: its own earlier object, or another child's or family's. Well
    # formed, so no INVALID_ARGS: a conflict with what exists (HTTP 409), and it changes nothing
    ID_TAKEN = "ID_TAKEN"
    # house rules whose conversion rate pays more real won than game won (``conversion_num`` over
    # ``conversion_den``): each number is within its bounds, the pair (with the stored half when
    # only one is sent) is not, so a conflict with the rules in force (HTTP 409), not bad input
    CONVERSION_ABOVE_PAR = "CONVERSION_ABOVE_PAR"
    # an order without the one sentence on why, when the house rules ask for it (``journal_required``)
    JOURNAL_REQUIRED = "JOURNAL_REQUIRED"
    # an order for a stock that trades no more: its delisting has begun, or (history replay) its
    # bundled price history has ended. Its last price is stale for good: a fill there would be a
    # fiction, and a queued order would wait for an open that never comes (HTTP 409)
    SYMBOL_ENDED = "SYMBOL_ENDED"


class ProtocolCode(enum.StrEnum):
    """Codes that are not mutation outcomes but protocol or HTTP faults."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    RATE_LIMITED = "RATE_LIMITED"
    VERSION_NOT_SUPPORTED = "VERSION_NOT_SUPPORTED"
    GAP = "GAP"
    CLIENT_STATE_DIVERGED = "CLIENT_STATE_DIVERGED"
    STEP_UP_REQUIRED = "STEP_UP_REQUIRED"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"  # the server's operator disabled the family
    # an outside provider this server called (push, SMTP, a payment rail) refused or failed: the
    # request was fine and this server works, the provider did not (HTTP 502)
    PROVIDER_FAILED = "PROVIDER_FAILED"
    # a parent's sign-in through an OpenID Connect provider (``server.accounts.oidc``)
    OIDC_PENDING = "OIDC_PENDING"  # the browser has not come back yet: ask again (HTTP 409)
    OIDC_STATE_INVALID = "OIDC_STATE_INVALID"  # unknown, forged, replayed or expired flow (400)
    OIDC_TOKEN_INVALID = "OIDC_TOKEN_INVALID"  # noqa: S105 (a code) the code or ID token did not check out (401)
    OIDC_CANCELLED = "OIDC_CANCELLED"  # the parent said no at the provider (403)
    OIDC_EMAIL_UNVERIFIED = "OIDC_EMAIL_UNVERIFIED"  # the provider does not vouch for the e-mail (403)
    OIDC_NO_PARENT = "OIDC_NO_PARENT"  # no parent of this server has that e-mail (403)
    # a parent's phone number for SMS, proved by a code sent to it (``server.notify.phone``)
    PHONE_CODE_WRONG = "PHONE_CODE_WRONG"  # not the code sent; ``tries_left`` says how many remain (422)
    PHONE_CODE_EXPIRED = "PHONE_CODE_EXPIRED"  # none waiting, expired or tried 5 times: ask anew (409)


class Rejected(Exception):
    """A rule said no. Carries a stable code and machine-readable detail for the UI."""

    def __init__(self, code: Code, detail: dict[str, Any] | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        self.detail: dict[str, Any] = detail or {}

"""Errors as values with stable codes, mapped once to RFC 9457 problem details (``server.problems``).

Services raise :class:`DomainError` with a code from ``sync.errors`` (a rejection code or a protocol
code) and never choose an HTTP status: the one table that does is ``server.problems.STATUS``.
:class:`ProblemError` names its status itself; it is left only where an answer is not the map's
(each says why): a body that is no JSON at all (400, ``server.inbound``) and the bearer check's 401
with its ``WWW-Authenticate`` challenge.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DomainError", "ProblemError"]


class DomainError(Exception):
    """A service said no: a stable ``code``, words for a person (``detail``), machine-readable
    ``extra`` members for the answer, and for a limit the seconds until trying again makes sense.

    ``keep``: what the transaction wrote before the refusal stands (a wrong PIN counted, a stolen
    session revoked); the gateway's account changes commit it, then answer the refusal.
    """

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        extra: dict[str, Any] | None = None,
        retry_after: int | None = None,
        keep: bool = False,
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = str(code)
        self.detail = detail
        self.extra = extra or {}
        self.retry_after = retry_after
        self.keep = keep


class ProblemError(Exception):
    """Raise anywhere in a request to answer ``application/problem+json`` with a stable ``code``.

    ``extra`` members are added to the body (e.g. ``expected_seq`` for a GAP); ``headers`` to the
    response (e.g. ``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str = "",
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}

"""Errors as values with stable codes, mapped once to RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from sync.errors import Code

__all__ = ["STATUS_OF", "ProblemError"]

# A rejected mutation answered through a REST endpoint (not /api/sync/push) maps to one status.
STATUS_OF: dict[str, int] = {
    Code.FORBIDDEN: 403,
    Code.INVALID_ARGS: 422,
    Code.NOT_FOUND: 404,
    Code.INTERNAL: 500,
}
DEFAULT_REJECTION_STATUS = 409


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

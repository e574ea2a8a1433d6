"""What a REST route needs to pass the gateway: its dependencies, the caller's ``Idempotency-Key``,
the body read strictly, and a decided change turned into its answer or its problem."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter

from sync.errors import Code
from sync.protocol import MutationResult, Outcome, printable, whole_numbers

from ..errors import DomainError
from .door import provide_gateway, provide_runner

__all__ = ["RUNNER", "IdempotencyKey", "RawBody", "accepted", "strict"]

T = TypeVar("T")
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]


async def _raw_body(request: Request[Any, Any, Any]) -> Any:
    return await request.json()  # Litestar keeps the parsed body: this reads nothing twice


RUNNER = {
    "gateway": Provide(provide_gateway, sync_to_thread=False),
    "runner": Provide(provide_runner, sync_to_thread=False),
    "raw_body": Provide(_raw_body),
}
RawBody = NamedDependency[Any]
"""The body as the caller sent it, for :func:`strict`."""


def strict(model: type[T], raw: Any) -> T:
    """``raw`` read as ``model`` by the rules a push's arguments obey (``sync.protocol.decode_args``):
    ``74800.5`` or ``"74800"`` is no integer, ``74800.0`` is 74800. (Litestar converts bodies
    leniently; the route has already documented and read the body's shape, this refuses what only
    leniency let through.)"""
    try:
        return msgspec.convert(whole_numbers(raw), model, strict=True)
    except msgspec.ValidationError as error:
        raise DomainError(
            Code.INVALID_ARGS,
            "the request is not valid",
            extra={"errors": [{"message": printable(str(error))}]},
        ) from None


def accepted(result: MutationResult) -> MutationResult:
    """``result`` if the change was applied; a rejection becomes the caller's problem (its status
    from ``server.problems.STATUS``), naming the mutation and the rule's detail."""
    if result.status is Outcome.REJECTED:
        detail = result.detail or {}
        retry_after = detail.get("retry_after")
        raise DomainError(
            result.code or Code.INTERNAL,
            "the request was not accepted",
            extra={"mutation_id": result.id, "rejection": detail},
            retry_after=retry_after if isinstance(retry_after, int) else None,
        )
    return result

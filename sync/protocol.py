"""The wire protocol of ``/api/sync/push`` and ``/api/sync/pull`` and the mutation arguments.

Mutation names carry a version (``trade.place/v1``): a changed argument shape gets a new name,
and the server keeps old handlers for the supported window.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "ARGS",
    "PROTOCOL_VERSION",
    "AllowanceCancel",
    "AllowanceDecide",
    "AllowanceEdit",
    "AllowanceMarkPaid",
    "AllowanceRequest",
    "Change",
    "FamilyGrant",
    "MAX_PUSH_BYTES",
    "MAX_PUSH_MUTATIONS",
    "Mutation",
    "MutationResult",
    "Noop",
    "Outcome",
    "PullRequest",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "RulesSet",
    "TradeCancel",
    "TradePlace",
    "decode_args",
]

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = frozenset({1})
MAX_PUSH_MUTATIONS = 500
MAX_PUSH_BYTES = 1 << 20

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Symbol = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[A-Z0-9.\-^=]+$")]
Won = Annotated[int, msgspec.Meta(ge=0, le=10**13)]
PositiveWon = Annotated[int, msgspec.Meta(gt=0, le=10**13)]
Micro = Annotated[int, msgspec.Meta(gt=0, le=10**15)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    ADJUSTED = "adjusted"
    REJECTED = "rejected"


class _Args(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class TradePlace(_Args):
    trade_id: Id
    side: Literal["buy", "sell"]
    symbol: Symbol
    quantity: Micro | None = None
    amount: PositiveWon | None = None
    quote_id: Id | None = None
    price: Micro | None = None
    limit_price: Micro | None = None


class TradeCancel(_Args):
    trade_id: Id
    child_id: Id | None = None  # required when a parent cancels


class AllowanceRequest(_Args):
    request_id: Id
    amount_game: PositiveWon


class AllowanceEdit(_Args):
    request_id: Id
    amount_game: PositiveWon


class AllowanceCancel(_Args):
    request_id: Id


class AllowanceDecide(_Args):
    child_id: Id
    request_id: Id
    version: Annotated[int, msgspec.Meta(ge=1)]
    amount_real: Won
    decision: Literal["approve", "reject"]
    reason: Reason | None = None


class AllowanceMarkPaid(_Args):
    child_id: Id
    request_id: Id
    method: Literal["cash", "bank_transfer", "toss", "kakaopay", "other"]
    reference: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class FamilyGrant(_Args):
    child_id: Id
    grant_id: Id
    amount: PositiveWon
    reason: Reason


class RulesSet(_Args):
    child_id: Id
    rules: dict[str, Any]


class Noop(_Args):
    pass


ARGS: dict[str, type[_Args]] = {
    "trade.place/v1": TradePlace,
    "trade.cancel/v1": TradeCancel,
    "allowance.request/v1": AllowanceRequest,
    "allowance.edit/v1": AllowanceEdit,
    "allowance.cancel/v1": AllowanceCancel,
    "allowance.decide/v1": AllowanceDecide,
    "allowance.mark_paid/v1": AllowanceMarkPaid,
    "family.grant/v1": FamilyGrant,
    "rules.set/v1": RulesSet,
    "noop/v1": Noop,
}


def decode_args(name: str, args: dict[str, Any]) -> _Args:
    """Typed arguments of a mutation; ``KeyError`` for an unknown name, ``msgspec.ValidationError``
    for bad arguments."""
    return msgspec.convert(args, ARGS[name], strict=True)


class _Wire(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Mutation(_Wire):
    seq: Annotated[int, msgspec.Meta(ge=1)]
    id: Id
    name: Annotated[str, msgspec.Meta(max_length=64)]
    args: dict[str, Any]
    base_cursor: Annotated[int, msgspec.Meta(ge=0)] = 0
    created_at: str | None = None


class PushRequest(_Wire):
    protocol: int
    client_id: Id
    mutations: Annotated[list[Mutation], msgspec.Meta(max_length=MAX_PUSH_MUTATIONS)]


class MutationResult(_Wire, omit_defaults=True):
    seq: int
    id: str
    status: Outcome
    code: str | None = None
    detail: dict[str, Any] | None = None
    server_seq: int | None = None


class PushResponse(_Wire):
    results: list[MutationResult]
    last_seq: int
    server_time: str


class PullRequest(_Wire):
    protocol: int
    client_id: Id
    cursor: Annotated[int, msgspec.Meta(ge=0)] = 0
    schema_version: int = 1
    checksum_mismatch: bool = False
    last_seq_acked: Annotated[int, msgspec.Meta(ge=0)] = 0  # outcomes after this seq come back in results


class Change(_Wire):
    op: Literal["put", "del"]
    entity: str
    id: str
    data: dict[str, Any] | None = None


class PullResponse(_Wire):
    cursor: int
    reset: bool
    has_more: bool
    changes: list[Change]
    last_seq: int
    results: list[MutationResult]
    checksums: dict[str, str]
    server_time: str

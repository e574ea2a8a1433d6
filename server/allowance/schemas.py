"""Wire shapes of the allowance routes (bodies reuse ``sync.protocol``'s argument types)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from sync.protocol import Id, PositiveWon, Reason, Reference, Won
from sync.records import Request

from ..game.schemas import MutationAnswer

__all__ = ["ApproveBody", "PaidBody", "RejectBody", "RequestAnswer", "RequestBody"]

Version = Annotated[int, msgspec.Meta(ge=1, le=2**31)]


class RequestBody(msgspec.Struct, forbid_unknown_fields=True):
    amount_game: PositiveWon
    request_id: Id | None = None


class ApproveBody(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    amount_real: Won


class RejectBody(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    reason: Reason


class PaidBody(msgspec.Struct, forbid_unknown_fields=True):
    method: Literal["cash", "bank_transfer", "toss", "kakaopay", "other"]
    reference: Reference | None = None


class RequestAnswer(MutationAnswer, kw_only=True, omit_defaults=True):
    request: Request | None = None

"""The wire protocol of ``/api/sync/push`` and ``/api/sync/pull`` and the mutation arguments.

Mutation names carry a version (``trade.place/v1``): a changed argument shape gets a new name,
and the server keeps old handlers for the supported window. An optional argument whose absence
keeps the old meaning (``TradePlace.journal``) is added to the version in place: what older devices
queued still decides the same. A server older than the device refuses such an argument as
``INVALID_ARGS``, so a device sends it only when it has a value (``client.actions``).
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any, ClassVar, Literal

import msgspec

__all__ = [
    "ARGS",
    "CURSOR_MARK",
    "PAGED_SNAPSHOT",
    "PROTOCOL_VERSION",
    "AllowanceCancel",
    "AllowanceDecide",
    "AllowanceEdit",
    "AllowanceMarkPaid",
    "AllowanceRequest",
    "Change",
    "Count",
    "FamilyGrant",
    "JOURNAL_MAX",
    "Journal",
    "MAX_PUSH_BYTES",
    "MAX_PUSH_MUTATIONS",
    "Mark",
    "Mutation",
    "MutationResult",
    "Noop",
    "Outcome",
    "PullRequest",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "Reason",
    "Reference",
    "RuleName",
    "RuleValue",
    "RuleWord",
    "RulesSet",
    "SnapshotKey",
    "TradeCancel",
    "TradeDecide",
    "TradePlace",
    "decode_args",
    "printable",
    "whole_numbers",
]

PROTOCOL_VERSION = 3
SUPPORTED_PROTOCOLS = frozenset({1, 2, 3})
PAGED_SNAPSHOT = 2
"""The first protocol whose reset snapshot comes in pages (``PullRequest.snapshot``); a device of
protocol 1 still gets the whole snapshot in one response, and never sees the ``snapshot`` field."""
CURSOR_MARK = 3
"""The first protocol whose pull answers a mark with its cursor (``PullResponse.cursor_mark``), which
the device sends back with that cursor: it names the change-log row at the cursor, so a server whose
database came back from a backup (and wrote that row again with other contents) is found out by
comparing, not by recording every cursor it serves. An older device never sees the field."""
Mark = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[0-9a-z]+$")]
MAX_PUSH_MUTATIONS = 500
MAX_PUSH_BYTES = 1 << 20

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Symbol = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[A-Z0-9.\-^=]+$")]
Won = Annotated[int, msgspec.Meta(ge=0, le=10**13)]
# ``ge=1`` rather than ``gt=0`` (the same for integers): Litestar's OpenAPI drops a bound of 0
PositiveWon = Annotated[int, msgspec.Meta(ge=1, le=10**13)]
Micro = Annotated[int, msgspec.Meta(ge=1, le=10**15)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**53)]  # seqs and cursors: exact in JSON, fit a BIGINT

# Text people type (a reason, a payout reference) is stored and shown to other people: it may hold
# line breaks and tabs but no other control character. A NUL in particular cannot be stored at all
# (PostgreSQL's text refuses it): refusing it here, on every path and on the device too, keeps one
# unstorable argument from failing every retry of its push.
_PRINTABLE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
Reference = Annotated[str, msgspec.Meta(max_length=200, pattern=f"^{_PRINTABLE}*$")]
"""A payout's reference (a transfer memo, a provider's id): printable text."""
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=rf"^(?=[\s\S]*\S){_PRINTABLE}*$")]
"""A reason another person reads: printable text with at least one visible character."""
JOURNAL_MAX = 140
Journal = Annotated[str, msgspec.Meta(max_length=JOURNAL_MAX, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]
"""A child's one sentence on why they trade (the trade journal): one line, no control character at
all (not even a line break), at most ``JOURNAL_MAX`` characters; blank is the same as none
(:func:`sync.journal.journal_of`)."""


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
    # added to v1 without a new name: an older device never sends it and means "no journal", so
    # every v1 it ever queued still decides the same (only a reshaped argument needs a new version)
    journal: Journal | None = None


class TradeCancel(_Args):
    trade_id: Id
    child_id: Id | None = None  # required when a parent cancels


class TradeDecide(_Args):
    """A parent's decision on an order waiting for approval; a decline says why (the child reads it)."""

    child_id: Id
    trade_id: Id
    decision: Literal["approve", "decline"]
    reason: Reason | None = None


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
    version: Annotated[int, msgspec.Meta(ge=1, le=2**31)]
    amount_real: Won
    decision: Literal["approve", "reject"]
    reason: Reason | None = None


class AllowanceMarkPaid(_Args):
    child_id: Id
    request_id: Id
    method: Literal["cash", "bank_transfer", "toss", "kakaopay", "other"]
    reference: Reference | None = None


class FamilyGrant(_Args):
    child_id: Id
    grant_id: Id
    amount: PositiveWon
    reason: Reason


RuleName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
RuleWord = Annotated[str, msgspec.Meta(max_length=20, pattern=r"^[A-Za-z0-9_]*$")]
RuleValue = int | bool | str | list[RuleWord]
"""A house-rules field's new value: a number, a switch, a word (a fill policy) or words (markets);
``sync.rules.HouseRules`` checks which field takes which. (The single word is a plain ``str``:
msgspec 0.22 crashes the interpreter on a union holding both a pattern-constrained ``str`` and a
``list``; the fill policy's own enum refuses anything else.)"""


class RulesSet(_Args):
    child_id: Id
    rules: dict[RuleName, RuleValue]


class Noop(_Args):
    pass


ARGS: dict[str, type[_Args]] = {
    "trade.place/v1": TradePlace,
    "trade.cancel/v1": TradeCancel,
    "trade.decide/v1": TradeDecide,
    "allowance.request/v1": AllowanceRequest,
    "allowance.edit/v1": AllowanceEdit,
    "allowance.cancel/v1": AllowanceCancel,
    "allowance.decide/v1": AllowanceDecide,
    "allowance.mark_paid/v1": AllowanceMarkPaid,
    "family.grant/v1": FamilyGrant,
    "rules.set/v1": RulesSet,
    "noop/v1": Noop,
}


def whole_numbers(value: Any) -> Any:
    """``value`` with every float that spells a whole number read as that integer (``74800.0`` is
    ``74800``), in lists and objects too.

    JSON has one kind of number, and JSON Schema's ``integer`` admits ``74800.0``: refusing it would
    make the documented contract untrue. Nothing is rounded: ``74800.5`` stays a float (and is
    refused where an integer is due), as does a float beyond 2**53, where floats skip integers."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return value


def decode_args(name: str, args: dict[str, Any]) -> _Args:
    """Typed arguments of a mutation; ``KeyError`` for an unknown name, ``msgspec.ValidationError``
    for bad arguments. Strict: ``74800.5`` or ``"74800"`` is not a price (money is integers);
    ``74800.0`` is the number 74800 (:func:`whole_numbers`)."""
    return msgspec.convert(whole_numbers(args), ARGS[name], strict=True)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters shown as U+FFFD: for echoing what a caller sent (an error
    message naming an unknown field) into a stored outcome."""
    return _CONTROL.sub("\ufffd", text)


class _Wire(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Mutation(_Wire):
    seq: Annotated[int, msgspec.Meta(ge=1, le=2**53)]
    id: Id
    name: Annotated[str, msgspec.Meta(max_length=64)]
    args: dict[str, Any]
    base_cursor: Count = 0
    created_at: str | None = None  # the device's clock when recorded (ISO 8601); see the trading budget

    # documented, not enforced here: an unknown name is VERSION_NOT_SUPPORTED (server.openapi)
    __openapi_fields__: ClassVar[dict[str, dict[str, Any]]] = {"name": {"enum": sorted(ARGS)}}


class PushRequest(_Wire):
    protocol: int
    client_id: Id
    mutations: Annotated[list[Mutation], msgspec.Meta(max_length=MAX_PUSH_MUTATIONS)]

    # documented, not enforced here: another version is VERSION_NOT_SUPPORTED (server.openapi)
    __openapi_fields__: ClassVar[dict[str, dict[str, Any]]] = {
        "protocol": {"enum": sorted(SUPPORTED_PROTOCOLS)}
    }


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


class SnapshotKey(_Wire):
    """Where a paged reset snapshot goes on: after the row whose primary key is ``after`` in
    ``section`` (an empty ``after``: at the section's start). Opaque to the device, which sends back
    the key of the page it received."""

    section: Annotated[str, msgspec.Meta(max_length=20, pattern=r"^[a-z_]+$")]
    after: Annotated[list[Annotated[str, msgspec.Meta(max_length=200)]], msgspec.Meta(max_length=4)]


class PullRequest(_Wire, omit_defaults=True):
    """``omit_defaults``: a field left at its default is not sent, so a server of an older release
    never meets a field it would refuse (the protocol it refuses is then what the device hears)."""

    protocol: int
    client_id: Id
    cursor: Count = 0
    schema_version: int = 1
    checksum_mismatch: bool = False
    last_seq_acked: Count = 0  # outcomes after this seq come back in results
    # protocol 2: the key of the snapshot page received last, with ``cursor`` the page's cursor
    snapshot: SnapshotKey | None = None
    # protocol 3: the mark the server answered with ``cursor`` (none yet: the server checks the
    # cursor against the ones it recorded serving, as for an older device)
    cursor_mark: Mark | None = None

    __openapi_fields__: ClassVar[dict[str, dict[str, Any]]] = PushRequest.__openapi_fields__


class Change(_Wire):
    op: Literal["put", "del"]
    entity: str
    id: str
    data: dict[str, Any] | None = None


class PullResponse(_Wire, omit_defaults=True):
    cursor: int
    reset: bool
    has_more: bool
    changes: list[Change]
    last_seq: int
    results: list[MutationResult]
    checksums: dict[str, str]
    server_time: str
    # protocol 2, a reset snapshot with pages to come: send it back to get the next page. Omitted
    # otherwise (``omit_defaults``), so a device of protocol 1 never meets a field it would refuse.
    snapshot: SnapshotKey | None = None
    # protocol 3: the mark of ``cursor``'s change-log row, to send back with it (none at cursor 0)
    cursor_mark: Mark | None = None

"""The wire protocol: strict structs, versioned mutation names, one handler per name, closed codes."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from sync import SUPPORTED, Code, HouseRules, Rejected, decide, needs_step_up, policy, target_child
from sync.protocol import (
    ARGS,
    MAX_PUSH_MUTATIONS,
    Mutation,
    MutationResult,
    Outcome,
    PullRequest,
    PullResponse,
    PushRequest,
    decode_args,
)

from .factory import CHILD, MOM, SAMSUNG, ctx, new_book, publish

# domain.md, "Rejection codes": the closed set every layer has a message for
DOMAIN_CODES = [
    "FORBIDDEN",
    "INVALID_ARGS",
    "MARKET_NOT_ALLOWED",
    "SYMBOL_UNKNOWN",
    "QUOTE_UNKNOWN",
    "PRICE_MISMATCH",
    "PRICE_MOVED",
    "INSUFFICIENT_FUNDS",
    "INSUFFICIENT_SHARES",
    "LIMIT_EXCEEDED",
    "ORDER_TOO_SMALL",
    "INSUFFICIENT_PROFIT",
    "CAP_EXCEEDED",
    "COOLDOWN",
    "REQUEST_CHANGED",
    "ALREADY_DECIDED",
    "NOT_FOUND",
    "INTERNAL",
    "RATE_LIMITED",
    "ID_TAKEN",
    "CONVERSION_ABOVE_PAR",
    "JOURNAL_REQUIRED",
    "SYMBOL_ENDED",
]

MUTATION: dict[str, Any] = {"seq": 1, "id": "m1", "name": "noop/v1", "args": {}}
PUSH: dict[str, Any] = {
    "protocol": 1,
    "client_id": "dev-1",
    "mutations": [MUTATION],
}


def encode(value: object) -> bytes:
    return msgspec.json.encode(value)


def test_push_and_pull_decode_from_json() -> None:
    push = msgspec.json.decode(encode(PUSH), type=PushRequest)
    assert push.mutations == [Mutation(seq=1, id="m1", name="noop/v1", args={})]
    pull = msgspec.json.decode(b'{"protocol": 1, "client_id": "dev-1", "cursor": 42}', type=PullRequest)
    assert (pull.cursor, pull.schema_version, pull.checksum_mismatch) == (42, 1, False)


@pytest.mark.parametrize(
    "document",
    [
        {**PUSH, "admin": True},
        {**PUSH, "mutations": [{**MUTATION, "user_id": "mom"}]},
    ],
)
def test_wire_structs_reject_unknown_fields(document: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(encode(document), type=PushRequest)


def test_a_pull_response_with_an_unknown_field_is_refused_by_the_client() -> None:
    response = {
        "cursor": 1,
        "reset": False,
        "has_more": False,
        "changes": [],
        "last_seq": 0,
        "results": [],
        "checksums": {},
        "server_time": "2024-03-04T01:00:00Z",
    }
    msgspec.json.decode(encode(response), type=PullResponse)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(encode({**response, "surprise": 1}), type=PullResponse)


def test_a_push_has_a_size_limit_and_sequence_numbers_start_at_one() -> None:
    mutation = MUTATION
    too_many = {**PUSH, "mutations": [{**mutation, "seq": i + 1} for i in range(MAX_PUSH_MUTATIONS + 1)]}
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(encode(too_many), type=PushRequest)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(encode({**PUSH, "mutations": [{**mutation, "seq": 0}]}), type=PushRequest)


@pytest.mark.parametrize("client_id", ["", "has space", "x" * 65, "semi;colon", "é"])
def test_ids_are_short_plain_tokens(client_id: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(encode({**PUSH, "client_id": client_id}), type=PushRequest)


MONEY_FIELDS = [
    ("trade.place/v1", {"trade_id": "t1", "side": "buy", "symbol": SAMSUNG}, "amount"),
    ("trade.place/v1", {"trade_id": "t1", "side": "buy", "symbol": SAMSUNG}, "quantity"),
    ("trade.place/v1", {"trade_id": "t1", "side": "buy", "symbol": SAMSUNG, "quantity": 1}, "price"),
    ("trade.place/v1", {"trade_id": "t1", "side": "buy", "symbol": SAMSUNG, "quantity": 1}, "limit_price"),
    ("allowance.request/v1", {"request_id": "r1"}, "amount_game"),
    ("allowance.edit/v1", {"request_id": "r1"}, "amount_game"),
    ("family.grant/v1", {"child_id": "kid", "grant_id": "g1", "reason": "x"}, "amount"),
]


@pytest.mark.parametrize(("name", "args", "field"), MONEY_FIELDS)
@pytest.mark.parametrize("bad", [0, -1, 1000.5, 0.5, True, "1000", 10**16])
def test_money_and_quantities_are_positive_integers(
    name: str, args: dict[str, Any], field: str, bad: object
) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_args(name, {**args, field: bad})
    decode_args(name, {**args, field: 1_000})
    # JSON has one kind of number: a whole one spelled as a float is that integer (whole_numbers)
    assert getattr(decode_args(name, {**args, field: 1000.0}), field) == 1_000


def test_a_decided_amount_may_be_zero_but_never_negative_or_fractional() -> None:
    args = {"child_id": "kid", "request_id": "r1", "version": 1, "decision": "approve"}
    decode_args("allowance.decide/v1", {**args, "amount_real": 0})
    for bad in (-1, 1.5, 1000.5):
        with pytest.raises(msgspec.ValidationError):
            decode_args("allowance.decide/v1", {**args, "amount_real": bad})


def test_bad_mutation_arguments_are_rejected_as_invalid_args() -> None:
    book = new_book()
    quote = publish(book, SAMSUNG, 70_000)
    base = {
        "trade_id": "t1",
        "side": "buy",
        "symbol": SAMSUNG,
        "quantity": 1_000_000,
        "quote_id": quote.quote_id,
    }
    for change in ({"quantity": 1000.5}, {"side": "short"}, {"symbol": "samsung"}, {"child_id": "kid"}):
        with pytest.raises(Rejected) as info:
            decide("trade.place/v1", {**base, **change}, book, ctx())
        assert info.value.code is Code.INVALID_ARGS, change
    decide("trade.place/v1", base, book, ctx())


def test_every_mutation_name_has_a_handler_and_carries_a_version() -> None:
    assert set(ARGS) == SUPPORTED
    for name in SUPPORTED:
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)?/v[1-9][0-9]*", name), name


def test_an_unknown_or_unversioned_name_is_not_decided() -> None:
    book = new_book()
    for name in ("trade.place", "trade.place/v2", "ledger.post/v1"):
        with pytest.raises(KeyError):
            decide(name, {}, book, ctx())


def test_every_handler_answers_through_decide() -> None:
    """Each supported name reaches its handler: it answers with effects or a rule's code, never a crash."""
    minimal: dict[str, dict[str, Any]] = {
        "trade.place/v1": {"trade_id": "t1", "side": "buy", "symbol": SAMSUNG, "quantity": 1_000_000},
        "trade.cancel/v1": {"trade_id": "t1"},
        "trade.decide/v1": {"child_id": "kid", "trade_id": "t1", "decision": "approve"},
        "allowance.request/v1": {"request_id": "r1", "amount_game": 10_000},
        "allowance.edit/v1": {"request_id": "r1", "amount_game": 10_000},
        "allowance.cancel/v1": {"request_id": "r1"},
        "allowance.decide/v1": {
            "child_id": "kid",
            "request_id": "r1",
            "version": 1,
            "amount_real": 1_000,
            "decision": "approve",
        },
        "allowance.mark_paid/v1": {"child_id": "kid", "request_id": "r1", "method": "cash"},
        "family.grant/v1": {"child_id": "kid", "grant_id": "g1", "amount": 1, "reason": "x"},
        "rules.set/v1": {"child_id": "kid", "rules": {"fee_bps": 15}},
        "noop/v1": {},
    }
    assert set(minimal) == SUPPORTED
    parent_only = {"allowance.decide/v1", "allowance.mark_paid/v1", "family.grant/v1", "rules.set/v1"}
    parent_only.add("trade.decide/v1")
    for name, args in minimal.items():
        book = new_book()
        publish(book, SAMSUNG, 70_000)
        actor = MOM if name in parent_only else CHILD
        try:
            decide(name, args, book, ctx(actor))
        except Rejected as rejected:
            assert rejected.code in (Code.NOT_FOUND, Code.INSUFFICIENT_PROFIT), (name, rejected.code)


def test_rejection_codes_are_the_closed_set_of_the_domain() -> None:
    assert [code.value for code in Code] == DOMAIN_CODES


def test_outcomes_and_results_round_trip_without_empty_fields() -> None:
    result = MutationResult(seq=3, id="m3", status=Outcome.REJECTED, code="COOLDOWN")
    wire = encode(result)
    assert msgspec.json.decode(wire) == {"seq": 3, "id": "m3", "status": "rejected", "code": "COOLDOWN"}
    assert msgspec.json.decode(wire, type=MutationResult) == result


def test_approvals_payouts_and_rule_changes_need_a_fresh_password() -> None:
    assert needs_step_up("allowance.decide/v1", {"decision": "approve"})
    assert not needs_step_up("allowance.decide/v1", {"decision": "reject"})
    assert needs_step_up("allowance.mark_paid/v1", {})
    assert needs_step_up("rules.set/v1", {})
    assert not needs_step_up("trade.place/v1", {})


def test_a_child_always_acts_on_its_own_book_whatever_the_body_says() -> None:
    assert target_child("trade.cancel/v1", {"child_id": "sib"}, CHILD) == CHILD.user_id
    assert target_child("trade.cancel/v1", {"child_id": "kid"}, MOM) == "kid"
    assert target_child("trade.cancel/v1", {}, MOM) is None
    assert target_child("noop/v1", {}, CHILD) is None


def test_house_rules_changes_are_validated() -> None:
    book = new_book()
    for rules in (
        {"fee_bps": -1},
        {"fee_bps": 1_001},
        {"markets": ["KRX", "KRX"]},
        {"conversion_num": 0, "conversion_den": 0},
        {"colour": "blue"},
        {"fee_bps": "x"},
    ):
        with pytest.raises(Rejected) as info:
            decide("rules.set/v1", {"child_id": "kid", "rules": rules}, book, ctx(MOM))
        assert info.value.code is Code.INVALID_ARGS, rules
    # each number within its bounds, the rate above one: with the other half sent or stored (1/10)
    for rules in ({"conversion_num": 2, "conversion_den": 1}, {"conversion_num": 11}):
        with pytest.raises(Rejected) as info:
            decide("rules.set/v1", {"child_id": "kid", "rules": rules}, book, ctx(MOM))
        assert info.value.code is Code.CONVERSION_ABOVE_PAR, rules
    effects = decide("rules.set/v1", {"child_id": "kid", "rules": {"fee_bps": 15}}, book, ctx(MOM))
    assert effects.records == [HouseRules(fee_bps=15)]
    assert policy.refusal(CHILD, "rules.set/v1") is Code.FORBIDDEN

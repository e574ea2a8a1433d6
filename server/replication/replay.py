"""Replaying the mutation log into an empty database (invariant I6 of ``sync.md``).

Every change to a child's game is a mutation decided by the shared rules, or a server action. Each
decided mutation is stored with the market facts its decision read (``SqlBook.inputs``). Deciding
them again, in the order the server decided them, on a database that holds only the family's
members, the house rules each child was opened with and the stored quotes must give the same
outcomes and the same state: nothing changed the books behind the rules' back. Applied mutations
are ordered by ``server_seq``; a rule rejection writes no change, so it records its place instead
(``AFTER``) and must be rejected again there. Refusals (a role or family the mutation may not touch)
are not rules decisions and are not replayed.

Server actions are replayed too: opening a child's account, queued orders meeting the opening price,
corporate actions (dividends, splits) and parent missions' rewards, the last three logged as
:class:`ServerAction` rows with the facts they read, decided again in ``server_seq`` order among
the mutations. A ledger posting the log does not explain makes the family not replayable (an older
log, or a change behind the rules' back).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from sync.book import Effects
from sync.context import Context
from sync.errors import Code, Rejected
from sync.handlers import decide
from sync.market import Quote
from sync.policy import target_child
from sync.protocol import Outcome
from sync.records import Actor, Role
from sync.rules import HouseRules, Market
from sync.trading import fill_queued

from ..db.models import Family, LedgerEntry, MutationRow, QuoteRow, RulesVersion, ServerAction, User
from ..game.accounts import open_account_posting
from ..game.book import SqlBook
from ..game.writer import post_effects
from ..gateway.record import AFTER, posting_for
from ..market.actions import ACTION, Candidate, RecordedAction, action_posting, decide_action
from ..market.clock import FixedMarketClock
from ..market.opening import FILL_OPEN, OPENING, fill_posting
from ..missions.completion import INPUT as MISSION_INPUT
from ..missions.completion import MISSION_REWARD, replayed_reward
from ..notify.inbox import ENTITY as NOTIFICATION
from .pull import snapshot_of

__all__ = ["NotReplayable", "replay_family", "state_of"]


class NotReplayable(Exception):
    """The log lacks what a replay needs (inputs of a mutation, or a server action's)."""


class _ReplayBook(SqlBook):
    """A book that answers market questions from what the original decision recorded."""

    def __init__(
        self, session: Session, family_id: str, child_id: str, now: datetime, inputs: Any, decision: str
    ) -> None:
        # the clock is never asked: market_open answers from the record
        super().__init__(
            session,
            family_id=family_id,
            child_id=child_id,
            client_id=None,
            now=now,
            market_clock=FixedMarketClock(),
        )
        if inputs is None:
            raise NotReplayable(f"{decision} has no recorded inputs")
        self.recorded, self.decision = inputs, decision

    def _input(self, kind: str, key: str) -> Any:
        try:
            return self.recorded[kind][key]
        except KeyError:
            raise NotReplayable(f"{self.decision} read {kind} {key!r}, which it did not record") from None

    def _recorded_quote(self, kind: str, symbol: str) -> Quote | None:
        quote_id = self._input(kind, symbol)
        return None if quote_id is None else self.quote(quote_id)

    def latest_quote(self, symbol: str) -> Quote | None:
        return self._recorded_quote("latest", symbol)

    def newest_served_quote(self, symbol: str) -> Quote | None:
        return self._recorded_quote("served", symbol)

    def market_open(self, market: Market) -> bool:
        return bool(self._input("open", market.value))

    def trading_ended(self, symbol: str) -> bool:
        if "ended" not in self.recorded:
            return False  # decided before orders asked (an older log): nothing was refused for it
        return bool(self._input("ended", symbol))

    def parent_count(self) -> int:
        if "parents" not in self.recorded:
            raise NotReplayable(f"{self.decision} counted parents without recording it")
        return int(self.recorded["parents"])


def _copy(source: Session, target: Session, table: Any, where: Any) -> None:
    rows = [dict(r) for r in source.execute(select(table).where(where)).mappings()]
    if rows:
        target.execute(insert(table), rows)


def _open_accounts(source: Session, target: Session, family_id: str) -> None:
    """Each child's account, opened as the server opened it: the first rules, then the money."""
    children = source.scalars(select(User.id).where(User.family_id == family_id, User.role == "child"))
    for child_id in children:
        first = source.scalars(
            select(RulesVersion).where(RulesVersion.child_id == child_id).order_by(RulesVersion.version)
        ).first()
        opened = source.scalars(
            select(LedgerEntry).where(LedgerEntry.txn_id == f"open:{child_id}").limit(1)
        ).first()
        if first is None or opened is None:
            raise NotReplayable(f"child {child_id} has no opening in the log")
        rules = msgspec.convert(first.data, HouseRules)
        posting, effects = open_account_posting(
            family_id, child_id, rules, opened.created_at, actor_id=opened.actor_id, reason=opened.reason
        )
        post_effects(target, posting, effects, opened.created_at)


def _decide_again(target: Session, row: MutationRow, actor: Actor) -> tuple[str, Effects] | None:
    """The child the mutation acts on, and what the rules decide for it now; ``None`` for a mutation
    without a child (``noop/v1``), which the gateway applies without running a handler."""
    child_id = target_child(row.name, row.args, actor)
    if child_id is None or row.family_id is None:
        return None
    context = Context(actor, child_id, row.received_at, row.mutation_id)
    book = _ReplayBook(target, row.family_id, child_id, row.received_at, row.inputs, row.mutation_id)
    return child_id, decide(row.name, row.args, book, context)


def _action_again(target: Session, action: ServerAction) -> list[str]:
    """A server action decided again on its recorded facts; what differs, if anything."""
    book = _ReplayBook(
        target, action.family_id, action.child_id, action.decided_at, action.inputs, action.txn_id
    )
    if action.kind == FILL_OPEN:
        quote_id = action.inputs.get(OPENING)
        opening = book.quote(quote_id) if isinstance(quote_id, str) else None
        if opening is None:
            raise NotReplayable(f"{action.txn_id} has no opening quote")
        try:
            effects = fill_queued(book, action.ref_id, opening, action.decided_at)
        except Rejected as rejected:
            return [f"{action.txn_id}: a fill then, {rejected.code.value} now"]
        posting = fill_posting(action.family_id, action.child_id, action.ref_id)
    elif action.kind == MISSION_REWARD:
        if not isinstance(action.inputs.get(MISSION_INPUT), dict):
            raise NotReplayable(f"{action.txn_id} has no recorded mission")
        try:
            effects, posting = replayed_reward(book, action.family_id, action.inputs, action.decided_at)
        except Rejected as rejected:
            return [f"{action.txn_id}: a reward then, {rejected.code.value} now"]
    else:
        if not isinstance(action.inputs.get(ACTION), dict):
            raise NotReplayable(f"{action.txn_id} has no recorded corporate action")
        corporate = RecordedAction.from_json(action.inputs[ACTION])
        who = Candidate(action.family_id, action.child_id)
        outcome, found, _ = decide_action(target, book, who, corporate, action.decided_at)
        if found is None:
            return [f"{action.txn_id}: applied then, {outcome} now"]
        effects, posting = found, action_posting(who, corporate)
    post_effects(target, posting, effects, action.decided_at)
    return []


def _mutation_again(target: Session, row: MutationRow, family_id: str, roles: dict[str, Role]) -> list[str]:
    """The applied mutation decided and posted again; what differs from its stored outcome."""
    actor = Actor(user_id=row.user_id, role=roles[row.user_id], family_id=family_id)
    try:
        decided = _decide_again(target, row, actor)
    except Rejected as rejected:
        return [f"{row.mutation_id}: {row.status} then, rejected {rejected.code.value} now"]
    if decided is None:
        return []  # nothing was decided for it then either
    child_id, effects = decided
    status = Outcome.ADJUSTED if effects.adjusted else Outcome.APPLIED
    detail = msgspec.to_builtins(effects.detail) or None
    posting = posting_for(family_id, child_id, row.user_id, row.mutation_id, row.name, row.args)
    post_effects(target, posting, effects, row.received_at)
    if (status.value, detail) != (row.status, row.detail):
        return [f"{row.mutation_id}: {row.status} {row.detail} then, {status.value} {detail} now"]
    return []


def _in_decision_order(
    decided: Sequence[MutationRow], actions: Sequence[ServerAction]
) -> list[MutationRow | ServerAction]:
    """Applied mutations and server actions by ``server_seq`` (a stable sort keeps SQL's order among
    equal keys), and each rejection where its recorded anchor puts it: right after the mutation
    applied before it in its transaction, or after everything the log held when it was decided.
    Rejections without an anchor (refusals, poison, older logs) are left out: nothing places them."""
    steps: list[MutationRow | ServerAction] = [
        *(m for m in decided if m.status != Outcome.REJECTED.value),
        *actions,
    ]
    steps.sort(key=lambda s: s.server_seq or 0)
    keys: dict[int, tuple[int, int, float]] = {id(s): (s.server_seq or 0, 0, i) for i, s in enumerate(steps)}
    placed = {s.mutation_id: keys[id(s)] for s in steps if isinstance(s, MutationRow)}
    for row in decided:
        anchor = (row.inputs or {}).get(AFTER) if row.status == Outcome.REJECTED.value else None
        if not isinstance(anchor, dict) or row.code == Code.INTERNAL.value:
            continue
        if "mutation" in anchor:
            if anchor["mutation"] not in placed:
                raise NotReplayable(f"{row.mutation_id} follows {anchor['mutation']}, which was not applied")
            seq, _, at = placed[anchor["mutation"]]
            keys[id(row)] = (seq, 0, at + 0.5)  # before the next step, which has a larger index
        else:
            keys[id(row)] = (int(anchor["seq"]), 1, 0)  # after every step the log held then
        steps.append(row)
    return sorted(steps, key=lambda s: keys[id(s)])


def _rejection_again(target: Session, row: MutationRow, family_id: str, roles: dict[str, Role]) -> list[str]:
    """A rejected mutation decided again in its place: it must be rejected with the same code."""
    actor = Actor(user_id=row.user_id, role=roles[row.user_id], family_id=family_id)
    try:
        _decide_again(target, row, actor)
    except Rejected as rejected:
        if rejected.code.value == row.code:
            return []
        return [f"{row.mutation_id}: rejected {row.code} then, rejected {rejected.code.value} now"]
    return [f"{row.mutation_id}: rejected {row.code} then, applied now"]


def replay_family(source: Session, target: Session, family_id: str) -> list[str]:
    """Copy ``family_id``'s members and the quotes into ``target`` (an empty database) and decide
    its mutations again there, in the order they were decided (rejections must be rejected again).

    Server actions (fills at the open, corporate actions) are decided again in their place.
    Returns the decisions whose second outcome differs from the stored one (empty when the log
    reproduces every outcome); compare :func:`state_of` on both sides for the state.
    """
    logged_actions = select(ServerAction.txn_id, ServerAction.child_id)
    unlogged = source.scalars(
        select(LedgerEntry.txn_id)
        .where(LedgerEntry.family_id == family_id, LedgerEntry.kind != "child.open")
        .where(~LedgerEntry.txn_id.in_(select(MutationRow.mutation_id)))
        .where(~tuple_(LedgerEntry.txn_id, LedgerEntry.child_id).in_(logged_actions))  # one per child
        .limit(1)
    ).first()
    if unlogged is not None:
        raise NotReplayable(f"server action {unlogged} is not in the log")
    _copy(source, target, Family.__table__, Family.id == family_id)
    _copy(source, target, User.__table__, User.family_id == family_id)
    # quotes are shared by every family: copy the ones an earlier family's replay did not
    copied = set(target.scalars(select(QuoteRow.quote_id)))
    quotes = [dict(q) for q in source.execute(select(QuoteRow.__table__)).mappings()]
    if fresh := [q for q in quotes if q["quote_id"] not in copied]:
        target.execute(insert(QuoteRow.__table__), fresh)
    _open_accounts(source, target, family_id)
    roles = {u.id: Role(u.role) for u in source.scalars(select(User).where(User.family_id == family_id))}
    decided = source.scalars(
        select(MutationRow).where(MutationRow.family_id == family_id).order_by(MutationRow.server_seq)
    ).all()
    actions = source.scalars(select(ServerAction).where(ServerAction.family_id == family_id)).all()
    differs: list[str] = []
    for step in _in_decision_order(decided, actions):
        if isinstance(step, ServerAction):
            differs += _action_again(target, step)
        elif step.status == Outcome.REJECTED.value:
            differs += _rejection_again(target, step, family_id, roles)
        else:
            differs += _mutation_again(target, step, family_id, roles)
    return differs


def state_of(session: Session, family_id: str) -> dict[str, Any]:
    """What the family's books hold: every entity a device could see (but notifications, which
    are messages about the state), and the ledger's postings."""
    members = session.scalars(select(User).where(User.family_id == family_id)).all()
    children = [u.id for u in members if u.role == "child"]
    parents = [u.id for u in members if u.role == "parent"]
    entities = {
        (c.entity, c.id): c.data
        for c in snapshot_of(session, family_id, children, parents)
        if c.entity != NOTIFICATION
    }
    postings = sorted(
        (e.txn_id, e.child_id, e.account, e.amount, e.kind, e.ref_id or "", e.created_at.isoformat())
        for e in session.scalars(select(LedgerEntry).where(LedgerEntry.family_id == family_id))
    )
    return {"entities": entities, "postings": postings}

"""The protocol's invariants (sync.md I1–I14), checked against the real server database."""

from __future__ import annotations

import secrets
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server.db import Database
from server.db.base import Base
from server.db.models import (
    Balance,
    ChangeLog,
    ChildState,
    Device,
    Family,
    LedgerEntry,
    MutationAlias,
    MutationRow,
    PositionRow,
    QuoteRow,
    RequestRow,
    TradeRow,
    User,
)
from server.replication.pull import snapshot_of
from server.replication.replay import replay_family, state_of
from sync.allowance import real_amount
from sync.ledger import account_spec
from sync.rules import HouseRules

from .device import Device as ModelDevice

__all__ = [
    "check_change_log_replays",
    "check_converged",
    "check_device",
    "check_mutation_log_replays",
    "check_server",
]


def check_server(db: Database) -> None:
    """I2–I5, I8–I10 on the server's committed state."""
    with db.read() as s:
        # I5: every decision's entries balance per (ledger, unit); balance == Σ entries
        per_txn: dict[tuple[str, str, str], int] = defaultdict(int)
        per_account: dict[tuple[str, str], int] = defaultdict(int)
        for e in s.scalars(select(LedgerEntry)):
            spec = account_spec(e.account)
            per_txn[(e.txn_id, spec.ledger.value, spec.unit)] += e.amount
            per_account[(e.child_id, e.account)] += e.amount
        assert not {k: v for k, v in per_txn.items() if v}, "a transaction's entries do not sum to zero"
        balances = {(b.child_id, b.account): b.balance for b in s.scalars(select(Balance))}
        assert {k: v for k, v in balances.items() if v} == {k: v for k, v in per_account.items() if v}
        # I4: nothing that may not go negative is negative
        for (child, account), value in balances.items():
            assert value >= 0 or account_spec(account).may_go_negative, (child, account, value)
        # positions agree with their share accounts
        for p in s.scalars(select(PositionRow)):
            held = balances.get((p.child_id, f"position:{p.symbol}"), 0) + balances.get(
                (p.child_id, f"reserved:{p.symbol}"), 0
            )
            assert p.quantity == held, (p.symbol, p.quantity, held)
        # I2/I3/I8: per device, processed seqs are exactly 1..last_seq, once each
        for device in s.scalars(select(Device)):
            seqs = list(s.scalars(select(MutationRow.seq).where(MutationRow.client_id == device.client_id)))
            seqs += list(
                s.scalars(select(MutationAlias.seq).where(MutationAlias.client_id == device.client_id))
            )
            assert sorted(seqs) == list(range(1, device.last_seq + 1)), (device.client_id, sorted(seqs))
            applied = list(
                s.execute(
                    select(MutationRow.seq, MutationRow.server_seq)
                    .where(MutationRow.client_id == device.client_id, MutationRow.server_seq.is_not(None))
                    .order_by(MutationRow.seq)
                )
            )
            server_seqs = [row[1] for row in applied]
            assert server_seqs == sorted(server_seqs), "server order differs from device order"
        # I9: every filled trade's price is a stored quote's price
        quotes = {q.quote_id: q for q in s.scalars(select(QuoteRow))}
        for t in s.scalars(select(TradeRow).where(TradeRow.status == "filled")):
            quote = quotes[t.data["fill_quote_id"]]
            assert quote.price == t.data["fill_price"] and quote.symbol == t.symbol
        # I10: approved real money is floor(game × rate) of each approved request, posted once
        rates: dict[str, HouseRules] = {}
        expected: dict[str, int] = defaultdict(int)
        for r in s.scalars(select(RequestRow).where(RequestRow.status.in_(("approved", "paid")))):
            rules = rates.setdefault(r.child_id, HouseRules())
            assert r.data["amount_real"] == real_amount(r.data["amount_game"], rules)
            expected[r.child_id] += r.data["amount_real"]
        for child_id, total in expected.items():
            owed = balances.get((child_id, "allowance_payable"), 0) + balances.get(
                (child_id, "allowance_paid"), 0
            )
            assert owed == total, (child_id, owed, total)
        converted = {c.child_id: c.converted for c in s.scalars(select(ChildState))}
        for child_id in converted:
            assert converted[child_id] == balances.get((child_id, "conversion_sink"), 0)
        # one outcome per mutation id (the primary key) and no duplicate (client, seq)
        dup = s.scalar(
            select(func.count()).select_from(
                select(MutationRow.client_id, MutationRow.seq)
                .group_by(MutationRow.client_id, MutationRow.seq)
                .having(func.count() > 1)
                .subquery()
            )
        )
        assert dup == 0


def check_device(device: ModelDevice) -> None:
    """I11/I12 on a device: cursors never go back (but on reset); the queue holds only unacknowledged work."""
    history = device.state.cursor_history
    assert all(a <= b for a, b in zip(history, history[1:], strict=False)), history
    assert all(p.seq > device.state.last_seq_acked for p in device.state.pending)
    seqs = [p.seq for p in device.state.pending]
    assert seqs == sorted(set(seqs))


def check_converged(db: Database, devices: list[ModelDevice], created: set[str]) -> None:
    """I1, I13, I14 after healing and syncing everything."""
    with db.read() as s:
        known = set(s.scalars(select(MutationRow.mutation_id))) | set(
            s.scalars(select(MutationAlias.mutation_id))
        )
        server_balances = {
            (b.child_id, b.account): b.balance for b in s.scalars(select(Balance)) if b.balance
        }
        trades = {t.trade_id: t.data for t in s.scalars(select(TradeRow))}
        requests = {r.request_id: r.data for r in s.scalars(select(RequestRow))}
    assert created <= known, f"lost mutations: {sorted(created - known)[:5]}"
    for device in devices:
        assert not device.state.pending, f"{device.name} still has pending work"
        replica = device.state.replica
        children = replica.children()
        mine = {k: v for k, v in server_balances.items() if k[0] in children}
        theirs = {(child, a): v for child in children for a, v in replica.balances(child).items() if v}
        assert theirs == mine, f"{device.name} balances differ from the server"
        for trade_id, data in replica.table("trade").items():
            assert trades[trade_id] == data
        for request_id, data in replica.table("request").items():
            assert requests[request_id] == data
        books, replayed = device.view()
        assert not replayed
        for child in children:
            assert {k: v for k, v in books[child].balances.items() if v} == {
                a: v for a, v in replica.balances(child).items() if v
            }
        for mutation_id in created:
            if mutation_id.startswith(device.client_id):
                assert mutation_id in device.state.outcomes, f"{device.name} never learned {mutation_id}"


def check_change_log_replays(db: Database) -> None:
    """Folding each family's change log from the start reproduces its current state.

    Pulls are incremental: a device that only ever applied changes must end where a snapshot
    would put it (what I13 relies on). A state change written without its change-log row breaks this.
    """
    with db.read() as s:
        for family_id in s.scalars(select(Family.id)):
            folded: dict[tuple[str, str], Any] = {}
            for row in s.scalars(
                select(ChangeLog).where(ChangeLog.family_id == family_id).order_by(ChangeLog.server_seq)
            ):
                if row.op == "del":
                    folded.pop((row.entity, row.entity_id), None)
                else:
                    folded[(row.entity, row.entity_id)] = row.data
            children = list(
                s.scalars(select(User.id).where(User.family_id == family_id, User.role == "child"))
            )
            # the log holds every member's rows, parent-only notifications too: compare with all of them
            parents = list(
                s.scalars(select(User.id).where(User.family_id == family_id, User.role == "parent"))
            )
            snapshot = {(c.entity, c.id): c.data for c in snapshot_of(s, family_id, children, parents)}
            assert folded == snapshot, {k for k in folded.keys() ^ snapshot.keys()} or "values differ"


def check_mutation_log_replays(db: Database, scratch: Path) -> None:
    """I6: replaying the server's mutation log into an empty database reproduces the state.

    Each family's mutations and server actions are decided again, in the order the server decided
    them, on the market facts they recorded; every outcome and the whole state (every entity a
    device can see, every ledger posting) must come out the same.
    """
    empty = Database(f"sqlite:///{scratch / f'replay-{secrets.token_hex(4)}.db'}", cipher=db.cipher)
    Base.metadata.create_all(empty.engine)
    try:
        with db.read() as s:
            for family_id in s.scalars(select(Family.id)):
                with empty.write() as target:
                    differs = replay_family(s, target, family_id)
                    assert not differs, differs
                    replayed = state_of(target, family_id)
                assert replayed == state_of(s, family_id), _state_diff(replayed, state_of(s, family_id))
    finally:
        empty.dispose()


def _state_diff(replayed: dict[str, Any], stored: dict[str, Any]) -> str:
    a, b = replayed["entities"], stored["entities"]
    entities = {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    postings = set(replayed["postings"]) ^ set(stored["postings"])
    return f"replayed vs stored: entities {entities}, postings only on one side {postings}"

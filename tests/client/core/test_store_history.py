"""The device's store keeps what it may have to send again, not every mutation it ever sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from client import actions
from client.clock import new_id
from client.store import IdentityRow, LocalStore
from client.store.local import ACKED_DAYS, ACKED_KEEP
from sync.protocol import Change, MutationResult, Outcome, PullResponse

from .conftest import BASE_URL, START


def _acknowledge_all(store: LocalStore, now: datetime, refuse_every: int = 0) -> None:
    """A pull whose server has decided everything this device sent (refusing every
    ``refuse_every``-th mutation with its outcome, when asked; the others applied)."""
    last = int(store.meta()["next_seq"]) - 1
    refused = {p.seq for p in store.pending() if refuse_every and p.seq % refuse_every == 0}
    results = [
        MutationResult(p.seq, p.mutation_id, Outcome.REJECTED, code="LIMIT_EXCEEDED")
        if p.seq in refused
        else MutationResult(p.seq, p.mutation_id, Outcome.APPLIED)
        for p in store.pending()
    ]
    page = PullResponse(
        cursor=last,
        reset=False,
        has_more=False,
        changes=[],
        last_seq=last,
        results=results,
        checksums={},
        server_time=now.isoformat(),
    )
    store.commit_pull([page], store.preview([page]), now)


def _send(store: LocalStore, count: int, now: datetime, refuse_every: int = 0) -> None:
    """``count`` user actions, synced a hundred at a time."""
    for n in range(1, count + 1):
        store.record(*actions.request_conversion(20_000), new_id(), now)
        if n % 100 == 0 or n == count:
            _acknowledge_all(store, now, refuse_every)


def _acked(store: LocalStore) -> list[int]:
    return [r["seq"] for r in store.db.query("SELECT seq FROM acked_mutation ORDER BY seq")]


def test_the_acknowledged_history_keeps_a_week_and_the_newest_thousand_then_is_pruned() -> None:
    store = LocalStore.open(":memory:")  # real SQLite, without 2,000 fsyncs
    try:
        store.init_identity(IdentityRow(new_id(), "kid-1", "child", "fam-1", "지우", BASE_URL), START)
        # three busy days: 1,500 mutations, all acknowledged
        for day in range(3):
            _send(store, 500, START + timedelta(days=day))
        # within the week a server restore may have lost them: everything is still here
        assert len(_acked(store)) == 1_500

        later = START + timedelta(days=2 + ACKED_DAYS, hours=1)
        _send(store, 10, later)
        kept = _acked(store)
        # older than a week: only the newest ACKED_KEEP stay (the 10 new ones among them)
        assert len(kept) == ACKED_KEEP and kept[-1] == 1_510 and kept[0] == 1_510 - ACKED_KEEP + 1

        # the store stays bounded however long the device keeps sending
        for day in range(1, 4):
            _send(store, 200, later + timedelta(days=ACKED_DAYS * day))
        assert len(_acked(store)) == ACKED_KEEP

        # a server restored from a backup that lost the last 30 still gets them again, same ids
        sent = _acked(store)[-30:]
        store.requeue_after(sent[0] - 1, later + timedelta(days=30))
        assert [p.seq for p in store.pending()] == sent
    finally:
        store.close()


def test_outcomes_go_with_the_pruned_history_and_refusals_stay_until_seen() -> None:
    """Applied outcomes (which nothing shows) leave with the acknowledged history; refusals stay
    for the inbox and the order history — the unseen ones all, the seen ones the newest
    ``ACKED_KEEP`` — so a device that trades for years does not read ever more rows per screen."""
    store = LocalStore.open(":memory:")
    try:
        store.init_identity(IdentityRow(new_id(), "kid-1", "child", "fam-1", "지우", BASE_URL), START)
        _send(store, 1_500, START, refuse_every=10)  # 150 refused
        assert len(store.outcomes()) == 1_500
        shown = store.outcomes(applied=False)
        assert len(shown) == 150 and {o.status for o in shown} == {"rejected"}

        # a week on: the history keeps the newest ACKED_KEEP, applied outcomes the same ones
        later = START + timedelta(days=ACKED_DAYS + 1)
        _send(store, 10, later)
        acked = set(_acked(store))
        applied = [o.seq for o in store.outcomes() if o.status == "applied"]
        assert len(acked) == ACKED_KEEP
        assert set(applied) == {seq for seq in acked if seq > 1_500 or seq % 10}
        # no refusal was seen yet: every one is still in the inbox
        assert len(store.outcomes(applied=False)) == 150

        # seen, they are kept up to the newest ACKED_KEEP of them
        store.mark_seen(o.mutation_id for o in store.outcomes(applied=False))
        _send(store, ACKED_KEEP * 10, later + timedelta(days=ACKED_DAYS + 1), refuse_every=10)
        store.mark_seen(o.mutation_id for o in store.outcomes(applied=False))
        _send(store, 10, later + timedelta(days=3 * ACKED_DAYS))
        refused = store.outcomes(applied=False)
        assert len(refused) == ACKED_KEEP and refused[-1].seq == max(o.seq for o in refused)
        assert len(store.outcomes()) <= 2 * ACKED_KEEP + 10
    finally:
        store.close()


def test_a_kept_live_quote_shows_as_after_a_restart(tmp_path: Path) -> None:
    """A quote pushed on the live channel updates the shown price and what an order is decided
    against, and the store opened again from disk shows exactly the same."""
    path = tmp_path / "kid.db"
    store = LocalStore.open(path)
    older = {"quote_id": "q1", "symbol": "005930.KS", "price": 70_000, "currency": "KRW",
             "as_of": START.isoformat(), "source": "yahoo", "seq": 5}  # fmt: skip
    try:
        store.init_identity(IdentityRow(new_id(), "kid-1", "child", "fam-1", "지우", BASE_URL), START)
        balances = {"cash": 10**6, "grants": -(10**6)}
        changes = [
            Change("put", "balance", f"kid-1:{a}", {"child_id": "kid-1", "account": a, "balance": b})
            for a, b in balances.items()
        ]
        changes.append(Change("put", "quote", "q1", older))
        page = PullResponse(
            cursor=1, reset=True, has_more=False, changes=changes, last_seq=0, results=[], checksums={},
            server_time=START.isoformat(),
        )  # fmt: skip
        store.commit_pull([page], store.preview([page]), START)
        store.record(*actions.request_conversion(20_000), new_id(), START)
        assert store.keep_quote({**older, "quote_id": "q2", "price": 71_000, "seq": 9}, START)
        assert not store.keep_quote({**older, "quote_id": "q2", "price": 71_000, "seq": 9}, START)
        shown = store.view_books()["kid-1"]
        assert shown.latest_quote("005930.KS").price == 71_000  # type: ignore[union-attr]
        assert shown.newest_served_quote("005930.KS").quote_id == "q2"  # type: ignore[union-attr]
        before = (store.view_rows(), store.view_books(), store.pending())
    finally:
        store.close()
    again = LocalStore.open(path)
    try:
        assert (again.view_rows(), again.view_books(), again.pending()) == before
        book = again.view_books()["kid-1"]
        assert book.latest_quote("005930.KS") == shown.latest_quote("005930.KS")
        assert book.newest_served_quote("005930.KS") == shown.newest_served_quote("005930.KS")
    finally:
        again.close()


def test_pulls_applied_row_by_row_show_what_a_store_opened_from_disk_shows(tmp_path: Path) -> None:
    """Each pull changes the confirmed books row by row (not rebuilt from every row); the view the
    child sees is the one a full build from disk gives, pull after pull."""
    path = tmp_path / "kid.db"
    store = LocalStore.open(path)
    kid, symbol = "kid-1", "005930.KS"

    def quote(n: int, price: int) -> Change:
        data = {"quote_id": f"q{n}", "symbol": symbol, "price": price, "currency": "KRW",
                "as_of": START.isoformat(), "source": "yahoo", "seq": n}  # fmt: skip
        return Change("put", "quote", f"q{n}", data)

    def balance(account: str, amount: int) -> Change:
        return Change(
            "put", "balance", f"{kid}:{account}", {"child_id": kid, "account": account, "balance": amount}
        )

    def pull(cursor: int, changes: list[Change], *, reset: bool = False) -> None:
        page = PullResponse(
            cursor=cursor, reset=reset, has_more=False, changes=changes, last_seq=0, results=[], checksums={},
            server_time=START.isoformat(),
        )  # fmt: skip
        store.commit_pull([page], store.preview([page]), START)

    def order(n: int, quote_id: str, price: int) -> None:
        args = {"trade_id": f"t{n}", "side": "buy", "symbol": symbol, "quantity": 1_000_000,
                "quote_id": quote_id, "price": price}  # fmt: skip
        store.record("trade.place/v1", args, new_id(), START)

    def marks(store: LocalStore) -> list[tuple[int, bool, str | None]]:
        return [(p.seq, p.at_risk, p.code) for p in store.pending()]

    rules = {"child_id": kid, "version": 1, "starting_money": 1_000_000}
    try:
        store.init_identity(IdentityRow(new_id(), kid, "child", "fam-1", "지우", BASE_URL), START)
        pull(1, [balance("cash", 1_000_000), balance("grants", -1_000_000), quote(1, 70_000),
                 Change("put", "rules", kid, rules)], reset=True)  # fmt: skip
        order(1, "q1", 70_000)
        order(2, "q1", 70_000)
        filled = {"trade_id": "t0", "child_id": kid, "side": "buy", "symbol": symbol, "status": "filled",
                  "policy": "quote", "created_at": START.isoformat(), "quantity": 1_000_000,
                  "fill_price": 71_000, "total": 71_000}  # fmt: skip
        position = {"child_id": kid, "symbol": symbol, "quantity": 1_000_000, "cost": 71_000}
        steps = [
            [quote(2, 71_000)],
            [
                balance("cash", 929_000),
                balance("market", 71_000),
                Change("put", "trade", "t0", filled),
                Change("put", "position", f"{kid}:{symbol}", position),
            ],  # fmt: skip
            [Change("put", "rules", kid, {**rules, "version": 2, "trades_per_day": 1}), quote(3, 69_000)],
            [Change("put", "notification", "n1", {"child_id": kid, "event": "TradeExecuted"})],
        ]
        for cursor, changes in enumerate(steps, start=2):
            pull(cursor, changes)
            shown = (
                store.view_rows(),
                store.view_books(),
                [(p.seq, p.at_risk, p.code) for p in store.pending()],
            )
            store.close()
            store = LocalStore.open(path)
            # opened again, the store builds everything from the confirmed rows on its next rebuild
            store.requeue_after(int(store.meta()["last_seq_acked"]), START)  # nothing to requeue
            assert (store.view_rows(), store.view_books(), marks(store)) == shown
        # the new rules allow one order a day and today's was filled: both queued orders are at risk
        assert [p.code for p in store.pending()] == ["LIMIT_EXCEEDED", "LIMIT_EXCEEDED"]
    finally:
        store.close()

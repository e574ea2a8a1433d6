"""A held stock that stops trading is settled by the server at its last price, with words.

What a family notices: when the operator records that a company was delisted, each child holding it
finds the shares gone and their worth at the last price in cash (no fee, no tax), its waiting orders
of the stock cancelled with the money given back, and a notification that says what happened, how
many shares, at what price and how much more or less than they cost. In history replay, where our
bundled prices of a company end (GOOGL, IBM and META on 2013-03-01, only because the source data
stops), the holding is settled the same way and the notification says exactly that: our price
history ends here, the company did not go away.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server.db.models import CorporateAction, MutationRow, Notification, OperatorAction, TradeRow
from server.market.actions import record_delisting, record_history_ends
from server.market.clock import FixedMarketClock
from server.market.providers import ProviderChain
from server.market.providers.replay import ReplayClock, ReplayProvider, bundled_history
from server.notify.dispatcher import dispatch_once
from server.notify.texts import compose
from server.replication.replay import NotReplayable
from tests.helpers import Member
from tests.server.test_corporate_actions import AFTER, SAMSUNG, Home
from tests.server.test_corporate_actions import home as home  # noqa: F401 - the fixture
from tests.server.test_corporate_actions import settings as settings  # noqa: F401 - the fixture
from tests.server.test_market_fresh import push_order
from tests.support.invariants import check_mutation_log_replays

LAST_SESSION = date(2026, 11, 19)  # Samsung's last session; settled from midnight in Seoul


def _delisted_samsung(home: Home) -> tuple[int, str]:
    """지우 holds 10 Samsung shares, 하늘 waits to buy some; Samsung is delisted at 61,500 won.
    Returns 지우's cost and 하늘's queued order."""
    jiwoo, haneul = home.kid("지우"), home.kid("하늘")
    home.trade(jiwoo, "buy", SAMSUNG, 70_000, quantity=10_000_000)
    market: FixedMarketClock = home.app.state.market_clock
    market.open_markets.clear()
    queued = home.trade(haneul, "buy", SAMSUNG, 70_000, quantity=1_000_000)
    assert queued["status"] == "queued"
    market.open_markets.update(FixedMarketClock().open_markets)
    home.clock.now = AFTER
    record_delisting(home.db, SAMSUNG, 61_500, LAST_SESSION, home.clock())
    return home.position(jiwoo, SAMSUNG)[1], str(queued["trade_id"])


def test_a_delisted_stock_is_settled_at_its_last_price_and_the_child_is_told(home: Home) -> None:
    jiwoo, haneul = home.kid("지우"), home.kid("하늘")
    cost, queued = _delisted_samsung(home)
    cash = home.balance(jiwoo, "cash")
    report = home.apply()
    action_id = f"{SAMSUNG}:delisting:2026-11-20"
    assert sorted(report.applied) == sorted([(action_id, jiwoo.user_id), (action_id, haneul.user_id)])

    # 10 shares × 61,500 won, no fee and no tax; the loss against the cost is realised
    assert home.position(jiwoo, SAMSUNG) == (0, 0)
    assert home.balance(jiwoo, "cash") == cash + 615_000
    assert home.realised(jiwoo) == 615_000 - cost
    # 하늘's waiting order is cancelled and every won it held is back
    assert home.balance(haneul, "cash") == 1_000_000
    with home.db.read() as session:
        row = session.get(TradeRow, queued)
        assert row is not None and row.status == "cancelled"
    # once: another pass settles nothing more
    assert home.apply(AFTER + timedelta(hours=1)).applied == []
    assert home.balance(jiwoo, "cash") == cash + 615_000

    [settled] = home.events("StockDelisted")
    assert settled["shares"] == "10" and settled["total"] == 615_000 and settled["profit"] == 615_000 - cost
    dispatch_once(home.db, AFTER)
    with home.db.read() as session:
        bodies = {
            n.user_id: (n.event, n.body, n.data)
            for n in session.scalars(select(Notification).where(Notification.event == "StockDelisted"))
        }
    assert set(bodies) == {jiwoo.user_id}
    loss = f"{cost - 615_000:,}"
    assert bodies[jiwoo.user_id][1] == (
        "삼성전자가 거래소를 떠났어요(상장 폐지). 가지고 있던 10주를 마지막 가격 61,500원에 정리해서 "
        f"615,000 G₩을 받았어요. 산 값보다 {loss} G₩ 적게 받았어요."
    )
    assert compose("StockDelisted", "child", "en", settled)[1] == (
        "Samsung Electronics was delisted: it no longer trades. Your 10 shares were settled at its last "
        f"price, 61,500 won, and you got 615,000 G₩. That is {loss} G₩ less than you paid."
    )
    # the app words the facts itself, in the reader's language of the moment
    facts = bodies[jiwoo.user_id][2]["facts"]
    assert facts["price"] == 61_500 and facts["total"] == 615_000 and facts["profit"] == 615_000 - cost

    # the device learns of it on its next pull: no Samsung position left
    positions = [c["data"] for c in home.pull(jiwoo) if c["entity"] == "position"]
    assert [p["quantity"] for p in positions if p["symbol"] == SAMSUNG][-1] == 0


def test_the_log_replays_a_delisting_in_its_place(home: Home, tmp_path: Path) -> None:
    _delisted_samsung(home)
    home.apply()
    home.trade(home.kid("지우"), "buy", "000660.KS", 120_000, quantity=1_000_000)  # the cash is spent
    check_mutation_log_replays(home.db, tmp_path)


def test_a_delisting_with_a_rewritten_price_is_caught_by_the_replay(home: Home, tmp_path: Path) -> None:
    from server.db.models import ServerAction

    _delisted_samsung(home)
    home.apply()
    with home.db.write() as session:
        txn = f"action:{SAMSUNG}:delisting:2026-11-20"
        action = session.get(ServerAction, (txn, home.kid("지우").user_id))
        assert action is not None
        action.inputs = {**action.inputs, "action": {**action.inputs["action"], "amount": 90_000}}
    with pytest.raises(AssertionError, match="replayed vs stored"):
        check_mutation_log_replays(home.db, tmp_path)


def test_where_our_replay_history_ends_the_holding_is_settled_and_told_honestly(
    home: Home, tmp_path: Path
) -> None:
    jiwoo = home.kid("지우")
    home.trade(jiwoo, "buy", "GOOGL", 400_000_000, quantity=1_000_000)
    cost = home.position(jiwoo, "GOOGL")[1]
    # the time machine stands at 2013-02-27 at T0 and moves a day a day: GOOGL's last bar is 2013-03-01
    replay = ReplayProvider(ReplayClock(date(2013, 2, 27), home.clock()))
    assert record_history_ends(home.db, replay, home.clock() + timedelta(days=2)) == []  # 03-01: not yet
    # live mode's fallback replay (no rates) is no time machine: its end means nothing
    later = home.clock() + timedelta(days=3, hours=1)
    assert record_history_ends(home.db, ReplayProvider(replay.clock, rates=False), later) == []
    [ended] = record_history_ends(home.db, replay, later)
    with home.db.read() as session:
        row = session.get(CorporateAction, ended)
        assert row is not None and row.kind == "data_end" and row.source == "replay"
        assert row.amount == bundled_history().series("GOOGL")[1][-1].close  # its last close

    cash = home.balance(jiwoo, "cash")
    assert home.apply(later).applied == [(ended, jiwoo.user_id)]
    assert home.position(jiwoo, "GOOGL") == (0, 0)
    [told] = home.events("PriceHistoryEnded")
    assert home.events("StockDelisted") == []  # it is not told as a delisting
    assert home.balance(jiwoo, "cash") == cash + told["total"] and told["total"] > 0
    assert home.realised(jiwoo) == told["total"] - cost
    title, body = compose("PriceHistoryEnded", "child", "en", told)
    assert title == "Our price history for this company ends here"
    assert body.startswith("Our price history for Alphabet")
    assert "the company did not go away" in body
    title_ko, body_ko = compose("PriceHistoryEnded", "child", "ko", told)
    assert title_ko == "이 회사의 가격 기록이 끝났어요" and "회사가 없어진 것은 아니에요" in body_ko
    check_mutation_log_replays(home.db, tmp_path)


def test_the_operator_records_a_delisting_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main
    from server.db import Database
    from server.settings import Settings

    data = ("--data-dir", str(tmp_path / "data"))
    main(["market", "delist", "aapl", "--price", "12.34", "--date", "2026-11-19", *data])
    assert "AAPL:delisting:2026-11-20" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="more decimals"):
        main(["market", "delist", SAMSUNG, "--price", "61500.5", "--date", "2026-11-19", *data])
    db = Database(Settings.for_data_dir(tmp_path / "data").database_url)
    try:
        with db.read() as session:
            row = session.get(CorporateAction, "AAPL:delisting:2026-11-20")
            assert row is not None and row.amount == 12_340_000 and row.source == "operator"
            audited = [a.target for a in session.scalars(select(OperatorAction))]
        assert audited == ["delist AAPL at 12.34 after 2026-11-19"]
    finally:
        db.dispose()


def test_past_the_end_of_our_history_the_replay_quotes_no_new_day_at_the_old_price(home: Home) -> None:
    """GOOGL's bundled history ends on Friday 2013-03-01: Monday's session brings no quote of it (its
    old close stamped Monday would pass for Monday's price and fill an order waiting for the open)."""
    from server.market.providers import ProviderChain
    from server.market.quotes import latest_quotes
    from server.market.refresher import record_quotes

    replay = ReplayProvider(ReplayClock(date(2013, 2, 27), home.clock()))
    chain = ProviderChain([replay])
    friday = home.clock() + timedelta(days=2, hours=16)  # 2013-03-01 in the afternoon in New York
    [last] = [q for q in record_quotes(home.db, chain, ["GOOGL", "AAPL"], friday) if q.symbol == "GOOGL"]
    assert last.source == "replay:2013-03-01" and last.price == bundled_history().series("GOOGL")[1][-1].close
    monday = home.clock() + timedelta(days=5, hours=16)  # 2013-03-04: AAPL trades on, GOOGL's data has ended
    assert [q.symbol for q in record_quotes(home.db, chain, ["GOOGL", "AAPL"], monday)] == ["AAPL"]
    with home.db.read() as session:
        assert latest_quotes(session, ["GOOGL"])["GOOGL"].as_of == friday  # the last one stays as it was


def _refused(home: Home, kid: Member, side: str, symbol: str, price: int) -> None:
    """An order for ``symbol`` is refused with SYMBOL_ENDED by REST and by push, and changes nothing."""
    before = (home.balance(kid, "cash"), home.position(kid, symbol))
    quote_id = home.quote(symbol, price)  # the last price is still stored: it must not be traded at
    order = {"symbol": symbol, "quote_id": quote_id, "price": price, "quantity": 1_000_000}
    answer = home.client.post(f"/api/game/trade/{side}", json=order, headers=kid.headers)
    assert answer.status_code == 409 and answer.json()["code"] == "SYMBOL_ENDED", answer.text
    pushed = push_order(home.client, kid, {"trade_id": uuid.uuid4().hex, "side": side, **order})
    assert pushed["status"] == "rejected" and pushed["code"] == "SYMBOL_ENDED", pushed
    assert (home.balance(kid, "cash"), home.position(kid, symbol)) == before


def test_an_order_for_a_delisted_stock_is_refused_by_rest_and_by_push(home: Home, tmp_path: Path) -> None:
    jiwoo, haneul = home.kid("지우"), home.kid("하늘")
    _delisted_samsung(home)  # the market is open, Samsung's last price still stored
    # neither a buy at the stale last price nor a sale of shares the settlement is about to take
    _refused(home, haneul, "buy", SAMSUNG, 61_500)
    _refused(home, jiwoo, "sell", SAMSUNG, 61_500)
    # other stocks trade on
    assert home.trade(haneul, "buy", "000660.KS", 120_000, quantity=1_000_000)["status"] == "filled"
    # the refusals replay: each recorded that its stock had ended when it was decided
    check_mutation_log_replays(home.db, tmp_path)
    # and that record is what the replay decides on: a log claiming it still traded is caught (the
    # refusal read no price, so deciding again as if it traded asks for facts nobody recorded)
    with home.db.write() as session:
        for row in session.scalars(select(MutationRow).where(MutationRow.code == "SYMBOL_ENDED")):
            row.inputs = {**row.inputs, "ended": {SAMSUNG: False}}
    with pytest.raises(NotReplayable, match="did not record"):
        check_mutation_log_replays(home.db, tmp_path)


def test_where_our_replay_history_ends_orders_are_refused_and_waiting_ones_cancelled_with_words(
    home: Home, tmp_path: Path
) -> None:
    haneul = home.kid("하늘")
    market: FixedMarketClock = home.app.state.market_clock
    market.open_markets.clear()  # the night before: 하늘's order waits for an open
    queued = home.trade(haneul, "buy", "GOOGL", 400_000_000, quantity=1_000_000)
    assert queued["status"] == "queued"
    market.open_markets.update(FixedMarketClock().open_markets)
    # the app's market is the history replay, and it stands past GOOGL's last bar (2013-03-01)
    replay = ReplayProvider(ReplayClock(date(2013, 3, 4), home.clock()))
    home.app.state.market_chain = ProviderChain([replay])
    _refused(home, haneul, "buy", "GOOGL", 400_000_000)
    # the background pass records where the history ended and cancels the waiting order
    [ended] = record_history_ends(home.db, replay, home.clock())
    home.apply(home.clock() + timedelta(days=1))
    assert home.balance(haneul, "cash") == 1_000_000  # every won it held is back
    with home.db.read() as session:
        row = session.get(TradeRow, str(queued["trade_id"]))
        assert row is not None and row.status == "cancelled" and row.data["note"] == "data_end"
    [cancelled] = home.events("OrderCancelled")
    assert cancelled["reason"] == "data_end" and ended.startswith("GOOGL:data_end:")
    # the stored words say why, and never that the company went away
    title, body = compose(
        "OrderCancelled", "child", "en", {**cancelled, "name_en": "Alphabet", "side_en": "buy"}
    )
    assert body == (
        "Your Alphabet buy order was cancelled. Our price history for this company ends, so it can't be "
        "bought or sold here any more; the company did not go away. What was held is back."
    )
    _, body_ko = compose(
        "OrderCancelled", "child", "ko", {**cancelled, "name_ko": "알파벳", "side_ko": "사기"}
    )
    assert "가격 기록이 끝나서" in body_ko and "회사가 없어진 것은 아니에요" in body_ko
    check_mutation_log_replays(home.db, tmp_path)

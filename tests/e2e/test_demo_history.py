"""The demo family's history, made in process on a chosen "today": the same every time it is made,
and a trade that falls on a real exchange holiday moves to the next day the market is open (the
real calendars decide whether a market is open, whatever day the replay shows)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.db import Database
from server.db.migrate import upgrade
from server.db.models import Notification, Outbox, QuoteRow, RequestRow, TradeRow
from server.demo import seed_demo
from server.market.providers.replay import bundled_history
from server.payment.crypto import cipher_from_settings
from server.settings import Settings

# Wednesday 2026-04-22: the family's first day is 2026-03-09, so 지우's GE sale, planned for the
# replayed Friday 2011-12-16, falls on Good Friday 2026-04-03, when the New York exchange is closed
TODAY = datetime(2026, 4, 22, 6, 0, tzinfo=UTC)


def _made(data_dir: Path, now: datetime) -> dict[str, Any]:
    settings = Settings.for_data_dir(data_dir)
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
    try:
        demo = seed_demo(db, settings, now)
        with db.read() as session:
            names = {c.user_id: c.name for c in demo.children}
            quotes = {q.quote_id: q for q in session.scalars(select(QuoteRow))}
            trades = [
                (names[t.child_id], t.data["side"], t.symbol, t.data["quantity"], t.data["fill_price"],
                 t.data["realised"], t.created_at, quotes[t.data["fill_quote_id"]].source,
                 t.data.get("journal"))
                for t in session.scalars(select(TradeRow).order_by(TradeRow.created_at, TradeRow.child_id))
            ]  # fmt: skip
            requests = [
                (r.status, r.data["amount_game"], r.data["reason"], r.created_at)
                for r in session.scalars(select(RequestRow).order_by(RequestRow.created_at))
            ]
            inbox = sorted(
                (n.event, n.title, n.body, n.created_at) for n in session.scalars(select(Notification))
            )
            undelivered = session.scalars(select(Outbox.id).where(Outbox.delivered_at.is_(None))).all()
        return {"trades": trades, "requests": requests, "inbox": inbox, "undelivered": undelivered}
    finally:
        db.dispose()


def test_the_history_is_the_same_each_time_and_keeps_the_replayed_calendar(tmp_path: Path) -> None:
    first = _made(tmp_path / "one", TODAY)
    assert first == _made(tmp_path / "two", TODAY)  # no randomness in what the family lived

    assert [status for status, *_ in first["requests"]] == ["paid", "rejected", "pending"]
    assert first["undelivered"] == [] and first["inbox"]
    sales = [t for t in first["trades"] if t[1] == "sell"]
    assert sum(t[5] for t in sales) > 0
    ge = next(t for t in sales if t[2] == "GE")
    # Good Friday 2026 closes today's NYSE, but it replays Friday 2011-12-16, a trading day: the sale
    # happened that day at 10:00 in New York, at that replayed day's real close
    assert ge[6].date() == date(2026, 4, 3) and ge[7] == "replay:2011-12-16"
    replayed = bundled_history().bar_on("GE", date(2011, 12, 16))
    assert replayed is not None and ge[4] == replayed[1].close
    # 지우 wrote why on two of her trades (the trade journal), which her parent reads beside them
    journals = {(t[1], t[2]): t[8] for t in first["trades"] if t[8] is not None}
    assert journals == {
        ("buy", "AAPL"): "아이폰을 다들 갖고 싶어 해서",
        ("sell", "GE"): "많이 올라서 이익을 챙기고 싶어서",
    }

"""The real app and launcher gate over the in-memory runtime, for browser tests (a child signed in).

``python -m tests.client.browser.fake_app PORT`` with ``YONGDON_TEST_SECRET`` set; with
``YONGDON_TEST_NO_FONT=1`` the Korean font is not registered (what the app looked like before the fix);
``YONGDON_TEST_LOCALE=en`` shows it in English; ``YONGDON_TEST_AS=parent`` opens the parent's screens;
``YONGDON_TEST_DARK=1`` starts in dark mode; ``YONGDON_TEST_STATUS=signed_out`` shows the child's
session as ended (the sync chip's "locked"); ``YONGDON_TEST_FILL=next_open`` makes the house rules
queue every order for the next open (the order review of a queued order, whatever the time);
``YONGDON_TEST_MARKET=1`` answers the performance with a KOSPI line beside the child's;
``YONGDON_TEST_DELISTED=1`` puts a delisting's notification in the child's inbox (Yuhan: 4 shares settled).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn

from client.app import make_main
from client.config import load_config
from client.engine import SyncState, SyncStatus
from client.web import HOST, build_web_app
from sync.money import MICRO
from sync.records import Request, RequestStatus, Trade, TradeStatus
from sync.rules import FillPolicy, HouseRules
from tests.client.ui.fakes import KID, FakeProfile, FakeRuntime, child_book, quote


def main() -> None:
    port = int(sys.argv[1])
    config = load_config()
    if os.environ.get("YONGDON_TEST_NO_FONT") == "1":
        config = replace(config, fonts={}, font_family=None)
    fill = os.environ.get("YONGDON_TEST_FILL")
    rules = HouseRules(fill_policy=FillPolicy(fill)) if fill else None
    book = child_book(cash=800_000, positions={"005930.KS": (3 * MICRO, 200_000)}, rules=rules)
    profile = FakeProfile(KID, book)
    profile.add_quote(quote("005930.KS", 71_200))
    # a month of values for the home chart (the real core asks the server; here it is canned)
    start = datetime(2026, 10, 26, tzinfo=UTC)
    profile.api.series = [
        {"t": (start + timedelta(days=d)).isoformat(), "value": 1_000_000 + 900 * d * (1 if d % 3 else -1)}
        for d in range(30)
    ]
    if os.environ.get("YONGDON_TEST_MARKET") == "1":  # the market line: KOSPI made +2.00% in the month
        line = [{"t": p["t"], "value": 1_000_000 + 690 * d} for d, p in enumerate(profile.api.series)]
        profile.api.market = {
            "benchmark_indices": ["^KS11"], "benchmark_pct": 2.0, "beat_pct": -0.5, "benchmark_missing": [],
            "benchmark": line,
        }  # fmt: skip
    if os.environ.get("YONGDON_TEST_DELISTED") == "1":  # the server's notification, with its facts
        facts = {"version": 1, "symbol": "000100.KS", "shares": "4", "price": 55_000, "total": 220_000}
        profile.notifications.append(
            {
                "notification_id": "n-delisted", "user_id": KID.user_id, "event": "StockDelisted",
                "title": "t", "body": "b", "data": {"facts": {**facts, "profit": -12_000}},
                "created_at": (start + timedelta(days=29)).isoformat(), "read_at": None,
            }
        )  # fmt: skip
    # an order waiting for the market (the portfolio's history shows it with its time, cancellable)
    profile.book.trades["t-queued"] = Trade(
        trade_id="t-queued", child_id=KID.user_id, side="buy", symbol="005930.KS", status=TradeStatus.QUEUED,
        policy="quote", created_at=start + timedelta(days=29, hours=1), quantity=2 * MICRO,
    )  # fmt: skip
    parent = os.environ.get("YONGDON_TEST_AS") == "parent"
    runtime = FakeRuntime(profile, parent=parent)
    # the parent's copy of the child: holdings, the month's trades and a request to decide
    runtime.parent_profile.book = profile.book
    profile.book.put(
        Request(
            request_id="r-1", child_id=KID.user_id, version=1, amount_game=20_000, amount_real=2_000,
            status=RequestStatus.PENDING, created_at=start + timedelta(days=29),
            updated_at=start + timedelta(days=29),
        )
    )  # fmt: skip
    runtime.active = runtime.parent_profile if parent else profile
    if os.environ.get("YONGDON_TEST_STATUS") == "signed_out":
        profile.status = SyncStatus(SyncState.SIGNED_OUT, profile.status.last_synced_at, 0, "UNAUTHENTICATED")
    data_dir = None
    if os.environ.get("YONGDON_TEST_DARK") == "1":  # the preference a family saved in settings
        data_dir = Path(tempfile.mkdtemp(prefix="yongdon-fake-"))
        (data_dir / "prefs.json").write_text(json.dumps({"dark": True}), encoding="utf-8")
    locale = os.environ.get("YONGDON_TEST_LOCALE", "ko")
    main = make_main(runtime, config, data_dir=data_dir, locale=locale)
    app = build_web_app(main, config, os.environ["YONGDON_TEST_SECRET"])
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


if __name__ == "__main__":
    main()

"""The real app and launcher gate over the in-memory runtime, for browser tests (a child signed in).

``python -m tests.client.browser.fake_app PORT`` with ``YONGDON_TEST_SECRET`` set; with
``YONGDON_TEST_NO_FONT=1`` the Korean font is not registered (what the app looked like before the fix).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import uvicorn

from client.app import make_main
from client.config import load_config
from client.web import HOST, build_web_app
from sync.money import MICRO
from tests.client.ui.fakes import KID, FakeProfile, FakeRuntime, child_book, quote


def main() -> None:
    port = int(sys.argv[1])
    config = load_config()
    if os.environ.get("YONGDON_TEST_NO_FONT") == "1":
        config = replace(config, fonts={}, font_family=None)
    profile = FakeProfile(KID, child_book(cash=800_000, positions={"005930.KS": (3 * MICRO, 200_000)}))
    profile.add_quote(quote("005930.KS", 71_200))
    # a month of values for the home chart (the real core asks the server; here it is canned)
    start = datetime(2026, 10, 26, tzinfo=UTC)
    profile.api.series = [
        {"t": (start + timedelta(days=d)).isoformat(), "value": 1_000_000 + 900 * d * (1 if d % 3 else -1)}
        for d in range(30)
    ]
    runtime = FakeRuntime(profile)
    runtime.active = profile
    app = build_web_app(make_main(runtime, config, locale="ko"), config, os.environ["YONGDON_TEST_SECRET"])
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


if __name__ == "__main__":
    main()

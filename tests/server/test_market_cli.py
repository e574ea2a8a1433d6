"""``yongdon market``: choose the time machine, backfill bars with a progress bar, report status, list
symbols — on a real data dir (SQLite) and on PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    return capsys.readouterr().out


def test_time_machine_backfill_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ("--data-dir", str(tmp_path / "data"))
    first = run(capsys, "market", "status", *data)
    assert "mode: replay  (providers: replay→sim)" in first and "bars: none stored yet" in first

    chosen = run(capsys, "market", "use", "replay", "--start", "2008-09-15", "--speed", "1", *data)
    assert chosen.strip() == "market mode: replay; replay at 2008-09-15"

    with pytest.raises(SystemExit, match="not in the symbol directory: NOPE"):
        main(["market", "backfill", "AAPL", "NOPE", *data])  # a typo is not simulated into a chart
    filled = run(capsys, "market", "backfill", "AAPL", "005930", "--range", "1M", *data)
    stored = int(re.search(r"stored (\d+) daily bars for 2 symbols", filled).group(1))  # type: ignore[union-attr]
    assert 40 <= stored <= 46  # ~22 sessions each: AAPL replayed, Samsung simulated
    assert "100%" in filled  # the progress bar ran to the end

    status = run(capsys, "market", "status", *data)
    assert "now at 2008-09-15" in status
    assert f"bars 1d: {stored} for 2 symbols, newest 2008-09-15" in status
    assert "health: replay ok, sim ok, replay_date 2008-09-15" in status


def test_symbols_say_where_offline_prices_come_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ("--data-dir", str(tmp_path / "data"))
    rows = {line.split()[0]: line for line in run(capsys, "market", "symbols", *data).splitlines()}
    assert "replay 1990-01-02–2022-12-28" in rows["AAPL"] and "애플" in rows["AAPL"]
    assert " sim " in rows["005930.KS"] and "삼성전자" in rows["005930.KS"]
    only = run(capsys, "market", "symbols", "--history", *data).splitlines()
    # 23 companies and the S&P 500 index (the market line beside a child's value), said to be an index
    assert len(only) == 24 and not any(".KS" in line for line in only)
    assert any(line.startswith("^GSPC") and "INDEX" in line for line in only), only


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ("--data-dir", str(tmp_path / "data"))
    with pytest.raises(SystemExit, match="yongdon market: month must be in 1..12"):
        main(["market", "use", "replay", "--start", "2008-13-01", *data])
    with pytest.raises(SystemExit, match="replay speed"):
        main(["market", "use", "replay", "--speed", "0.0", *data])
    assert "now at" in run(capsys, "market", "status", *data)  # nothing half-written


def test_an_operator_compresses_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A replay day every 15 s (5,760 days per day) is allowed; faster than a day per second is not."""
    data = ("--data-dir", str(tmp_path / "data"))
    run(capsys, "market", "use", "replay", "--start", "2009-05-19", "--speed", "5760", *data)
    assert "5760 day(s) per day" in run(capsys, "market", "status", *data)
    run(capsys, "market", "use", "replay", "--speed", "86400", *data)  # the bound itself
    with pytest.raises(SystemExit, match=r"at most 86,400 \(one replay day per real second\); 86401 was"):
        main(["market", "use", "replay", "--speed", "86401", *data])
    with pytest.raises(SystemExit, match="replay speed"):
        main(["market", "use", "replay", "--speed", "nan", *data])
    assert "86400 day(s) per day" in run(capsys, "market", "status", *data)  # the refused one left no trace


@pytest.mark.postgres
def test_backfill_on_postgres_fills_yearly_partitions(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ("--data-dir", str(tmp_path / "data"), "--database-url", pg_url)
    run(capsys, "market", "use", "replay", "--start", "2012-01-03", *data)
    filled = run(capsys, "market", "backfill", "IBM", "--range", "5Y", *data)
    assert re.search(r"stored 12\d\d daily bars for 1 symbols", filled), filled
    assert "bars 1d: 12" in run(capsys, "market", "status", *data)


def test_live_backfill_stores_only_yahoos_bars_and_paces_itself(database_url: str) -> None:
    from datetime import UTC, date, datetime

    from server.db import Database
    from server.market.admin import backfill
    from server.market.providers import ProviderChain, ReplayClock
    from server.market.providers.base import Bar
    from server.market.providers.replay import ReplayProvider

    now = datetime(2026, 11, 24, 15, tzinfo=UTC)

    class Yahoo:
        name = "yahoo"

        def today(self, at: datetime) -> date:
            return at.date()

        def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
            if symbol != "AAPL":
                return []  # Yahoo has nothing: the chain falls through to the replay
            return [
                Bar(ts=datetime(2026, 11, d, tzinfo=UTC), close=230_000_000, source="yahoo") for d in (20, 23)
            ]

    pauses: list[int] = []
    db = Database(database_url)
    try:
        chain = ProviderChain([Yahoo(), ReplayProvider(ReplayClock(date(2026, 11, 24), now))])  # type: ignore[list-item]
        written = backfill(db, chain, ["AAPL", "IBM"], "max", now, pause=lambda: pauses.append(1))
        assert written == {"AAPL": 2, "IBM": 0}  # IBM's 2000–2013 replay bars would pass for its real past
        assert pauses == [1]  # between the two Yahoo symbols, not before the first
    finally:
        db.dispose()

"""Exchange calendars on dates a family would notice: holidays, half days, late opens."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.market.calendar import MarketCalendars, market_calendars
from sync.rules import Market

KST = ZoneInfo("Asia/Seoul")
NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def cal() -> MarketCalendars:
    return market_calendars()


def hours(cal, market: Market, day: str) -> tuple[str, str] | None:
    session = cal[market].session_on(date.fromisoformat(day))
    if session is None:
        return None
    zone = cal[market].zone
    return session.open.astimezone(zone).strftime("%H:%M"), session.close.astimezone(zone).strftime("%H:%M")


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2026-02-16", "설날 연휴"),
        ("2026-02-17", "설날"),
        ("2026-02-18", "설날 연휴"),
        ("2026-09-24", "추석 연휴"),
        ("2026-09-25", "추석"),
        ("2026-10-09", "한글날"),
        ("2026-12-25", "성탄절"),
        ("2026-12-31", "연말 휴장일"),
        ("2026-06-03", "지방선거: exchange_calendars misses it, holidays has it"),
        ("2026-07-17", "제헌절 (a public holiday again from 2026): exchange_calendars misses it"),
    ],
)
def test_krx_is_closed_on_korean_holidays(cal: MarketCalendars, day: str, why: str) -> None:
    assert hours(cal, Market.KRX, day) is None, why


def test_krx_regular_day_and_late_opens(cal: MarketCalendars) -> None:
    assert hours(cal, Market.KRX, "2026-12-30") == ("09:00", "15:30")  # last session of the year
    assert hours(cal, Market.KRX, "2026-01-02") == ("10:00", "15:30")  # first session: opens at 10
    assert hours(cal, Market.KRX, "2027-01-04") == ("10:00", "15:30")
    assert hours(cal, Market.KRX, "2026-11-19") == ("10:00", "16:30")  # 수능: an hour late at both ends
    assert hours(cal, Market.KRX, "2026-11-20") == ("09:00", "15:30")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-11-26", None),  # Thanksgiving
        ("2026-11-27", ("09:30", "13:00")),  # the day after: a half day
        ("2026-12-24", ("09:30", "13:00")),
        ("2026-06-19", None),  # Juneteenth
        ("2026-07-03", None),  # Independence Day observed (July 4 is a Saturday)
        ("2026-11-25", ("09:30", "16:00")),
    ],
)
def test_nyse_holidays_and_half_days(
    cal: MarketCalendars, day: str, expected: tuple[str, str] | None
) -> None:
    assert hours(cal, Market.US, day) == expected


def test_us_session_in_utc_follows_daylight_saving(cal: MarketCalendars) -> None:
    summer = cal[Market.US].session_on(date(2026, 7, 1))
    winter = cal[Market.US].session_on(date(2026, 12, 1))
    assert summer.open == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert winter.open == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


def test_is_open_and_next_open_across_a_long_weekend(cal: MarketCalendars) -> None:
    # 추석: closed Thursday 9/24 and Friday 9/25, so Wednesday evening's next open is Monday
    wednesday_evening = datetime(2026, 9, 23, 16, 0, tzinfo=KST)
    assert not cal.is_open(Market.KRX, wednesday_evening)
    assert cal.next_open(Market.KRX, wednesday_evening) == datetime(2026, 9, 28, 9, 0, tzinfo=KST)
    assert cal.next_close(Market.KRX, wednesday_evening) == datetime(2026, 9, 28, 15, 30, tzinfo=KST)
    # the year's end: the 30th is the last session, the first one of 2027 opens at 10:00
    after = datetime(2026, 12, 30, 15, 30, tzinfo=KST)  # the close itself is already closed
    assert not cal.is_open(Market.KRX, after)
    assert cal.next_open(Market.KRX, after) == datetime(2027, 1, 4, 10, 0, tzinfo=KST)


def test_open_at_the_open_closed_at_the_close(cal: MarketCalendars) -> None:
    half_day = cal[Market.US].session_on(date(2026, 11, 27))
    assert cal.is_open(Market.US, half_day.open)
    assert cal.is_open(Market.US, datetime(2026, 11, 27, 12, 59, tzinfo=NY))
    assert not cal.is_open(Market.US, datetime(2026, 11, 27, 13, 0, tzinfo=NY))  # shut at 1 pm
    thanksgiving_noon = datetime(2026, 11, 26, 12, 0, tzinfo=NY)
    assert not cal.is_open(Market.US, thanksgiving_noon)
    assert cal.next_open(Market.US, thanksgiving_noon) == half_day.open
    assert cal.next_close(Market.US, thanksgiving_noon) == datetime(2026, 11, 27, 13, 0, tzinfo=NY)


def test_times_must_be_aware(cal: MarketCalendars) -> None:
    with pytest.raises(ValueError, match="aware"):
        cal.is_open(Market.KRX, datetime(2026, 11, 24, 10, 0))


def test_the_calendar_reaches_back_to_2000_for_history_replay(cal: MarketCalendars) -> None:
    assert cal[Market.US].first <= date(2000, 1, 4)
    assert hours(cal, Market.US, "2008-09-15") == ("09:30", "16:00")  # Lehman Monday traded
    assert hours(cal, Market.US, "2012-10-29") is None  # Hurricane Sandy closed NYSE


def test_the_holidays_correction_removes_exactly_the_closures_exchange_calendars_misses(
    cal: MarketCalendars,
) -> None:
    import exchange_calendars

    with warnings.catch_warnings():  # pandas 3.1 warns inside exchange_calendars
        warnings.simplefilter("ignore")
        raw = exchange_calendars.get_calendar("XKRX", start="2000-01-01", end="2028-12-31")
        library = {ts.date() for ts in raw.sessions}
    ours = {d for d in library if cal[Market.KRX].session_on(d) is not None}
    assert sorted(library - ours) == [
        date(2026, 6, 3),  # local elections
        date(2026, 7, 17),  # Constitution Day, a holiday again
        date(2027, 5, 3),  # substitute for Labor Day (a Saturday)
        date(2027, 7, 19),  # substitute for Constitution Day (a Saturday)
        date(2028, 4, 12),  # National Assembly elections
        date(2028, 7, 17),  # Constitution Day
    ]


def test_calendars_read_back_from_the_data_dir_equal_the_built_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted server reads the sessions it built before instead of spending seconds in pandas."""
    from server.market import calendar

    real_load = calendar._load
    monkeypatch.setattr(calendar, "_cached", None)
    monkeypatch.setattr(calendar, "_cache_dir", tmp_path)
    built = calendar.market_calendars()
    (stored,) = tmp_path.glob("calendars-*.json")
    monkeypatch.setattr(calendar, "_cached", None)
    monkeypatch.setattr(calendar, "_load", lambda *a: pytest.fail("built again instead of read back"))
    read = calendar.market_calendars()
    for market in (Market.KRX, Market.US):
        assert read[market].sessions == built[market].sessions
    stored.write_text("{not json")  # damaged: built again, not trusted
    monkeypatch.setattr(calendar, "_cached", None)
    monkeypatch.setattr(calendar, "_load", real_load)
    again = calendar.market_calendars()
    assert again[Market.KRX].sessions == built[Market.KRX].sessions
    assert stored.read_text().startswith("{")  # and stored again

"""The TARGET calendar, computed for every year of the ECB's history, and open-market time as the
oracle counts it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from oracle.calendar import (
    UNBOUNDED,
    easter_sunday,
    holiday_years,
    is_business_day,
    open_seconds_between,
    target_holidays,
    unix_day,
    unix_days,
)
from oracle.feeds import EcbHistoryFeed


def _ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def test_easter() -> None:
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2015) == date(2015, 4, 5)
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(1999) == date(1999, 4, 4)
    assert easter_sunday(2008) == date(2008, 3, 23)
    assert unix_day(date(2025, 4, 18)) == 20_196


def test_the_computed_calendar_is_the_ecbs_publication_calendar_across_the_whole_history() -> None:
    """On every weekday from the first fixing (4 January 1999) to the last one shipped, the ECB
    published reference rates exactly when the computed calendar says TARGET was open."""
    feed = EcbHistoryFeed()
    published = set(feed.fixing_dates(date(1999, 1, 1), date(2100, 1, 1)))
    first, last = min(published), max(published)
    assert first == date(1999, 1, 4) and last >= date(2026, 10, 30)
    disagreements = []
    day = first
    while day <= last:
        if day.weekday() < 5 and is_business_day(day) != (day in published):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []
    assert all(day.weekday() < 5 for day in published)


@pytest.mark.parametrize(("year", "closed", "open_"), [
    (1999, [date(1999, 12, 31)], [date(1999, 4, 2), date(1999, 4, 5)]),  # Easter 1999 was open; the Y2K closure
    (2000, [date(2000, 4, 21), date(2000, 4, 24), date(2000, 5, 1), date(2000, 12, 26)], [date(2000, 12, 29)]),
    (2001, [date(2001, 4, 13), date(2001, 4, 16), date(2001, 5, 1), date(2001, 12, 25), date(2001, 12, 26),
            date(2001, 12, 31)], [date(2001, 12, 24)]),  # 31 Dec 2001: the day before euro cash
    (2002, [date(2002, 1, 1), date(2002, 3, 29), date(2002, 4, 1), date(2002, 5, 1)], [date(2002, 12, 31)]),
    (2008, [date(2008, 3, 21), date(2008, 3, 24), date(2008, 5, 1), date(2008, 12, 25), date(2008, 12, 26)],
           [date(2008, 12, 24), date(2008, 12, 29), date(2008, 12, 31)]),
    (2025, [date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1)], [date(2025, 12, 24), date(2025, 12, 31)]),
    (2040, [date(2040, 3, 30), date(2040, 4, 2), date(2040, 5, 1), date(2040, 12, 25), date(2040, 12, 26)], []),
])  # fmt: skip
def test_closing_days_by_year(year: int, closed: list[date], open_: list[date]) -> None:
    holidays = target_holidays(year)
    assert all(day in holidays for day in closed)
    assert not any(day in holidays for day in open_)
    assert all(is_business_day(day) for day in open_)
    assert len(holidays) == {1999: 4, 2000: 7, 2001: 7}.get(year, 6)


def test_before_the_euro_there_is_no_target_calendar() -> None:
    with pytest.raises(ValueError, match="1999"):
        target_holidays(1998)


def test_holiday_years_cover_the_network_clock() -> None:
    assert holiday_years(date(2015, 1, 12)) == range(2014, 2026)
    assert holiday_years(date(1999, 1, 4)) == range(1999, 2010)  # nothing before the euro
    assert len(unix_days(range(2000, 2002))) == 14


def test_open_seconds_skip_weekends_and_closing_days_like_the_contract() -> None:
    # Christmas 2008: Wednesday 24 Dec 15:00 UTC to Monday 29 Dec 15:00 UTC: the 24th's last nine hours
    # and Monday's first fifteen count, Thu/Fri (closing days) and the weekend do not
    assert open_seconds_between(_ts(2008, 12, 24, 15), _ts(2008, 12, 29, 15)) == 24 * 3600
    # Easter 2025: Thursday 17 Apr 14:00 UTC to Tuesday 22 Apr 16:00 UTC
    assert open_seconds_between(_ts(2025, 4, 17, 14), _ts(2025, 4, 22, 16)) == (10 + 16) * 3600
    # an ordinary week: one day
    assert open_seconds_between(_ts(2025, 4, 8, 14), _ts(2025, 4, 9, 14)) == 24 * 3600
    assert open_seconds_between(_ts(2025, 4, 9, 14), _ts(2025, 4, 8, 14)) == 0
    # 1999: Good Friday was open; 31 December was not
    assert open_seconds_between(_ts(1999, 4, 1, 15), _ts(1999, 4, 2, 15)) == 24 * 3600
    assert open_seconds_between(_ts(1999, 12, 30, 15), _ts(2000, 1, 3, 15)) == (9 + 15) * 3600
    # beyond 31 calendar days a rate is stale whatever the calendar says
    assert open_seconds_between(_ts(2022, 3, 1, 15), _ts(2022, 6, 1, 15)) == UNBOUNDED

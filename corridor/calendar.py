"""TARGET closing days (the days the ECB publishes no reference rates) for any year of the ECB's
history, and open-market time counted the way the FxOracle counts it.

What :func:`target_holidays` computes, year by year:

======== ================================================================================
years    closing days
======== ================================================================================
2002 on  1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December
2000–01  the same six days, plus 31 December (31 December 2000 was a Sunday)
1999     1 January, 25 and 26 December, 31 December (the year-2000 changeover). Good
         Friday and Easter Monday 1999 were business days: the ECB fixed rates on
         2 and 5 April 1999. 1 May, 25 and 26 December 1999 fell on weekends.
======== ================================================================================

The table is checked against the shipped history: on every weekday from 4 January 1999 (the
first fixing) to the end of the file the ECB published a fixing exactly when the day is not a
computed closing day (``tests/unit/oracle/test_calendar.py``). Days are calendar dates; the
contracts count a holiday by its UTC day number (:func:`unix_day`), like the weekend.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

FIRST_YEAR = 1999  # the euro and the ECB reference rates begin on 4 January 1999
SECONDS_PER_DAY = 86_400
MAX_CALENDAR_DAYS = 31  # beyond this many calendar days a rate is stale whatever the calendar says (as on chain)
UNBOUNDED = 2**256 - 1  # the open age the contract reports beyond MAX_CALENDAR_DAYS


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def target_holidays(year: int) -> list[date]:
    """TARGET's closing days of ``year`` (see the module's table), in date order."""
    if year < FIRST_YEAR:
        raise ValueError(f"TARGET closing days start in {FIRST_YEAR}; asked for {year}")
    if year == FIRST_YEAR:
        return [date(year, 1, 1), date(year, 12, 25), date(year, 12, 26), date(year, 12, 31)]
    easter = easter_sunday(year)
    days = [
        date(year, 1, 1),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        date(year, 5, 1),
        date(year, 12, 25),
        date(year, 12, 26),
    ]
    if year <= 2001:
        days.append(date(year, 12, 31))
    return days


def is_target_holiday(day: date) -> bool:
    return day.year >= FIRST_YEAR and day in _holiday_set(day.year)


def is_business_day(day: date) -> bool:
    """A weekday on which TARGET is open: a day the ECB fixes its reference rates."""
    return day.weekday() < 5 and not is_target_holiday(day)


def holiday_years(around: date, *, before: int = 1, after: int = 10) -> range:
    """The years a network clocked at ``around`` needs marked on chain: a year back (rates fixed last
    December are read in January) and ``after`` years ahead."""
    return range(max(FIRST_YEAR, around.year - before), around.year + after + 1)


def unix_days(years: Iterable[int]) -> list[int]:
    """The closing days of ``years`` as the contracts' day numbers, for ``FxOracle.setHolidays``."""
    return [unix_day(day) for year in years for day in target_holidays(year)]


def unix_day(day: date) -> int:
    """The contracts' day number: unix time // 86400."""
    return (day - date(1970, 1, 1)).days


def open_seconds_between(start: int, end: int) -> int:
    """Open-market seconds between two unix times, as ``FxOracle.openSecondsBetween`` counts them with
    TARGET's closing days marked: weekends (UTC) and closing days do not count; beyond
    :data:`MAX_CALENDAR_DAYS` calendar days the age is :data:`UNBOUNDED`."""
    if end <= start:
        return 0
    first, last = start // SECONDS_PER_DAY, end // SECONDS_PER_DAY
    if last - first > MAX_CALENDAR_DAYS:
        return UNBOUNDED
    open_seconds = 0
    for number in range(first, last + 1):
        day = date(1970, 1, 1) + timedelta(days=number)
        if day.weekday() >= 5 or is_target_holiday(day):
            continue
        open_seconds += min(end, (number + 1) * SECONDS_PER_DAY) - max(start, number * SECONDS_PER_DAY)
    return open_seconds


@lru_cache(maxsize=256)
def _holiday_set(year: int) -> frozenset[date]:
    return frozenset(target_holidays(year))

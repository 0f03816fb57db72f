"""TARGET2 closing days (when the ECB publishes no reference rates), for the on-chain calendar."""

from __future__ import annotations

from datetime import date, timedelta


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
    """New Year, Good Friday, Easter Monday, 1 May, 25 and 26 December."""
    easter = easter_sunday(year)
    return [
        date(year, 1, 1),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        date(year, 5, 1),
        date(year, 12, 25),
        date(year, 12, 26),
    ]


def unix_day(day: date) -> int:
    """The contracts' day number: unix time // 86400."""
    return (day - date(1970, 1, 1)).days

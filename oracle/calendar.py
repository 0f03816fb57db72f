"""The TARGET calendar lives in the core (:mod:`corridor.calendar`: deployment marks the closing days
on chain); re-exported here for the oracle's callers."""

from corridor.calendar import (FIRST_YEAR, MAX_CALENDAR_DAYS, SECONDS_PER_DAY, UNBOUNDED, easter_sunday, holiday_years,
                               is_business_day, is_target_holiday, open_seconds_between, target_holidays, unix_day,
                               unix_days)  # fmt: skip

__all__ = ["FIRST_YEAR", "MAX_CALENDAR_DAYS", "SECONDS_PER_DAY", "UNBOUNDED", "easter_sunday", "holiday_years", "is_business_day",
           "is_target_holiday", "open_seconds_between", "target_holidays", "unix_day", "unix_days"]  # fmt: skip

"""A past day's fixings re-observed now: the opening rates of a development network whose clock runs
today while the shipped history ends earlier (``corridor up``, ``corridor bridge serve``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

from oracle.calendar import open_seconds_between
from oracle.feeds.base import Feed, Fixing


class RestampedFeed:
    """``feed``'s fixings in force ``as_of`` a past moment, observed at ``at`` instead — but only those
    that were usable at that moment (no older than ``max_age_seconds(currency)`` open-market seconds).
    A fixing that was already too old keeps its own time, so the publisher refuses it as stale and
    says since when: an old rate is never passed off as a fresh one."""

    def __init__(self, feed: Feed, *, as_of: datetime, at: datetime, max_age_seconds: Callable[[str], int]) -> None:
        self.name = f"{feed.name} (re-observed)"
        self.base = feed.base
        self._feed = feed
        self._as_of = int(as_of.timestamp())
        self._at = at
        self._max_age_seconds = max_age_seconds

    def fixing(self, currency: str, on: date) -> Fixing:
        fixing = self._feed.fixing(currency, on)
        if open_seconds_between(int(fixing.observed_at.timestamp()), self._as_of) > self._max_age_seconds(fixing.currency):
            return fixing
        return replace(fixing, observed_at=self._at)

    def currencies(self, on: date) -> list[str]:
        return self._feed.currencies(on)

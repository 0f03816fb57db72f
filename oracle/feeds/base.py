"""The feed interface: reference rates against one base currency, with their fixing time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from oracle.errors import RateUnavailable


@dataclass(frozen=True)
class Fixing:
    """One currency's reference rate (units of ``currency`` per one ``base``) and when it was fixed."""

    base: str
    currency: str
    rate: Decimal
    observed_at: datetime  # timezone-aware, UTC
    source: str


class Feed(Protocol):
    """A source of reference rates. A feed that has nothing for a currency raises
    :class:`RateUnavailable`; it never returns zero or an interpolated value."""

    name: str
    base: str

    def fixing(self, currency: str, on: date) -> Fixing:
        """The rate in force on ``on`` (the last fixing at or before it)."""
        ...

    def currencies(self, on: date) -> list[str]:
        """Currencies the feed has a rate for on ``on``."""
        ...


def require(value: Decimal | None, *, feed: str, currency: str, on: date | None) -> Decimal:
    if value is None or value <= 0:
        raise RateUnavailable(feed=feed, currency=currency, on=on)
    return value

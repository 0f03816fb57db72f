"""The feed interface: reference rates against one base currency, with their fixing time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
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

    @property
    def pair(self) -> str:
        """The pair as people read it: ``EUR/CHF``."""
        return f"{self.base}/{self.currency}"

    @property
    def fixed_on(self) -> date:
        """The fixing's own date (UTC; the ECB fixes at 16:00 Frankfurt time, the same date)."""
        return self.observed_at.astimezone(timezone.utc).date()


class Feed(Protocol):
    """A source of reference rates. A feed that has nothing for a currency raises
    :class:`RateUnavailable`; it never returns zero or an interpolated value."""

    name: str
    base: str

    def fixing(self, currency: str, on: date) -> Fixing:
        """The rate in force on ``on``: the last fixing at or before it, with its own fixing time
        (however old; the publisher judges its age). Raises :class:`RateUnavailable` when the feed
        has never had a fixing for ``currency`` by ``on``."""
        ...

    def currencies(self, on: date) -> list[str]:
        """Currencies the feed has a rate for on ``on``."""
        ...


def require(value: Decimal | None, *, feed: str, currency: str, on: date | None) -> Decimal:
    if value is None or value <= 0:
        raise RateUnavailable(feed=feed, currency=currency, on=on)
    return value

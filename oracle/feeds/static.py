"""Fixed rates, for tests and for networks without a live source."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from oracle.feeds.base import Fixing, require


class StaticFeed:
    """The same rates every day, observed at ``observed_at`` (or at each request's date)."""

    name = "static"

    def __init__(self, rates: Mapping[str, Decimal | str | float], *, base: str = "EUR", observed_at: datetime) -> None:
        self.base = base
        self._rates = {code.upper(): Decimal(str(rate)) for code, rate in rates.items()}
        self._observed_at = observed_at

    def fixing(self, currency: str, on: date) -> Fixing:
        currency = currency.upper()
        rate = require(self._rates.get(currency), feed=self.name, currency=currency, on=on)
        return Fixing(self.base, currency, rate, self._observed_at, self.name)

    def currencies(self, on: date) -> list[str]:
        return sorted(self._rates)

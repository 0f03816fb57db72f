"""The ECB's daily reference-rate XML (``eurofxref-daily.xml``), read from a file or a URL."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx

from oracle.errors import FeedError
from oracle.feeds.base import Fixing, require
from oracle.feeds.ecb_history import fixing_time

_NS = {"gesmes": "http://www.gesmes.org/xml/2002-08-01", "ecb": "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"}


class EcbXmlFeed:
    """One day's fixings from an ``eurofxref-daily.xml`` document."""

    name = "ecb-xml"
    base = "EUR"

    def __init__(self, source: str | Path, *, timeout: float = 10.0) -> None:
        self.source = str(source)
        self._timeout = timeout
        self._day: date | None = None
        self._rates: dict[str, Decimal] = {}

    def _load(self) -> None:
        if self._day is not None:
            return
        if self.source.startswith(("http://", "https://")):
            try:
                response = httpx.get(self.source, timeout=self._timeout)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise FeedError(feed=self.name, reason=f"cannot fetch {self.source}: {exc}") from exc
            text = response.text
        else:
            try:
                text = Path(self.source).read_text(encoding="utf-8")
            except OSError as exc:
                raise FeedError(feed=self.name, reason=f"cannot read {self.source}: {exc}") from exc
        self._day, self._rates = parse(text)

    def fixing(self, currency: str, on: date) -> Fixing:
        self._load()
        assert self._day is not None
        currency = currency.upper()
        rate = require(self._rates.get(currency) if on >= self._day else None, feed=self.name, currency=currency, on=on)
        return Fixing(self.base, currency, rate, fixing_time(self._day), self.name)

    def currencies(self, on: date) -> list[str]:
        self._load()
        return sorted(self._rates) if self._day is not None and on >= self._day else []


def parse(text: str) -> tuple[date, dict[str, Decimal]]:
    """(fixing date, {currency: rate}) from the XML document."""
    try:
        root = ElementTree.fromstring(text)
        day_cube = root.find("ecb:Cube/ecb:Cube[@time]", _NS)
        if day_cube is None:
            raise FeedError(feed=EcbXmlFeed.name, reason="no <Cube time=...> element")
        day = date.fromisoformat(day_cube.attrib["time"])
        rates = {cube.attrib["currency"]: Decimal(cube.attrib["rate"]) for cube in day_cube.findall("ecb:Cube", _NS)}
    except (ElementTree.ParseError, KeyError, ValueError, InvalidOperation) as exc:
        raise FeedError(feed=EcbXmlFeed.name, reason=f"malformed document: {exc}") from exc
    if not rates:
        raise FeedError(feed=EcbXmlFeed.name, reason="the document lists no rates")
    return day, rates

"""Feeds return real published fixings with their fixing time, and say so when they have none."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from oracle.errors import FeedError, RateUnavailable
from oracle.feeds import EcbHistoryFeed, EcbXmlFeed, StaticFeed

DATA = Path(__file__).parent.parent.parent / "data"


@pytest.fixture(scope="module")
def history() -> EcbHistoryFeed:
    return EcbHistoryFeed()


def test_history_has_the_swiss_franc_shock(history: EcbHistoryFeed) -> None:
    assert history.fixing("CHF", date(2015, 1, 14)).rate == Decimal("1.2010")
    shock = history.fixing("CHF", date(2015, 1, 15))
    assert shock.rate == Decimal("1.0280")
    assert shock.observed_at == datetime(2015, 1, 15, 15, 0, tzinfo=timezone.utc)  # 16:00 CET


def test_weekend_keeps_fridays_fixing_and_its_time(history: EcbHistoryFeed) -> None:
    saturday = history.fixing("CHF", date(2015, 1, 17))
    friday = history.fixing("CHF", date(2015, 1, 16))
    assert saturday == friday
    assert saturday.observed_at.date() == date(2015, 1, 16)


def test_easter_holidays_keep_thursdays_fixing(history: EcbHistoryFeed) -> None:
    thursday = history.fixing("CNY", date(2025, 4, 17))
    for day in (18, 19, 20, 21):  # Good Friday … Easter Monday: no fixing published
        assert history.fixing("CNY", date(2025, 4, day)) == thursday
    assert history.fixing_dates(date(2025, 4, 16), date(2025, 4, 23)) == [
        date(2025, 4, 16), date(2025, 4, 17), date(2025, 4, 22), date(2025, 4, 23)]  # fmt: skip


def test_agrees_with_currencyconverter_last_known(history: EcbHistoryFeed) -> None:
    for day in (date(2015, 1, 17), date(2025, 4, 20), date(2020, 3, 16)):
        for code in ("CHF", "CNY", "HKD", "THB"):
            assert history.fixing(code, day).rate == history.converter.convert(1, "EUR", code, date=day)


def test_retired_currency_is_unavailable_not_invented(history: EcbHistoryFeed) -> None:
    with pytest.raises(RateUnavailable, match="CYP on 2025-01-02"):
        history.fixing("CYP", date(2025, 1, 2))  # the Cypriot pound was replaced by the euro in 2008
    assert "CYP" not in history.currencies(date(2025, 1, 2))
    assert {"CNY", "HKD", "THB", "CHF"} <= set(history.currencies(date(2025, 1, 2)))


def test_before_history_is_unavailable(history: EcbHistoryFeed) -> None:
    with pytest.raises(RateUnavailable):
        history.fixing("USD", date(1998, 12, 31))


def test_daily_xml_from_file() -> None:
    feed = EcbXmlFeed(DATA / "eurofxref-daily.xml")
    fixing = feed.fixing("CHF", date(2015, 1, 15))
    assert fixing.rate == Decimal("1.0280")
    assert fixing.observed_at == datetime(2015, 1, 15, 15, 0, tzinfo=timezone.utc)
    assert feed.currencies(date(2015, 1, 15)) == ["CHF", "CNY", "HKD", "JPY", "THB", "USD"]
    with pytest.raises(RateUnavailable):
        feed.fixing("SGD", date(2015, 1, 15))
    with pytest.raises(RateUnavailable):
        feed.fixing("CHF", date(2015, 1, 14))  # the document says nothing about the day before


def test_daily_xml_malformed_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<gesmes:Envelope")
    with pytest.raises(FeedError, match="malformed"):
        EcbXmlFeed(bad).fixing("CHF", date(2015, 1, 15))
    with pytest.raises(FeedError, match="cannot read"):
        EcbXmlFeed(tmp_path / "absent.xml").fixing("CHF", date(2015, 1, 15))


def test_static_feed() -> None:
    at = datetime(2026, 1, 5, 15, tzinfo=timezone.utc)
    feed = StaticFeed({"CNY": "7.8"}, observed_at=at)
    assert feed.fixing("cny", date(2026, 1, 5)).rate == Decimal("7.8")
    with pytest.raises(RateUnavailable):
        feed.fixing("HKD", date(2026, 1, 5))


def test_a_non_positive_rate_is_unavailable_not_passed_on(tmp_path: Path) -> None:
    at = datetime(2026, 1, 5, 15, tzinfo=timezone.utc)
    with pytest.raises(RateUnavailable):
        StaticFeed({"CNY": "0"}, observed_at=at).fixing("CNY", date(2026, 1, 5))
    xml = (DATA / "eurofxref-daily.xml").read_text().replace("currency='CHF' rate='1.0280'", "currency='CHF' rate='-1.0280'")
    assert "rate='-1.0280'" in xml
    negative = tmp_path / "negative.xml"
    negative.write_text(xml)
    with pytest.raises(RateUnavailable):
        EcbXmlFeed(negative).fixing("CHF", date(2015, 1, 15))

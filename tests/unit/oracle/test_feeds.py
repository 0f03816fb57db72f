"""Feeds return real published fixings with their fixing time, and say so when they have none."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from oracle.errors import FeedError, RateUnavailable
from oracle.feeds import EcbHistoryFeed, EcbXmlFeed, RestampedFeed, StaticFeed
from oracle.feeds.ecb_history import fixing_time

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


def test_retired_currency_keeps_its_last_fixing_and_its_date(history: EcbHistoryFeed) -> None:
    """The Cypriot pound was replaced by the euro in 2008: years later the feed still answers with its
    last real fixing and that fixing's date (the publisher then refuses it as stale), never a
    recent-looking rate and never an invented one."""
    old = history.fixing("CYP", date(2025, 1, 2))
    assert old.fixed_on == date(2007, 12, 31)
    assert old.rate == Decimal("0.585274")
    assert "CYP" not in history.currencies(date(2025, 1, 2))
    assert {"CNY", "HKD", "THB", "CHF"} <= set(history.currencies(date(2025, 1, 2)))


@pytest.mark.parametrize(("code", "last"), [
    ("LTL", date(2014, 12, 31)),  # Lithuania adopted the euro on 1 January 2015
    ("LVL", date(2013, 12, 31)),
    ("RUB", date(2022, 3, 1)),  # the ECB suspended the rouble on 2 March 2022
    ("HRK", date(2022, 12, 30)),
    ("BGN", date(2025, 12, 31)),
])  # fmt: skip
def test_a_currency_the_ecb_stopped_fixing_answers_with_its_own_last_date(history: EcbHistoryFeed, code: str, last: date) -> None:
    assert history.last_fixing_date(code, last) == last
    for later in (last + timedelta(days=1), last + timedelta(days=10), last + timedelta(days=400)):
        fixing = history.fixing(code, later)
        assert fixing.fixed_on == last
        assert fixing.observed_at == fixing_time(last)
    assert code in history.currencies(last)
    assert code not in history.currencies(last + timedelta(days=10))


def test_fixing_dates_are_the_ecb_publication_days(history: EcbHistoryFeed) -> None:
    assert history.fixing_dates(date(2014, 12, 29), date(2015, 1, 6)) == [
        date(2014, 12, 29), date(2014, 12, 30), date(2014, 12, 31), date(2015, 1, 2), date(2015, 1, 5), date(2015, 1, 6)]  # fmt: skip
    assert history.fixing_dates(date(1998, 12, 1), date(1999, 1, 5)) == [date(1999, 1, 4), date(1999, 1, 5)]
    assert history.fixing_dates(date(2025, 4, 18), date(2025, 4, 21)) == []


def test_each_fixing_carries_its_own_date_over_weekends_and_holidays(history: EcbHistoryFeed) -> None:
    for day in (date(2024, 12, 24), date(2024, 12, 25), date(2024, 12, 26)):
        assert history.fixing("USD", day).fixed_on == date(2024, 12, 24)
    for day in (date(2024, 12, 27), date(2024, 12, 28), date(2024, 12, 29)):
        assert history.fixing("USD", day).fixed_on == date(2024, 12, 27)


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


def test_restamped_feed_reobserves_only_what_was_usable_that_day(history: EcbHistoryFeed) -> None:
    """A development network's opening rates: the day's fixings re-observed now, except a currency
    whose fixing was already too old that day, which keeps its own (old) time and so reads as stale."""
    now = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    feed = RestampedFeed(history, as_of=fixing_time(date(2026, 10, 30)), at=now, max_age_seconds=lambda code: 26 * 3600)
    assert feed.fixing("CNY", date(2026, 10, 30)).observed_at == now
    assert feed.fixing("CNY", date(2026, 10, 30)).rate == history.fixing("CNY", date(2026, 10, 30)).rate
    assert feed.fixing("RUB", date(2026, 10, 30)).fixed_on == date(2022, 3, 1)  # not passed off as fresh
    assert feed.fixing("BGN", date(2026, 10, 30)).fixed_on == date(2025, 12, 31)

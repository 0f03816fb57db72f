"""Fixed-point rates, observation packing, reporter signatures and quotes."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys import keys

from oracle.errors import QuoteInvalid
from oracle.feeds.base import Fixing
from oracle.quotes import QuoteService
from oracle.rates import bid_ask, pair_id, to_fixed
from oracle.signing import Reporter, decode_observation, encode_observation, report_message


def test_fixed_point_and_bounds() -> None:
    assert to_fixed(Decimal("1.0280")) == 102_800_000
    assert bid_ask(Decimal("7.8"), 2) == (779_844_000, 780_000_000, 780_156_000)
    with pytest.raises(ValueError):
        to_fixed(Decimal(0))
    with pytest.raises(ValueError):
        to_fixed(Decimal(10) ** 7)  # beyond 48 bits at 8 decimals
    assert pair_id("eur", "chf") == b"EURCHF"
    with pytest.raises(ValueError):
        pair_id("EU", "CHF")


def test_observation_round_trips() -> None:
    word = encode_observation(b"EURCHF", 102_800_000, 102_700_000, 102_900_000, 1_421_334_000, 3, 77)
    assert decode_observation(word) == {"pair": "EURCHF", "mid": 102_800_000, "bid": 102_700_000,
                                        "ask": 102_900_000, "observed_at": 1_421_334_000, "source_id": 3, "sequence": 77}  # fmt: skip
    with pytest.raises(ValueError):
        encode_observation(b"EURCHF", 100, 101, 102, 0, 1, 1)  # bid above mid


def test_reporter_compact_signature_recovers_to_reporter() -> None:
    reporter = Reporter(Account.create(), source_id=2)
    fixing = Fixing("EUR", "CHF", Decimal("1.028"), datetime(2015, 1, 15, 15, tzinfo=timezone.utc), "test")
    report = [reporter.observe(fixing, 5)]
    r, vs = reporter.sign(48801, "0x" + "11" * 20, report)
    v = 27 + (vs[0] >> 7)
    s = int.from_bytes(vs, "big") & ((1 << 255) - 1)
    signature = r + s.to_bytes(32, "big") + bytes([v])
    message = encode_typed_data(full_message=report_message(48801, "0x" + "11" * 20, report))
    assert Account.recover_message(message, signature=signature) == reporter.address
    assert keys.Signature(signature_bytes=r + s.to_bytes(32, "big") + bytes([v - 27])) is not None


def test_quote_is_signed_priced_and_expires() -> None:
    service = QuoteService(Account.create(), spread_bps=5, validity_seconds=120)
    buy = service.quote(base="CNY", quote="HKD", side="buy", amount=100_00, mid=10**18, oracle_round=7, now=1_000)
    sell = service.quote(base="CNY", quote="HKD", side="sell", amount=100_00, mid=10**18, oracle_round=7, now=1_000)
    assert buy.quote.rate == 10**18 + 5 * 10**14
    assert sell.quote.rate == 10**18 - 5 * 10**14
    assert buy.quote.valid_until == 1_120
    assert len(buy.quote.hash) == 32 and buy.quote.hash != sell.quote.hash
    buy.verify(quoter=service.account.address, now=1_100)
    with pytest.raises(QuoteInvalid, match="valid 1000..1120"):
        buy.verify(quoter=service.account.address, now=1_121)
    with pytest.raises(QuoteInvalid, match="not signed"):
        buy.verify(quoter=Account.create().address, now=1_100)


@pytest.mark.parametrize(("field", "kwargs"), [("side", {"side": "hold"}), ("amount", {"amount": 0}), ("mid", {"mid": 0})])
def test_quote_refuses_bad_input_naming_the_field(field: str, kwargs: dict) -> None:
    service = QuoteService(Account.create(), spread_bps=5, validity_seconds=120)
    arguments = {"base": "CNY", "quote": "HKD", "side": "buy", "amount": 1, "mid": 10**18, "oracle_round": 1, "now": 0}
    with pytest.raises(QuoteInvalid) as caught:
        service.quote(**{**arguments, **kwargs})
    assert caught.value.field == field

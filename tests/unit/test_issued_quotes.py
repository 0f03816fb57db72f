"""Quotes the bridge issued, on a real (migrated SQLite) store: a quote's hash covers its terms, not who
asked, so two banks asking for the same terms in the same second are issued one quote; each may cite
it, and nobody else may."""

from __future__ import annotations

from dataclasses import replace

from bridge.store.swaps import IssuedQuote, SwapRepository

QUOTE = IssuedQuote(hash="0x" + "ab" * 32, participant="yangtze", base="CNY", quote="THB", side="sell", amount=100_000,
                    rate=5 * 10**18, valid_until=1_800_000_000, terms_hash="0x" + "cd" * 32, signature="0x" + "ef" * 65,
                    mid=5 * 10**18, spread_bps=5, oracle_round=7)  # fmt: skip


def test_the_same_quote_issued_to_two_banks_is_each_ones_to_cite(repo: SwapRepository) -> None:
    repo.save_quote(QUOTE)
    repo.save_quote(replace(QUOTE, participant="pearlriver"))  # same terms, same second: one hash
    first, second = repo.quote(QUOTE.hash, "yangtze"), repo.quote(QUOTE.hash.upper().replace("0X", "0x"), "pearlriver")
    assert first is not None and first.participant == "yangtze" and first.rate == QUOTE.rate
    assert second is not None and second.participant == "pearlriver" and second.signature == QUOTE.signature
    assert repo.quote(QUOTE.hash, "harbour") is None  # never issued to it
    assert repo.quote("0x" + "00" * 32, "yangtze") is None
    repo.save_quote(QUOTE)  # asked again: still one record, still its
    assert repo.quote(QUOTE.hash, "yangtze") is not None

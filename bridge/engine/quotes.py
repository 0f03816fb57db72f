"""The quote desk: signed FX quotes around the oracle mid, recorded so that a swap may cite only a
quote the bridge issued, and so that its HTLC locks can carry the quote's proof to the escrow."""

from __future__ import annotations

import logging

from oracle.quotes import QuoteService, Side, SignedQuote
from bridge.engine.chain import ChainView
from bridge.errors import InvalidInstruction
from bridge.store.swaps import IssuedQuote, SwapRepository

logger = logging.getLogger(__name__)


class QuoteDesk:
    """Prices a pair at the oracle mid ± the service's spread, signs it and records it."""

    def __init__(self, chain: ChainView, repo: SwapRepository, service: QuoteService) -> None:
        self.chain = chain
        self.repo = repo
        self.service = service

    def issue(self, participant: str, *, base: str, quote: str, side: Side, amount: int) -> SignedQuote:
        """Raises :class:`InvalidInstruction` for a bad pair and lets the oracle's ``ChainRejected``
        through when the pair has no usable rate (the API words it by pair and date)."""
        settings = self.chain.network.settings
        base, quote = base.upper(), quote.upper()
        for field, code in (("base", base), ("quote", quote)):
            if code not in settings.currencies:
                raise InvalidInstruction(f"unknown currency {code}", field=field)
        if base == quote:
            raise InvalidInstruction("base and quote must differ", field="quote")
        ledger = settings.currency_ledger(base)
        mid, round_ref = self.chain.settlement_rate(ledger, base, quote)  # ChainRejected: no usable rate
        signed = self.service.quote(base=base, quote=quote, side=side, amount=amount, mid=mid, oracle_round=round_ref,
                                    now=self.chain.next_block_time(ledger))  # fmt: skip
        priced = signed.quote
        self.repo.save_quote(IssuedQuote(
            hash="0x" + priced.hash.hex(), participant=participant, base=base, quote=quote, side=priced.side,
            amount=priced.amount, rate=priced.rate, valid_until=priced.valid_until,
            terms_hash="0x" + priced.terms_hash.hex(), signature="0x" + signed.signature.hex(), mid=priced.mid,
            spread_bps=priced.spread_bps, oracle_round=priced.oracle_round))  # fmt: skip
        logger.info("quote issued participant=%s pair=%s/%s side=%s valid_until=%s", participant, base, quote, side,
                    priced.valid_until)  # fmt: skip
        return signed

"""Signed FX quotes: a price for a pair, amount and side, derived from an oracle round, with a spread
and a validity window, signed by the quoting service. A swap binds to the quote's EIP-712 digest
(its hash). The HTLC escrow verifies the binding on chain: given the quote's terms hash and the
service's signature (:meth:`SignedQuote.proof`), it recomputes the digest with the validity, checks
the signer holds QUOTE_SIGNER_ROLE, and refuses a quote that has expired or outlives the lock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Literal

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from oracle.errors import QuoteInvalid

QUOTE_DOMAIN = {"name": "Corridor Quotes", "version": "1"}
QUOTE_TERMS_FIELDS = [
    {"name": "base", "type": "string"},
    {"name": "quote", "type": "string"},
    {"name": "side", "type": "string"},
    {"name": "amount", "type": "uint256"},
    {"name": "rate", "type": "uint256"},
    {"name": "mid", "type": "uint256"},
    {"name": "spreadBps", "type": "uint16"},
    {"name": "oracleRound", "type": "uint256"},
    {"name": "validFrom", "type": "uint64"},
    {"name": "quoter", "type": "address"},
]
_QUOTE_TERMS_TYPE = "QuoteTerms(" + ",".join(f"{f['type']} {f['name']}" for f in QUOTE_TERMS_FIELDS) + ")"
_QUOTE_TYPE = "Quote(QuoteTerms terms,uint64 validUntil)" + _QUOTE_TERMS_TYPE
_DOMAIN_SEPARATOR = keccak(abi_encode(["bytes32", "bytes32", "bytes32"], [
    keccak(b"EIP712Domain(string name,string version)"), keccak(b"Corridor Quotes"), keccak(b"1")]))  # fmt: skip


def quote_terms_hash(terms: dict[str, Any]) -> bytes:
    """hashStruct(QuoteTerms): strings hashed, the rest ABI-encoded, as EIP-712 defines it."""
    values = [keccak(str(terms[f["name"]]).encode()) if f["type"] == "string" else terms[f["name"]] for f in QUOTE_TERMS_FIELDS]
    types = ["bytes32" if f["type"] == "string" else f["type"] for f in QUOTE_TERMS_FIELDS]
    return keccak(abi_encode(["bytes32", *types], [keccak(_QUOTE_TERMS_TYPE.encode()), *values]))


def quote_digest(terms_hash: bytes, valid_until: int) -> bytes:
    """The quote's EIP-712 digest from its terms' struct hash and its validity, as the HTLC escrow
    recomputes it (``HashedTimelockEscrow.quoteDigest``)."""
    struct = keccak(abi_encode(["bytes32", "bytes32", "uint64"], [keccak(_QUOTE_TYPE.encode()), terms_hash, valid_until]))
    return keccak(b"\x19\x01" + _DOMAIN_SEPARATOR + struct)

Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class Quote:
    """``rate`` is quote-currency units per base unit, 18-decimal fixed point; ``side`` is the
    client's side on the base currency; ``oracle_round`` the round the mid came from."""

    base: str
    quote: str
    side: str
    amount: int  # in the base currency's minor units
    rate: int
    mid: int
    spread_bps: int
    oracle_round: int
    valid_from: int
    valid_until: int
    quoter: str

    def terms(self) -> dict[str, Any]:
        """The quote's ``QuoteTerms``: everything but its validity's end."""
        return {
            "base": self.base, "quote": self.quote, "side": self.side, "amount": self.amount, "rate": self.rate,
            "mid": self.mid, "spreadBps": self.spread_bps, "oracleRound": self.oracle_round, "validFrom": self.valid_from,
            "quoter": self.quoter,
        }  # fmt: skip

    def message(self) -> dict[str, Any]:
        """EIP-712 ``Quote(QuoteTerms terms,uint64 validUntil)``: the terms nested, so an escrow that
        is given only the terms' struct hash can recompute the digest and check the validity itself."""
        return {
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}],
                "Quote": [{"name": "terms", "type": "QuoteTerms"}, {"name": "validUntil", "type": "uint64"}],
                "QuoteTerms": QUOTE_TERMS_FIELDS,
            },
            "primaryType": "Quote",
            "domain": QUOTE_DOMAIN,
            "message": {"terms": self.terms(), "validUntil": self.valid_until},
        }

    @property
    def hash(self) -> bytes:
        """The EIP-712 digest: what a swap and its HTLC locks commit to."""
        signable = encode_typed_data(full_message=self.message())
        return keccak(b"\x19" + signable.version + signable.header + signable.body)

    @property
    def terms_hash(self) -> bytes:
        """The EIP-712 struct hash of the quote's terms: with ``valid_until`` it gives :attr:`hash`."""
        return quote_terms_hash(self.terms())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SignedQuote:
    quote: Quote
    signature: bytes

    def proof(self) -> tuple[bytes, int, bytes]:
        """What ``HashedTimelockEscrow.QuoteProof`` is built from: (terms hash, valid until, signature);
        :class:`corridor.typed_data.QuoteProof` makes the signature compact."""
        return self.quote.terms_hash, self.quote.valid_until, self.signature

    def verify(self, *, quoter: str, now: int) -> None:
        """Raises :class:`QuoteInvalid` unless ``quoter`` signed it and it is valid at ``now``."""
        signer = Account.recover_message(encode_typed_data(full_message=self.quote.message()), signature=self.signature)
        if signer.lower() != quoter.lower() or self.quote.quoter.lower() != quoter.lower():
            raise QuoteInvalid(reason=f"not signed by the quoting service {quoter}", field="signature")
        if not self.quote.valid_from <= now <= self.quote.valid_until:
            raise QuoteInvalid(reason=f"valid {self.quote.valid_from}..{self.quote.valid_until}, now {now}",
                               field="valid_until")  # fmt: skip


class QuoteService:
    """Prices quotes around the oracle mid and signs them with the service's key."""

    def __init__(self, account: LocalAccount, *, spread_bps: int, validity_seconds: int) -> None:
        self.account = account
        self.spread_bps = spread_bps
        self.validity_seconds = validity_seconds

    def quote(self, *, base: str, quote: str, side: Side, amount: int, mid: int, oracle_round: int, now: int) -> SignedQuote:
        """A client buying base pays mid + spread; selling receives mid - spread (rates 18 decimals)."""
        if side not in ("buy", "sell"):
            raise QuoteInvalid(reason="side must be 'buy' or 'sell'", field="side")
        if amount <= 0:
            raise QuoteInvalid(reason="amount must be positive", field="amount")
        if mid <= 0:
            raise QuoteInvalid(reason="no usable oracle mid", field="mid")
        spread = Decimal(mid) * Decimal(self.spread_bps) / Decimal(10_000)
        rate = Decimal(mid) + spread if side == "buy" else Decimal(mid) - spread
        rounding = ROUND_CEILING if side == "buy" else ROUND_FLOOR
        priced = Quote(base.upper(), quote.upper(), side, amount, int(rate.to_integral_value(rounding=rounding)), mid,
                       self.spread_bps, oracle_round, now, now + self.validity_seconds, self.account.address)  # fmt: skip
        signed = self.account.sign_message(encode_typed_data(full_message=priced.message()))
        return SignedQuote(priced, bytes(signed.signature))

"""Request and response models, named by role. Unknown fields are refused (422 names the field)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from eth_utils import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

UINT256_MAX = 2**256 - 1
MAX_POSITION = 2**62  # list offsets and journal positions (the database's integers are 64-bit)


# ─── request examples: the test vectors of docs/integration.md ──────────────────────────

EXAMPLE_QUOTE: dict[str, Any] = {"base": "CNY", "quote": "THB", "side": "sell", "amount": 8000000}  # fmt: skip
EXAMPLE_PVP: dict[str, Any] = {"model": "pvp", "ledger": "A", "terms": {"partyA": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "tokenA": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "amountA": 25000000, "partyB": "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A", "tokenB": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "amountB": 27115384, "rate": 1084615384615384615, "maxDeviationBps": 50, "deadline": 1796141400, "nonce": 7}, "signature": "0x7e9503afa1c2d0a71e3bc81d70818bd0c1c19eb8f81d7a41b58fc1721610009430778bad131e3c84be3bc309e9a483604a439e11a7eb8fa37ba44d7f2db44ad61c"}  # fmt: skip
EXAMPLE_HTLC: dict[str, Any] = {"model": "htlc", "order": {"initiator": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "counterparty": "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A", "sellCurrency": "CNY", "sellAmount": 8000000, "buyCurrency": "THB", "buyAmount": 38461538, "rate": 4807692307692307692, "maxDeviationBps": 50, "hashlock": "0xe0e77a507412b120f6ede61f62295b1a7b2ff19d3dcc8f7253e51663470c888e", "initiatorExpiry": 1796144400, "counterpartyExpiry": 1796142600, "deadline": 1796141400, "nonce": 42, "quoteHash": "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "quoteValidUntil": 1796140920}, "signature": "0x5c7cf1ad112da68070ad3bdd234ee1d000712f32aaee53f80e10fc7cacdacec8242beb22c2ca09f89fd48fcc834e01e28356eadd5b34939aa4d79840cbc6a9361b", "lock_signature": "0x7357a028425d0c70f8e3535285671b0631556629f55e97921dc5bcabfc5356bf7efd5d16d8918382c08285547cbbd49faa14d4089de45b5e9e4ffb9d760ed7c61c", "lock_nonce": 9}  # fmt: skip
EXAMPLE_ACCEPT_PVP: dict[str, Any] = {"signature": "0x7e9503afa1c2d0a71e3bc81d70818bd0c1c19eb8f81d7a41b58fc1721610009430778bad131e3c84be3bc309e9a483604a439e11a7eb8fa37ba44d7f2db44ad61c"}  # fmt: skip
EXAMPLE_ACCEPT_HTLC: dict[str, Any] = {"signature": "0x5c7cf1ad112da68070ad3bdd234ee1d000712f32aaee53f80e10fc7cacdacec8242beb22c2ca09f89fd48fcc834e01e28356eadd5b34939aa4d79840cbc6a9361b", "lock_signature": "0x7357a028425d0c70f8e3535285671b0631556629f55e97921dc5bcabfc5356bf7efd5d16d8918382c08285547cbbd49faa14d4089de45b5e9e4ffb9d760ed7c61c", "lock_nonce": 10}  # fmt: skip
EXAMPLE_SECRET: dict[str, Any] = {"secret": "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}  # fmt: skip
EXAMPLE_HTLC_ID = "0xa7ce025931a4320c70321dda912944cc65e57733a18d7c920c41e5568fe19800"


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError("not an EVM address")
    return str(to_checksum_address(value))


def _hex(length: int | None) -> Any:
    def validate(value: str) -> str:
        raw = value[2:] if value.startswith("0x") else value
        try:
            data = bytes.fromhex(raw)
        except ValueError as exc:
            raise ValueError("not hex") from exc
        if length is not None and len(data) != length:
            raise ValueError(f"must be {length} bytes")
        return "0x" + data.hex()

    return AfterValidator(validate)


Address = Annotated[str, AfterValidator(_address)]
Hex32 = Annotated[str, _hex(32)]
Signature = Annotated[str, _hex(65)]
# Integers are JSON integers, strictly: "100" and 100.0 are refused where the schema says integer.
Amount = Annotated[int, Strict(), Field(gt=0, le=UINT256_MAX)]
Uint = Annotated[int, Strict(), Field(ge=0, le=UINT256_MAX)]
Timestamp = Annotated[int, Strict(), Field(gt=0, lt=2**64, description="unix seconds")]
Bps = Annotated[int, Strict(), Field(ge=0, le=10_000)]
Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PvPTerms(_Strict):
    """The PvPEscrow ``Swap`` exactly as both banks sign it."""

    partyA: Address
    tokenA: Address
    amountA: Amount
    partyB: Address
    tokenB: Address
    amountB: Amount
    rate: Amount
    maxDeviationBps: Bps
    deadline: Timestamp
    nonce: Uint


class SwapOrderTerms(_Strict):
    """A linked-ledger order exactly as both banks sign it."""

    initiator: Address
    counterparty: Address
    sellCurrency: Currency
    sellAmount: Amount
    buyCurrency: Currency
    buyAmount: Amount
    rate: Amount
    maxDeviationBps: Bps
    hashlock: Hex32
    initiatorExpiry: Timestamp
    counterpartyExpiry: Timestamp
    deadline: Timestamp
    nonce: Uint
    quoteHash: Hex32
    quoteValidUntil: Timestamp


class PvPSwapCreate(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_PVP]})
    model: Literal["pvp"]
    ledger: Annotated[str, Field(min_length=1, max_length=32)]
    terms: PvPTerms
    signature: Signature


class HtlcSwapCreate(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_HTLC]})
    model: Literal["htlc"]
    order: SwapOrderTerms
    signature: Signature
    lock_signature: Signature
    lock_nonce: Uint


SwapCreate = Annotated[PvPSwapCreate | HtlcSwapCreate, Field(discriminator="model")]


class SwapAccept(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_ACCEPT_PVP, EXAMPLE_ACCEPT_HTLC]})
    signature: Signature
    lock_signature: Signature | None = None
    lock_nonce: Uint | None = None


class SecretReveal(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_SECRET]})
    secret: Hex32


MAX_INSTRUCTIONS = 500  # per bulk request


class SwapBatchCreate(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{"swaps": [EXAMPLE_PVP, EXAMPLE_HTLC]}]})
    """An instruction file: many orders of one bank, checked together and recorded all or none."""

    swaps: Annotated[list[SwapCreate], Field(min_length=1, max_length=MAX_INSTRUCTIONS)]


class SwapAcceptItem(SwapAccept):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{"id": EXAMPLE_HTLC_ID, **EXAMPLE_ACCEPT_HTLC}]})
    id: Hex32


class SwapBatchAccept(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{"acceptances": [{"id": EXAMPLE_HTLC_ID, **EXAMPLE_ACCEPT_HTLC}]}]})
    """Many acceptances of one counterparty, all or none."""

    acceptances: Annotated[list[SwapAcceptItem], Field(min_length=1, max_length=MAX_INSTRUCTIONS)]


class SecretRevealItem(SecretReveal):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{"id": EXAMPLE_HTLC_ID, **EXAMPLE_SECRET}]})
    id: Hex32


class SwapBatchSecrets(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{"secrets": [{"id": EXAMPLE_HTLC_ID, **EXAMPLE_SECRET}]}]})
    """Many preimages of one initiator, each once both legs of its swap are locked; all or none."""

    secrets: Annotated[list[SecretRevealItem], Field(min_length=1, max_length=MAX_INSTRUCTIONS)]


class QuoteCreate(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_QUOTE]})
    base: Currency
    quote: Currency
    side: Literal["buy", "sell"]
    amount: Amount


class LegPublic(BaseModel):
    currency: str
    ledger: str
    amount: int
    payer: str
    receiver: str
    expiry: int | None
    lock_tx: str | None
    settle_tx: str | None
    refund_tx: str | None


class TransitionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_state: str | None = Field(alias="from")
    to_state: str = Field(alias="to")
    at: str
    ledger: str | None
    tx_hash: str | None
    block: int | None
    detail: str | None


class FailurePublic(BaseModel):
    """Where and why a swap failed."""

    step: str | None = Field(description="the state the swap was in when it failed: locking_a, locking_b, settling…")
    reason: str = Field(description="a sentence")
    ledger: str | None = Field(description="the ledger where it failed")
    error: str | None = Field(description="the ledger's refusal: the contract's custom error (HtlcQuoteExpired, "
                                          "PvPRateOutsideTolerance) or PvP batch rejection (RateOutsideTolerance); None when the bridge gave up")
    error_args: dict[str, Any] | None = Field(description="the error's arguments by name (bytes as 0x-hex, integers beyond 2^53 as decimal strings)")
    tx_hash: str | None = Field(description="the transaction that failed, if one was mined")


BigInt = Annotated[int | str, Field(description="an integer; beyond 2^53 written as a decimal string")]

class SwapPublic(BaseModel):
    id: str
    model: str
    state: str
    initiator: str
    counterparty: str
    leg_a: LegPublic
    leg_b: LegPublic
    rate: BigInt = Field(description="the agreed rate, 18 decimals (decimal string beyond 2^53)")
    max_deviation_bps: int
    oracle_mid: BigInt | None = Field(description="the oracle mid the rate was checked against, 18 decimals (decimal string beyond 2^53)")
    oracle_round: BigInt | None = Field(description="the oracle round of that mid; a cross rate's round packs its two legs' rounds "
                                                   "(high 128 bits: the second leg's round, low 128 bits: the first's)")
    deadline: int
    hashlock: str | None
    quote_hash: str | None
    failure: FailurePublic | None = Field(None, description="why the swap failed (also set when a refused lock sent it to refunds)")
    terms: dict[str, Any] = Field(description="exactly what both parties sign (PvP Swap or linked-ledger SwapOrder); integers beyond "
                                              "2^53 written as decimal strings")
    transitions: list[TransitionPublic] = []


class SwapBrief(BaseModel):
    id: str
    state: str


class SwapBatchPublic(BaseModel):
    items: list[SwapBrief] = Field(description="one per instruction, in the request's order")
    seq: int = Field(description="the journal position before this request: follow GET /v1/events?after=seq for what comes next")


class SwapPage(BaseModel):
    items: list[SwapPublic]
    limit: int
    offset: int


class ErrorPublic(BaseModel):
    error: str
    detail: str
    field: str | None


# ─── market and network ─────────────────────────────────────────────────────────────────


class QuoteTermsPublic(BaseModel):
    base: str
    quote: str
    side: str = Field(description="the client's side on the base currency: buy or sell")
    amount: BigInt = Field(description="in the base currency's minor units")
    rate: BigInt = Field(description="quote-currency units per base unit, 18 decimals: mid ± spread")
    mid: BigInt = Field(description="the oracle mid, 18 decimals")
    spread_bps: int
    oracle_round: BigInt = Field(description="the oracle round of the mid; a cross rate's packs its two legs' rounds (high 128 bits: "
                                             "the second leg's, low 128 bits: the first's)")
    valid_from: int = Field(description="unix seconds: the ledger's next block time when issued")
    valid_until: int = Field(description="unix seconds; a SwapOrder's quoteValidUntil")
    quoter: str = Field(description="the quote service's address (holds QUOTE_SIGNER_ROLE)")


class QuotePublic(BaseModel):
    quote: QuoteTermsPublic
    hash: str = Field(description="the quote's EIP-712 digest: a SwapOrder's quoteHash")
    terms_hash: str = Field(description="the EIP-712 struct hash of its QuoteTerms")
    signature: str = Field(description="the quote service's signature of `hash`")
    issued_at: int


class RatePublic(BaseModel):
    base: str
    quote: str
    ledger: str
    mid: str = Field(description="decimal text, for reading")
    bid: str
    ask: str
    mid_fixed_8: int = Field(description="the mid with 8 decimals (multiply by 10^10 for an 18-decimal swap rate)")
    dispersion_bps: int
    observed_at: int
    published_at: int
    round: str = Field(description="the oracle round, as a decimal string; a cross rate's packs its two legs' rounds (high 128 bits: "
                                   "the second leg's, low 128 bits: the first's)")
    age_seconds: int
    market: Literal["open", "weekend", "holiday"]
    derived: bool


class LedgerPublic(BaseModel):
    chain_id: int
    rpc_url: str
    registry: str
    oracle: str
    pvp: str
    htlc: str


class CurrencyInfo(BaseModel):
    ledger: str
    decimals: int
    name: str
    token: str = Field(description="the token's address on its ledger (addresses repeat across ledgers: key tokens by ledger and address)")


class NetworkPublic(BaseModel):
    ledgers: dict[str, LedgerPublic]
    currencies: dict[str, CurrencyInfo]
    timing: dict[str, int]


class CurrencyPublic(CurrencyInfo):
    code: str


class ParticipantPublic(BaseModel):
    name: str = Field(description="what X-Corridor-Participant carries")
    legal_name: str
    bic: str
    jurisdiction: str
    kind: str
    address: str
    active: dict[str, bool] = Field(description="on-chain status per ledger")


class TypedDataSet(BaseModel):
    """An EIP-712 type set: ``types`` and ``primaryType`` as eth_signTypedData_v4 takes them, and the domain(s)."""

    what: str
    primaryType: str
    types: dict[str, list[dict[str, str]]]
    domains: dict[str, dict[str, Any]] | None = Field(None, description="by ledger name")
    domain: dict[str, Any] | None = None
    domain_rule: str | None = None
    fields_from_order: dict[str, dict[str, str]] | None = None


class Eip712Public(BaseModel):
    pvp_swap: TypedDataSet
    swap_order: TypedDataSet
    lock_authorisation: TypedDataSet
    quote: TypedDataSet


class SigningPublic(BaseModel):
    """GET /v1/signing: everything a bank signs, as data."""

    request_signing: dict[str, Any]
    eip712: Eip712Public
    units: dict[str, Any]
    rules: dict[str, Any]
    htlc: dict[str, str]
    contracts: dict[str, dict[str, Any]]
    tokens: dict[str, dict[str, Any]]
    abis: dict[str, list[dict[str, Any]]] = Field(description="htlc, pvp, token: the compiled contracts' ABIs")

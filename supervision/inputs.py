"""What the supervision model is computed from: journal rows, decoded on-chain events and readings, and
the evidence an application adds (scenarios it ran, drills it measured). Plain frozen records with no
behaviour; :mod:`supervision.chain` reads the chain's, the bridge's store reads the journal's.

Addresses are checksummed; amounts are integers in minor units; ``ledger_time`` is a block timestamp
(seconds); ``at`` is a wall-clock time of the bridge (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# ─── the network ─────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class LedgerFacts:
    name: str
    chain_id: int
    confirmations: int  # the finality point: a block is final once this many blocks (itself included) exist
    head_block: int  # the block the report reads the ledger at
    head_time: int  # its timestamp
    pvp: str
    htlc: str
    oracle: str


@dataclass(frozen=True)
class CurrencyFacts:
    code: str
    name: str
    decimals: int
    ledger: str
    token: str


@dataclass(frozen=True)
class ParticipantFacts:
    name: str  # the configuration's key: "yangtze"
    display_name: str  # "Yangtze Commercial Bank"
    address: str
    kind: str  # "bank" or "central_bank"


@dataclass(frozen=True)
class NetworkFacts:
    label: str  # "main network", "replay network (2015)"
    ledgers: dict[str, LedgerFacts]
    currencies: dict[str, CurrencyFacts]
    participants: dict[str, ParticipantFacts]

    def name_of(self, address: str) -> str | None:
        lowered = address.lower()
        for participant in self.participants.values():
            if participant.address.lower() == lowered:
                return participant.name
        return None

    def escrow_of(self, address: str) -> str | None:
        """"PvP escrow on A" / "HTLC escrow on B" for a settlement contract's address, else None."""
        lowered = address.lower()
        for ledger in self.ledgers.values():
            if ledger.pvp.lower() == lowered:
                return f"PvP escrow on {ledger.name}"
            if ledger.htlc.lower() == lowered:
                return f"HTLC escrow on {ledger.name}"
        return None


# ─── the journal ─────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class TransitionRecord:
    seq: int
    from_state: str | None
    to_state: str
    at: datetime
    ledger: str | None
    tx_hash: str | None
    block: int | None
    detail: str | None


@dataclass(frozen=True)
class LegRecord:
    currency: str
    ledger: str
    amount: int
    payer: str  # participant name
    receiver: str
    expiry: int | None = None
    lock_tx: str | None = None
    lock_block: int | None = None
    settle_tx: str | None = None
    refund_tx: str | None = None


@dataclass(frozen=True)
class SwapRecord:
    id: str
    model: str  # "pvp" | "htlc"
    state: str
    initiator: str
    counterparty: str
    leg_a: LegRecord  # paid by the initiator
    leg_b: LegRecord  # paid by the counterparty
    rate: int  # 18 decimals, leg B units per leg A unit
    max_deviation_bps: int
    deadline: int
    oracle_mid: int | None
    oracle_round: int | None
    quote_hash: str | None
    hashlock: str | None
    failure: str | None  # why it failed, when it did (the bridge's own words)
    received_at: dict[str, int]  # ledger → its clock when the bridge recorded the order (empty: not recorded)
    created_at: datetime
    transitions: tuple[TransitionRecord, ...] = ()


@dataclass(frozen=True)
class RefusalRecord:
    """An instruction refused, at the bridge's intake or by a ledger: who, what, which rule, which swap."""

    id: str
    at: datetime
    participant: str | None
    action: str  # submit | accept | reveal | cancel | settle | transfer
    status: int | None  # the HTTP status the bank got (None: refused on chain, outside the bridge)
    error: str  # the error code or the contract's custom error
    rule: str  # which rule refused it, in a few words: "account frozen", "currency paused", "rate outside tolerance"…
    detail: str
    field: str | None = None
    swap_id: str | None = None
    ledger: str | None = None
    tx_hash: str | None = None
    source: str = "bridge intake"  # or "ledger"


@dataclass(frozen=True)
class AlertRecord:
    id: int
    kind: str
    severity: str
    ledger: str | None
    swap_id: str | None
    tx_hash: str | None
    detail: str
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int
    resolved_at: datetime | None
    resolution: str | None
    evidence: dict[str, object] | None = None  # what the check saw, as data
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledgement: str | None = None  # the regulator's note


@dataclass(frozen=True)
class ActionRecord:
    """One use of the regulator's powers through the bridge: the audit trail's row."""

    id: int
    requested_at: datetime
    actor: str  # "regulator"
    actor_address: str  # whose key signed the transaction
    via: str  # "console session 1a2b3c4d", "api"
    action: str  # freeze | unfreeze | pause | unpause | resume
    ledger: str
    currency: str | None
    participant: str | None
    pair: str | None
    reason: str | None
    status: str  # requested | sent | done | refused | failed
    tx_hash: str | None
    block: int | None
    error: str | None
    finished_at: datetime | None


@dataclass(frozen=True)
class QuoteRecord:
    hash: str
    participant: str
    base: str
    quote: str
    side: str
    amount: int
    rate: int
    mid: int | None
    spread_bps: int | None
    oracle_round: int | None
    valid_until: int
    created_at: datetime


# ─── the chains ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class TokenTransfer:
    """One ERC-20 ``Transfer`` of a settlement token (``0x0…0`` on one side: issuance or burn)."""

    ledger: str
    currency: str
    block: int
    log_index: int
    tx_hash: str
    sender: str
    receiver: str
    amount: int


@dataclass(frozen=True)
class PvpSettlement:
    """``Settled`` (one swap, one transaction) or ``SettledInBatch`` (one swap of a netted batch)."""

    ledger: str
    swap_id: str
    block: int
    log_index: int
    tx_hash: str
    batch_id: int | None = None
    oracle_mid: int | None = None  # Settled carries the mid and round it was checked against
    round_ref: int | None = None


@dataclass(frozen=True)
class BatchNetting:
    """``BatchNetted``: per token, the gross value a batch settled and the funding it actually moved."""

    ledger: str
    batch_id: int
    currency: str
    gross_value: int
    net_moved: int
    block: int
    tx_hash: str


@dataclass(frozen=True)
class HtlcEvent:
    """``Locked`` (with its terms), ``Claimed`` or ``Refunded`` of one lock."""

    ledger: str
    kind: str  # locked | claimed | refunded
    lock_id: str
    block: int
    log_index: int
    tx_hash: str
    swap_id: str | None = None  # Locked only
    currency: str | None = None
    sender: str | None = None
    receiver: str | None = None
    amount: int | None = None
    expiry: int | None = None


@dataclass(frozen=True)
class OracleEvent:
    """A circuit breaker that tripped, or a pair the regulator resumed, decoded from the oracle's events."""

    network: str
    ledger: str
    chain_id: int
    kind: str  # tripped | resumed
    pair: str  # "EUR/CHF"
    block: int
    tx_hash: str
    ledger_time: int
    round: int | None = None
    previous_mid: int | None = None  # 8 decimals, as the oracle stores it
    mid: int | None = None
    jump_bps: int | None = None
    by: str | None = None


@dataclass(frozen=True)
class OraclePair:
    """One pair on one ledger's oracle at the report's block."""

    ledger: str
    pair: str
    state: str  # fresh | stale | halted | no_data | not_listed
    round: int
    mid: str | None  # decimal text, as published
    observed_at: int | None  # the round's observation time (on chain)
    published_at: int | None  # when the round was published (on chain)
    age_seconds: int | None  # ledger time since the observation
    max_age_seconds: int
    detail: str | None = None
    halted_since: str | None = None
    dispersion_bps: int | None = None  # the spread of the reporters' mids in the latest round


@dataclass(frozen=True)
class OracleRound:
    """One published round of a directly published pair (its history)."""

    ledger: str
    pair: str
    round: int
    mid: int  # 8 decimals, as the oracle stores it
    dispersion_bps: int
    observed_at: int
    published_at: int


@dataclass(frozen=True)
class OracleProvenance:
    """Where a published fixing came from, as the publisher knows it (the chain keeps only its
    observation time): the source's own fixing date, and whether it was re-stamped as fresh."""

    pair: str
    source: str  # "ECB"
    fixing_date: str  # the source's date for the fixing: "2026-10-30"
    restamped: bool  # observed "now" on a development network so that it counts as fresh
    note: str = ""


@dataclass(frozen=True)
class Period:
    """What the report covers on each ledger: blocks after ``opening_block`` up to ``closing_block``."""

    opening_block: dict[str, int]
    closing_block: dict[str, int]


@dataclass(frozen=True)
class ChainFacts:
    """Everything read from the ledgers for one report (decoded; no web3 types)."""

    period: Period
    transfers: tuple[TokenTransfer, ...]
    pvp_settlements: tuple[PvpSettlement, ...]
    batch_netting: tuple[BatchNetting, ...]
    htlc_events: tuple[HtlcEvent, ...]
    block_times: dict[tuple[str, int], int]  # (ledger, block) → timestamp, for every block the report cites
    opening_balances: dict[tuple[str, str], int]  # (holder address, currency) → at the opening block
    closing_balances: dict[tuple[str, str], int]  # (holder address, currency) → at the closing block
    opening_supply: dict[str, int]
    closing_supply: dict[str, int]
    oracle_pairs: tuple[OraclePair, ...] = ()
    oracle_events: tuple[OracleEvent, ...] = ()
    oracle_history: tuple[OracleRound, ...] = ()  # each pair's latest rounds, oldest first


# ─── what an application adds ────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class BalanceCheck:
    """A scenario's automatic check of balances: what it expected and what the chain showed."""

    holder: str  # a participant's name, or an address
    currency: str
    decimals: int
    expected_change: int
    observed_change: int

    @property
    def passed(self) -> bool:
        return self.expected_change == self.observed_change


@dataclass(frozen=True)
class ScenarioOutcome:
    number: int
    title: str
    passed: bool
    summary: str
    checks: tuple[BalanceCheck, ...] = ()
    swaps: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()  # refusal ids
    network: str = "main network"


@dataclass(frozen=True)
class RecoveryDrill:
    """A measured failure and recovery of the bridge (PFMI P17)."""

    what: str  # "bridge process killed with SIGKILL right after locking leg A"
    swap_id: str | None
    detection_seconds: float | None  # from the failure until monitoring saw it
    detection_method: str
    recovery_seconds: float | None  # from the failure until the restarted bridge took the swap's next step
    completion_seconds: float | None  # … until the swap was final
    acknowledged: int  # instructions the bridge had acknowledged (2xx) before the failure
    lost: int  # of those, missing from the journal after the restart (the recovery point)
    recovered_state: str | None = None


@dataclass(frozen=True)
class SimulatedSettlement:
    swap_id: str
    tx_hash: str
    gas_used: int


@dataclass(frozen=True)
class GrossSimulation:
    """The same swaps settled one by one on a copy of the ledger, for comparison with netting."""

    ledger: str
    copy: str  # how the copy was made: "anvil fork of ledger A at block 212, chain id 48801, discarded after the run"
    fork_block: int
    settlements: tuple[SimulatedSettlement, ...]
    netted_gas: int  # gas of the netted batches on the ledger itself
    same_final_balances: bool  # every bank's balances after the copy's gross run equal the ledger's after netting


@dataclass(frozen=True)
class Evidence:
    """What the application that produced the activity knows and the journal and chains do not."""

    scenarios: tuple[ScenarioOutcome, ...] = ()
    drills: tuple[RecoveryDrill, ...] = ()
    gross_simulations: tuple[GrossSimulation, ...] = ()
    oracle_provenance: tuple[OracleProvenance, ...] = ()
    refusals: tuple[RefusalRecord, ...] = ()  # refused on chain outside the bridge (a direct transfer, a replay network)
    oracle_events: tuple[OracleEvent, ...] = ()  # from other networks (the market-shock replay)
    labels: dict[str, str] = field(default_factory=dict)  # tx hash → what it was ("foundation transfer, scenario 0")


@dataclass(frozen=True)
class SwapAggregates:
    """Counted by the store over every swap it holds (never a page of them)."""

    by_state: dict[str, int]
    by_model: dict[str, int]
    settled_value: dict[str, int]  # currency → Σ minor units of the legs of settled swaps
    settled_today: dict[str, int] = field(default_factory=dict)  # the same, for swaps settled since 00:00 UTC (bridge clock)
    day: str | None = None  # that day, "2026-12-01"


@dataclass(frozen=True)
class JournalFacts:
    """What the bridge's store holds for one report."""

    aggregates: SwapAggregates
    swaps: tuple[SwapRecord, ...]
    refusals: tuple[RefusalRecord, ...]
    alerts: tuple[AlertRecord, ...]
    quotes: tuple[QuoteRecord, ...]
    database: str  # where it was read ("sqlite:///…/bridge.db"), credentials removed
    actions: tuple[ActionRecord, ...] = ()  # the regulator's powers used through the bridge (the audit trail)

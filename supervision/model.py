"""The supervision model: every figure a supervisor sees, typed, with where it comes from.

The report (HTML, JSON, CSV), ``GET /v1/regulator/*``, the demo's console and the live console render
these models and compute nothing themselves. Amounts are :class:`Money`, rates :class:`Rate`; ledger
times are block timestamps (seconds, and ISO text); wall-clock figures say so in their names.
Long listings are :class:`Page`\\ s that say what they hold.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from supervision.units import Money, Rate

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Page(_Model, Generic[T]):
    """One page of a long listing: ``holds`` says which part of the whole (``swaps 1–50 of 215, in the
    order the bridge received them``)."""

    items: list[T]
    offset: int
    limit: int
    total: int
    order: str
    holds: str


def page_of(items: list[T], *, offset: int, limit: int, noun: str, order: str) -> Page[T]:
    total = len(items)
    chosen = items[offset: offset + limit]
    if not chosen:
        holds = f"no {noun} (of {total})"
    else:
        holds = f"{noun} {offset + 1}–{offset + len(chosen)} of {total}, {order}"
    return Page[T](items=chosen, offset=offset, limit=limit, total=total, order=order, holds=holds)


class LedgerTime(_Model):
    ledger: str
    block: int
    timestamp: int  # the block's timestamp (ledger time)
    iso: str


# ─── verdicts ───────────────────────────────────────────────────────────────────────────


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not met"
    NOT_MEASURED = "not measured"


class Verdict(_Model):
    """One principle or target: met, not met or not measured, never a default."""

    id: str  # "P8", "P12", "P17", "G20-speed", …
    principle: str  # "PFMI Principle 8 — settlement finality"
    status: Status
    measured: str  # what was measured, in words with its figure
    target: str
    evidence: str  # the section of the report that holds the evidence ("#finality")
    why: str  # how the status follows from the measure


# ─── the network ────────────────────────────────────────────────────────────────────────


class LedgerView(_Model):
    name: str
    chain_id: int
    confirmations: int
    finality_point: str  # "block inclusion with 1 confirmation"
    opening: LedgerTime
    closing: LedgerTime


class CurrencyView(_Model):
    code: str
    name: str
    decimals: int
    ledger: str
    token: str


class ParticipantView(_Model):
    name: str
    display_name: str
    address: str
    kind: str


class NetworkView(_Model):
    label: str
    ledgers: list[LedgerView]
    currencies: list[CurrencyView]
    participants: list[ParticipantView]


# ─── swaps ──────────────────────────────────────────────────────────────────────────────


class LegFinality(_Model):
    """Where one leg became final: its settling (or refunding) transaction, block and finality point."""

    leg: str  # "A" | "B"
    ledger: str
    amount: Money
    payer: str
    receiver: str
    outcome: str  # paid | refunded | locked | not moved
    tx_hash: str | None
    block: int | None
    final_at_block: int | None  # block + confirmations − 1
    final_time: LedgerTime | None
    final_now: bool  # the ledger's head at the report has reached the finality point
    on_chain: str  # what the chain shows for this leg ("Settled in 0x…", "Claimed in 0x…", "no event")


class SwapIndicator(_Model):
    id: str
    model: str
    state: str
    initiator: str
    counterparty: str
    pays: Money  # leg A: what the initiator pays
    receives: Money  # leg B: what the initiator receives
    corridor: str  # "CNY/HKD"
    rate: Rate
    oracle_mid: Rate | None
    oracle_round: str
    margin_bps: float | None  # (rate − oracle mid) / mid: + means the initiator got more than the mid
    cost_bps: float | None  # |margin|: what one of the two parties gave up against the mid
    time_to_final_seconds: float | None  # ledger time, from the order to its finality point
    time_to_final_basis: str  # what the figure runs from and to
    wall_latency_seconds: float | None  # the bridge's wall clock, from the order to its last journal entry
    legs: list[LegFinality]
    batch: str | None  # the netted batch it settled in ("batch 2 in 0x…")
    failure: str | None
    refusals: list[str]  # ids of refusals linked to this swap


class TimelineStep(_Model):
    seq: int
    from_state: str | None
    to_state: str
    at_wall: str  # the bridge's clock
    ledger: str | None
    block: int | None
    ledger_time: str | None  # the block's timestamp, when the step cites a block
    tx_hash: str | None
    detail: str | None


class SwapTimeline(_Model):
    swap: str
    model: str
    state: str
    oracle_round: str
    steps: list[TimelineStep]


class Distribution(_Model):
    count: int
    min_seconds: float | None
    p50_seconds: float | None
    p90_seconds: float | None
    max_seconds: float | None
    mean_seconds: float | None


class FinalityView(_Model):
    """Time to final in ledger time, and the G20 speed measure."""

    definition: str
    by_model: dict[str, Distribution]
    overall: Distribution
    population: str
    payments: int
    within_one_hour: int
    share_within_one_hour: float | None


class CorridorCost(_Model):
    corridor: str
    swaps: int
    value: Money
    mean_margin_bps: float  # signed, value-weighted
    mean_cost_bps: float  # |margin|, value-weighted
    max_cost_bps: float


class QuoteSpread(_Model):
    pair: str
    quotes: int
    mean_spread_bps: float | None
    note: str


class CostView(_Model):
    definition: str
    corridors: list[CorridorCost]
    average_cost_bps: float | None
    fees: str
    quotes: list[QuoteSpread]


class SwapCounts(_Model):
    total: int
    by_state: dict[str, int]
    by_model: dict[str, int]
    settled_value: list[Money]
    settled_today: list[Money] = []  # swaps settled since 00:00 UTC of ``day`` (the bridge's clock)
    day: str | None = None


# ─── positions, flows, reconciliation ───────────────────────────────────────────────────


class Movement(_Model):
    """One movement of value on a ledger, with what caused it."""

    holder: str  # a participant's name, or an escrow
    currency: str
    change: Money  # + received, − paid
    kind: str  # issuance | transfer | swap leg | netted batch | htlc lock | htlc claim | htlc refund | unattributed
    swap_id: str | None
    what: str  # "leg A of swap 0x…", "foundation transfer (scenario 0)", …
    ledger: str
    block: int
    ledger_time: str
    tx_hash: str


class PositionRow(_Model):
    holder: str
    currency: str
    opening: Money
    received: Money
    paid: Money
    closing: Money


class ReconciliationCell(_Model):
    holder: str
    currency: str
    opening: Money  # on chain at the opening block
    flows: Money  # the movements the report lists for this cell
    expected_closing: Money  # opening + flows
    closing: Money  # on chain at the closing block
    difference: Money  # closing − expected; never hidden
    ok: bool


class SupplyCheck(_Model):
    currency: str
    total_supply: Money  # the token's totalSupply at the closing block
    banks: Money
    central_banks: Money
    escrows: Money
    others: Money
    difference: Money  # supply − everything held
    ok: bool


class AttributionCheck(_Model):
    """Per transaction: what the chain moved against what the journal says its swaps moved."""

    tx_hash: str
    ledger: str
    block: int
    what: str
    swaps: int
    ok: bool
    difference: str  # "" when equal; else what differs, in money


class ReconciliationView(_Model):
    statement: str
    cells: list[ReconciliationCell]
    supply: list[SupplyCheck]
    attribution: list[AttributionCheck]
    unattributed: list[Movement]  # chain movements no swap, transfer or issuance of the journal explains
    ok: bool


# ─── liquidity and concentration ────────────────────────────────────────────────────────


class BankLiquidity(_Model):
    bank: str
    currency: str
    turnover_paid: Money
    peak_net_debit_gross: Money  # settling every payment one by one, in order
    peak_net_debit_netted: Money  # as it settled (netted batches moved only net amounts)


class CurrencyLiquidity(_Model):
    currency: str
    turnover: Money  # every payment's gross value
    peak_need_gross: Money  # the sum over banks of each one's peak net debit
    peak_need_netted: Money
    saving_percent: float | None
    gross_peak_share_of_turnover: float | None
    banks: list[BankLiquidity]


class BatchView(_Model):
    ledger: str
    batch_id: int
    tx_hash: str
    block: int
    swaps: int
    gross: list[Money]
    moved: list[Money]


class GasComparison(_Model):
    ledger: str
    how: str  # a simulation on a copy, labelled as such
    fork_block: int
    swaps: int
    gross_gas: int
    netted_gas: int
    ratio: float | None
    same_final_balances: bool
    receipts: list[str]  # the copy's transaction hashes, in settlement order


class CurvePoint(_Model):
    """A bank's running position in one currency after one step of a sequence (settled one by one, or
    netted as it settled): its change since the period opened, and the net debit that is."""

    step: int  # the step's place in its sequence
    ledger: str
    block: int
    ledger_time: int  # the block's timestamp (0 when not read)
    position_minor: int  # Σ received − Σ paid since the period opened (minor units)
    net_debit_minor: int  # max(0, −position)


class PositionCurve(_Model):
    """One bank's intraday position in one currency: gross (one by one, in the order received) and
    netted (as it settled), each with the point where its net debit peaked."""

    bank: str
    currency: str
    decimals: int
    gross: list[CurvePoint]
    netted: list[CurvePoint]
    peak_gross: CurvePoint | None
    peak_netted: CurvePoint | None
    # When the curves were thinned for drawing (the console, on long periods): how many points each had.
    # The peaks above are always from every point; a thinned curve keeps, of each stretch of steps, the
    # lowest and the highest position, and the first and last point.
    gross_points: int | None = None
    netted_points: int | None = None


class LiquidityView(_Model):
    definition: str
    currencies: list[CurrencyLiquidity]
    batches: list[BatchView]
    gas: list[GasComparison]
    curves: list[PositionCurve] = []


class BankShare(_Model):
    bank: str
    paid: Money
    received: Money
    share_percent: float  # of the currency's turnover, paid and received counted once each side / 2


class ConcentrationView(_Model):
    currency: str
    turnover: Money
    banks: list[BankShare]
    hhi: int  # Herfindahl–Hirschman index of the shares (0–10,000)
    largest_pair: str | None


# ─── risk, exceptions, refusals ─────────────────────────────────────────────────────────


class OpenLock(_Model):
    swap_id: str
    leg: str
    ledger: str
    amount: Money
    locked_at: LedgerTime
    expires: str
    age_seconds: int  # ledger time since the lock, at the report's closing block


class ExposureByCurrency(_Model):
    currency: str
    open_now: Money
    locks_open: int
    value_hours: str  # Σ value × time locked, over every lock of the period: "1,234,567.89 CNY·h"
    value_hours_minor: int  # the same, exact: minor units × seconds


class PendingSwap(_Model):
    """A swap not yet final: how long it has waited, since the order and in its current state."""

    swap_id: str
    model: str
    state: str
    initiator: str
    counterparty: str
    pays: Money
    ordered: str  # wall clock
    age_seconds: float  # since the order
    in_state_seconds: float  # since it entered its current state


class AgeBucket(_Model):
    label: str  # "under 1 min", "1–5 min", …
    up_to_seconds: int | None  # None: the last bucket
    swaps: int
    value: list[Money]  # what the initiators pay, per currency


class RiskView(_Model):
    definition: str
    open_locks: list[OpenLock]
    exposure: list[ExposureByCurrency]
    pending: list[PendingSwap] = []  # oldest first
    pending_ageing: list[AgeBucket] = []


class ExceptionItem(_Model):
    kind: str  # alert kind, "stuck swap", "failed swap", "reconciliation difference"
    severity: str
    what: str
    swap_id: str | None
    ledger: str | None
    tx_hash: str | None
    raised: str | None  # wall clock: first seen
    age_seconds: float | None
    status: str  # open | resolved
    resolution: str | None
    alert_id: int | None = None
    last_seen: str | None = None
    occurrences: int | None = None
    evidence: dict[str, object] | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    acknowledgement: str | None = None


class RefusalView(_Model):
    id: str
    at: str
    participant: str | None
    action: str
    status: str  # "409" or "on chain"
    rule: str
    error: str
    detail: str
    swap_id: str | None
    swap_state: str | None
    source: str
    tx_hash: str | None


class RefusalsByRule(_Model):
    rule: str
    count: int
    refusals: list[str]


class ExceptionsView(_Model):
    items: list[ExceptionItem]
    open: int


# ─── the oracle ─────────────────────────────────────────────────────────────────────────


class OracleRow(_Model):
    ledger: str
    pair: str
    state: str  # fresh | stale | halted | no_data | not_listed
    detail: str | None  # why it has no usable rate (None when fresh)
    round: str
    mid: str | None
    fixing_date: str | None  # the source's date for the fixing
    source: str
    observed_at: str | None  # the round's observation time on chain
    published_at: str | None
    age: str  # "0 h 05 min" (ledger time since the observation)
    halted_since: str | None  # the fixing date of the round that tripped the breaker
    note: str
    dispersion_bps: int | None = None  # spread of the reporters' mids in the latest round


class BreakerEvent(_Model):
    network: str
    ledger: str
    chain_id: int
    kind: str  # tripped | resumed
    pair: str
    round: str | None
    previous_mid: str | None
    mid: str | None
    jump_bps: int | None
    block: int
    tx_hash: str
    ledger_time: str


class RoundPoint(_Model):
    round: int
    mid: str  # decimal text, 8 places as published
    dispersion_bps: int
    observed_at: str
    published_at: str


class PairHistory(_Model):
    """A directly published pair's latest rounds on one ledger, oldest first."""

    ledger: str
    pair: str
    rounds: list[RoundPoint]


class OracleView(_Model):
    pairs: list[OracleRow]
    events: list[BreakerEvent]
    history: list[PairHistory] = []


# ─── operations (P17) ───────────────────────────────────────────────────────────────────


class DrillView(_Model):
    what: str
    swap_id: str | None
    detection: str
    detection_seconds: float | None
    recovery_seconds: float | None
    completion_seconds: float | None
    acknowledged: int
    lost: int
    recovered_state: str | None


class OperationsView(_Model):
    objective_seconds: int
    drills: list[DrillView]
    alerts_open: int
    alerts_total: int


# ─── scenarios ──────────────────────────────────────────────────────────────────────────


class CheckView(_Model):
    holder: str
    currency: str
    expected_change: Money
    observed_change: Money
    passed: bool


class ScenarioView(_Model):
    number: int
    title: str
    passed: bool
    summary: str
    network: str
    checks: list[CheckView]
    swaps: list[str]
    refusals: list[str]


class BankPosition(_Model):
    bank: str
    participant: str
    currency: str
    balance: Money


class Overview(_Model):
    """The quick view: counts over every swap, balances now, the oracle's pairs."""

    counts: SwapCounts
    positions: list[BankPosition]
    oracle: list[OracleRow]
    oracle_unavailable: list[OracleRow]


# ─── the regulator's powers (audit trail) ───────────────────────────────────────────────


class ActionView(_Model):
    """One use of the regulator's powers through the bridge: who, when, what, and the transaction."""

    id: int
    requested_at: str  # wall clock
    actor: str
    actor_address: str
    via: str
    action: str
    target: str  # "Harbour Bank in HKD", "THB", "EUR/CHF on ledger A"
    ledger: str
    status: str
    tx_hash: str | None
    block: int | None
    error: str | None
    reason: str | None
    finished_at: str | None


class SwapDetail(_Model):
    """One swap: its indicators and its timeline across both ledgers (the console's swap page)."""

    indicator: SwapIndicator
    timeline: SwapTimeline


# ─── the whole ──────────────────────────────────────────────────────────────────────────


class SupervisionModel(_Model):
    generated_at: str  # wall clock
    database: str
    network: NetworkView
    verdicts: list[Verdict]
    counts: SwapCounts
    indicators: Page[SwapIndicator]
    timelines: Page[SwapTimeline]
    finality: FinalityView
    cost: CostView
    positions: list[PositionRow]
    movements: Page[Movement]
    reconciliation: ReconciliationView
    liquidity: LiquidityView
    concentration: list[ConcentrationView]
    risk: RiskView
    exceptions: ExceptionsView
    refusals: list[RefusalView]
    refusals_by_rule: list[RefusalsByRule]
    oracle: OracleView
    operations: OperationsView
    scenarios: list[ScenarioView]
    actions: list[ActionView] = []

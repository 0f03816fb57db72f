"""One state machine for both settlement models.

Same ledger (PvP)::

    PROPOSED ─accept─► ACCEPTED ─► SETTLING ─► SETTLED
        └─cancel─► CANCELLED        └─(deadline passes unsettled)─► EXPIRED

(A party may relay the settlement itself: a proposed or accepted swap found settled on chain is
recorded SETTLED with that transaction.)

Linked ledgers (HTLC)::

    PROPOSED ─accept─► ACCEPTED ─► LOCKING_A ─► LOCKED_A ─► LOCKING_B ─► LOCKED_B
        └─cancel─► CANCELLED                         │                      │ secret revealed
                                                      │                      ▼
                                                      │            CLAIMING_B ─► CLAIMING_A ─► SETTLED
                                                      └─ expiry ─► REFUNDING ─► REFUNDED

Every transition is recorded before the action it leads to; the transaction hash after sending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Model(StrEnum):
    PVP = "pvp"  # both currencies on one ledger
    HTLC = "htlc"  # currencies on two ledgers


class SwapState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    SETTLING = "settling"
    LOCKING_A = "locking_a"
    LOCKED_A = "locked_a"
    LOCKING_B = "locking_b"
    LOCKED_B = "locked_b"
    CLAIMING_B = "claiming_b"
    CLAIMING_A = "claiming_a"
    REFUNDING = "refunding"
    SETTLED = "settled"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"


TERMINAL = frozenset({SwapState.SETTLED, SwapState.REFUNDED, SwapState.CANCELLED, SwapState.EXPIRED, SwapState.FAILED})

ALLOWED: dict[SwapState, frozenset[SwapState]] = {
    # A same-ledger swap may be settled on chain by a party relaying it itself (both signatures in hand).
    SwapState.PROPOSED: frozenset({SwapState.ACCEPTED, SwapState.CANCELLED, SwapState.EXPIRED, SwapState.SETTLED}),
    SwapState.ACCEPTED: frozenset({SwapState.SETTLING, SwapState.LOCKING_A, SwapState.CANCELLED, SwapState.EXPIRED, SwapState.FAILED,
                                   SwapState.SETTLED}),
    SwapState.SETTLING: frozenset({SwapState.SETTLED, SwapState.EXPIRED, SwapState.FAILED}),
    SwapState.LOCKING_A: frozenset({SwapState.LOCKED_A, SwapState.FAILED}),
    SwapState.LOCKED_A: frozenset({SwapState.LOCKING_B, SwapState.REFUNDING}),
    SwapState.LOCKING_B: frozenset({SwapState.LOCKED_B, SwapState.REFUNDING}),
    SwapState.LOCKED_B: frozenset({SwapState.CLAIMING_B, SwapState.REFUNDING}),
    SwapState.CLAIMING_B: frozenset({SwapState.CLAIMING_A, SwapState.REFUNDING}),
    # Leg A unclaimable (expired or refunded during an outage longer than the expiry margin): the
    # counterparty's principal is at risk; the swap fails loudly instead of looping.
    SwapState.CLAIMING_A: frozenset({SwapState.SETTLED, SwapState.FAILED}),
    # One leg claimed and the other refunded (the secret got out too late): fails loudly, with an alert.
    SwapState.REFUNDING: frozenset({SwapState.REFUNDED, SwapState.CLAIMING_A, SwapState.SETTLED, SwapState.FAILED}),
}


def failure(*, step: SwapState | str, reason: str, ledger: str | None = None, error: str | None = None,
            error_args: dict[str, Any] | None = None, tx_hash: str | None = None) -> dict[str, Any]:
    """What a swap carries once a step failed: ``step`` (the state the swap was in when it failed, e.g.
    ``locking_a``, ``settling``), ``reason`` (a sentence), ``ledger`` and ``tx_hash`` where it happened,
    and ``error`` / ``error_args``: the ledger's own refusal (the contract's custom error, e.g.
    ``HtlcQuoteExpired`` with its arguments), None when the bridge itself gave up."""
    return {"step": str(getattr(step, "value", step)), "reason": reason, "ledger": ledger, "error": error,
            "error_args": {k: _plain(v) for k, v in (error_args or {}).items()} or None, "tx_hash": tx_hash}  # fmt: skip


def _plain(value: Any) -> Any:
    """A decoded contract error argument as JSON: bytes as 0x-hex, big integers as decimal strings."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)


class TransitionRefused(Exception):
    """A transition the state machine does not allow (a programming or concurrency error)."""

    def __init__(self, *, swap_id: str, current: SwapState, wanted: SwapState) -> None:
        self.swap_id, self.current, self.wanted = swap_id, current, wanted
        super().__init__(f"swap {swap_id}: {current} -> {wanted} is not allowed")


def check_transition(swap_id: str, current: SwapState, wanted: SwapState) -> None:
    if wanted not in ALLOWED.get(current, frozenset()):
        raise TransitionRefused(swap_id=swap_id, current=current, wanted=wanted)


def check_correction(swap_id: str, current: SwapState, wanted: SwapState) -> None:
    """The chains are the truth: a swap they show settled is recorded settled whatever the journal
    had (a counterparty relayed the settlement itself; the database lost its last writes). That is the
    only correction outside :data:`ALLOWED`, and it is journalled as one."""
    if wanted is not SwapState.SETTLED or current is SwapState.SETTLED:
        raise TransitionRefused(swap_id=swap_id, current=current, wanted=wanted)


@dataclass
class Leg:
    """One currency's movement: who pays whom, on which ledger."""

    currency: str
    ledger: str
    amount: int
    payer: str
    receiver: str
    expiry: int | None = None  # HTLC legs only
    lock_nonce: int | None = None
    authorisation: str | None = None  # hex signature of the payer (HTLC lock authorisation)
    lock_tx: str | None = None
    lock_block: int | None = None  # where event scans for this leg start (claims and refunds come after)
    settle_tx: str | None = None  # claim (or the PvP settlement)
    refund_tx: str | None = None
    outcome: str | None = None  # while refunding, each leg once known: "unlocked" (never locked) or "refunded"


@dataclass
class Swap:
    """A swap as the bridge knows it. ``id`` is the EIP-712 digest both parties signed."""

    id: str
    model: Model
    state: SwapState
    initiator: str  # participant name
    counterparty: str
    initiator_address: str
    counterparty_address: str
    leg_a: Leg  # paid by the initiator
    leg_b: Leg  # paid by the counterparty
    rate: int  # 18-decimal: leg B units per leg A unit (whole units)
    max_deviation_bps: int
    deadline: int
    nonce: int
    terms: dict[str, Any]  # exactly what was signed, for resubmission
    signature_a: str
    signature_b: str | None = None
    hashlock: str | None = None
    secret: str | None = None  # stored only once the initiator reveals it
    quote_hash: str | None = None
    quote_valid_until: int | None = None
    quote_terms_hash: str | None = None  # with the quote signature: the proof each HTLC lock carries
    quote_signature: str | None = None
    oracle_mid: int | None = None
    oracle_round: int | None = None
    failure: dict[str, Any] | None = None  # see :func:`failure`: why a swap failed (or went to refunds)
    # each ledger's clock (its next block's time) when the bridge recorded the order: the start of the
    # swap's time to final in ledger time (empty for swaps recorded before it was kept)
    received_at: dict[str, int] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def party_of(self, participant: str) -> str | None:
        if participant == self.initiator:
            return "initiator"
        if participant == self.counterparty:
            return "counterparty"
        return None

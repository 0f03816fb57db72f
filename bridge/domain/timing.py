"""The clock rule of a linked-ledger swap. Pure functions: every party applies the same rule.

Each HTLC leg expires by *its own ledger's* clock. The initiator's leg A (on ledger A) outlives the
counterparty's leg B (on ledger B) by the safety margin M, so that once the secret is public (leg B
claimed), the counterparty still has M seconds to claim leg A. That holds only if both clocks agree.
If ledger A's clock runs ahead, leg A may be close to (or past) its expiry on ledger A while leg B
is still open on ledger B: claiming leg B then would leave the counterparty unable to claim leg A,
and the initiator would take both legs.

The rule, checked on every path that can move the secret (the SDK before revealing, the bridge's
intake of a reveal, its claim of leg B, its watchtower, the escape-hatch CLI)::

    the secret is revealed, and leg B claimed, only while
        leg A's expiry − ledger A's clock  ≥  M          (and leg B is not about to expire)
    otherwise the swap goes to refunds

Any steady skew is then safe: it can only turn a settlement into a refund. What the margin must
still cover is the time between that check and the claim of leg A (seconds when the bridge runs;
the counterparty's reaction time through the escape hatch when it does not), plus any *jump* of
ledger A's clock within that time. The bridge alerts when the two ledgers' clocks differ by more
than M / 2 (:func:`skew_alert_threshold`).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SAFETY_MARGIN = 600  # seconds; bridge.expiry_margin_seconds
DEFAULT_CLAIM_SAFETY = 60  # seconds; no claim of a leg is started closer than this to its expiry
NEXT_BLOCK_SKEW = 300  # seconds; the bridge's clock stands in for an idle ledger's only this close to it


def next_block_time(*, ledger_clock: int, wall_clock: float, live_pending: bool, skew: int = NEXT_BLOCK_SKEW) -> int:
    """The time the ledger's next block will carry, as far as the bridge can tell. A node whose pending
    block carries its own clock (``live_pending``: anvil, automining or not) tells it: ``ledger_clock``.
    A node that shows only its head (its pending block is its latest) keeps an old head while no block
    is mined; its next block takes the current time, so the bridge's clock stands in when it is ahead of
    the head by at most ``skew`` seconds (a ledger whose clock is set further away, a replay of history,
    keeps its own). What quotes start from and what deadlines and expiries are judged against."""
    if live_pending:
        return ledger_clock
    ahead = wall_clock - ledger_clock
    return int(wall_clock) if 0 < ahead <= skew else ledger_clock


@dataclass(frozen=True)
class RevealCheck:
    """Whether the secret may move now, and why not."""

    allowed: bool
    leg_a_left: int  # seconds leg A has left on ledger A's clock
    leg_b_left: int  # seconds leg B has left on ledger B's clock
    reason: str | None = None


def reveal_check(*, expiry_a: int, clock_a: int, expiry_b: int, clock_b: int, margin: int = DEFAULT_SAFETY_MARGIN,
                 claim_safety: int = DEFAULT_CLAIM_SAFETY) -> RevealCheck:  # fmt: skip
    """The clock rule: leg A must have at least ``margin`` seconds left on ledger A's clock, and leg B
    at least ``claim_safety`` on ledger B's (a claim sent later could land after its expiry)."""
    left_a, left_b = expiry_a - clock_a, expiry_b - clock_b
    if left_a < margin:
        return RevealCheck(False, left_a, left_b, f"leg A has {left_a}s left on its ledger's clock, under the {margin}s safety "
                                                  "margin: the secret must not move; the swap refunds")  # fmt: skip
    if left_b < claim_safety:
        return RevealCheck(False, left_a, left_b, f"leg B has {left_b}s left on its ledger's clock, under the {claim_safety}s "
                                                  "needed to claim it: the secret must not move; the swap refunds")  # fmt: skip
    return RevealCheck(True, left_a, left_b)


def leg_a_safe(*, expiry_a: int, clock_a: int, margin: int = DEFAULT_SAFETY_MARGIN) -> bool:
    """Leg A has at least the safety margin left on ledger A's clock."""
    return expiry_a - clock_a >= margin


def skew_alert_threshold(margin: int = DEFAULT_SAFETY_MARGIN) -> float:
    """The largest skew between two ledgers' clocks tolerated without an alert: half the margin."""
    return margin / 2

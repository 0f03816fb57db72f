"""Rates as the contracts hold them: 8-decimal fixed point, bid and ask around a mid."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

RATE_DECIMALS = 8
SCALE = 10**RATE_DECIMALS
MAX_RATE = 2**48 - 1  # the contracts pack rates in 48 bits


def to_fixed(rate: Decimal, rounding: str = ROUND_HALF_EVEN) -> int:
    """``rate`` in 8-decimal fixed point; refuses what the contracts cannot hold."""
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    fixed = int((rate * SCALE).to_integral_value(rounding=rounding))
    if not 0 < fixed <= MAX_RATE:
        raise ValueError(f"rate {rate} does not fit the oracle's 8-decimal, 48-bit range")
    return fixed


def from_fixed(fixed: int) -> Decimal:
    return Decimal(fixed) / SCALE


def bid_ask(mid: Decimal, half_spread_bps: int) -> tuple[int, int, int]:
    """(bid, mid, ask) in fixed point, ``half_spread_bps`` either side of ``mid`` (ECB rates are mids)."""
    spread = mid * Decimal(half_spread_bps) / Decimal(10_000)
    return to_fixed(mid - spread, ROUND_FLOOR), to_fixed(mid), to_fixed(mid + spread, ROUND_CEILING)


def pair_id(base: str, quote: str) -> bytes:
    """The contracts' ``bytes6`` pair id, e.g. ``b"EURCHF"``."""
    code = (base + quote).upper()
    if len(code) != 6 or not code.isalpha():
        raise ValueError(f"not a currency pair: {base}/{quote}")
    return code.encode("ascii")

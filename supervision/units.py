"""How figures are written: every amount in major units with its currency's decimals and code, every
rate as a decimal, every oracle round as people read it.

A :class:`Money` carries both the exact integer (``minor_units``, with ``decimals``) and the text a
person reads (``display``: ``1,000,000.00 CNY``); nothing else in the model prints an amount. A
:class:`Rate` carries the exact 18-decimal fixed-point value (as a string of digits, exact in any
JSON reader) and its decimal text.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict

RATE_DECIMALS = 18  # the contracts' fixed point for rates


class Money(BaseModel):
    """An amount of one currency: exact (``minor_units`` with ``decimals``) and as read (``display``)."""

    model_config = ConfigDict(frozen=True)

    currency: str
    minor_units: int
    decimals: int
    display: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return money(self.minor_units + other.minor_units, self.currency, self.decimals)

    def __neg__(self) -> Money:
        return money(-self.minor_units, self.currency, self.decimals)

    @property
    def major(self) -> Decimal:
        return Decimal(self.minor_units).scaleb(-self.decimals)


def major_text(minor_units: int, decimals: int) -> str:
    """``100000000`` with 2 decimals → ``1,000,000.00`` (always every decimal place, never minor units)."""
    value = Decimal(minor_units).scaleb(-decimals)
    return f"{value:,.{decimals}f}"


def money(minor_units: int, currency: str, decimals: int) -> Money:
    return Money(currency=currency, minor_units=int(minor_units), decimals=decimals,
                 display=f"{major_text(int(minor_units), decimals)} {currency}")  # fmt: skip


class Rate(BaseModel):
    """A rate: quote-currency units per base-currency unit (whole units)."""

    model_config = ConfigDict(frozen=True)

    pair: str  # "CNY/HKD"
    fixed_18: str  # exact: the contracts' 18-decimal fixed point, as digits
    display: str  # "1.179291"

    @property
    def value(self) -> Decimal:
        return Decimal(int(self.fixed_18)).scaleb(-RATE_DECIMALS)


def rate(fixed_18: int, pair: str, places: int = 6) -> Rate:
    value = Decimal(int(fixed_18)).scaleb(-RATE_DECIMALS).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return Rate(pair=pair, fixed_18=str(int(fixed_18)), display=f"{value:.{places}f}")


def round_label(round_ref: int | None) -> str:
    """An oracle round reference as people read it: ``#7``, or ``#3 × #5 (cross via EUR)`` for a rate
    derived from two legs (the contracts pack the second leg's round in the high 128 bits)."""
    if not round_ref:
        return "-"
    if round_ref >> 128:
        return f"#{round_ref >> 128} × #{round_ref & ((1 << 128) - 1)} (cross via EUR)"
    return f"#{round_ref}"


def bps(value: Decimal | float | None, places: int = 1) -> str:
    return "-" if value is None else f"{Decimal(str(value)):.{places}f} bps"


def duration_text(seconds: float | None) -> str:
    """``0.4 s``, ``59 min 59 s``, ``2 h 03 min``: a duration as people read it."""
    if seconds is None:
        return "not measured"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {(whole % 3600) // 60:02d} min"

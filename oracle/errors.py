"""Oracle errors, all under :class:`corridor.errors.CorridorError`.

::

    OracleError
    ├── RateUnavailable     a feed has no rate for a currency on a date (it never invents one)
    ├── FeedError           a feed's source could not be read or parsed
    └── QuoteInvalid        a signed quote fails verification (signature, expiry, terms)
"""

from __future__ import annotations

from datetime import date

from corridor.errors import CorridorError


class OracleError(CorridorError):
    """Root of the oracle's errors."""


class RateUnavailable(OracleError):
    """The feed has no rate for ``currency`` on ``on``."""

    def __init__(self, *, feed: str, currency: str, on: date | None = None) -> None:
        self.feed = feed
        self.currency = currency
        self.on = on
        super().__init__(f"{feed}: no rate for {currency}" + (f" on {on.isoformat()}" if on else ""))


class FeedError(OracleError):
    """The feed's source could not be read or parsed."""

    def __init__(self, *, feed: str, reason: str) -> None:
        self.feed = feed
        self.reason = reason
        super().__init__(f"{feed}: {reason}")


class QuoteInvalid(OracleError):
    """A signed quote fails verification."""

    def __init__(self, *, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"invalid quote: {reason}")

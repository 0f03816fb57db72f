"""Oracle errors, all under :class:`corridor.errors.CorridorError`.

::

    OracleError
    ├── RateUnavailable     a feed has no rate for a currency on a date (it never invents one)
    ├── FeedError           a feed's source could not be read or parsed
    ├── QuorumUnreachable   the oracle needs more reporter signatures than this publisher holds keys for
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


class QuorumUnreachable(OracleError):
    """The oracle on ``ledger`` needs ``quorum`` signatures (a majority of the registry's reporters, at
    least the configured quorum) and this publisher holds only ``reporters`` reporter keys."""

    def __init__(self, *, ledger: str, quorum: int, reporters: int) -> None:
        self.ledger = ledger
        self.quorum = quorum
        self.reporters = reporters
        super().__init__(f"ledger {ledger}: the oracle needs {quorum} reporter signatures, this publisher has {reporters} keys")


class QuoteInvalid(OracleError):
    """A signed quote fails verification."""

    def __init__(self, *, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"invalid quote: {reason}")

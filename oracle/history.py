"""An FxOracle pair's round history beyond the chain's window.

The oracle keeps each pair's last ``ROUND_WINDOW`` rounds on chain (``roundData``,
``roundAtOrBefore``); every round it ever accepted is in its ``RoundPublished`` event, whose ``round``
word packs the stored round exactly as ``RoundCodec`` does (low to high: mid 48, bid 48, ask 48,
dispersionBps 16, observedAt 32, publishedAt 32 bits). This module decodes those words and rebuilds
the full history from the events. Knows web3; knows nothing of the bridge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_MASK48 = (1 << 48) - 1
ROUND_WINDOW = 256  # rounds per pair FxOracle keeps on chain (its ROUND_WINDOW; a test checks they agree)


@dataclass(frozen=True)
class OracleRound:
    """One stored round, as ``roundData`` returns it (8-decimal prices, unix times)."""

    mid: int
    bid: int
    ask: int
    dispersion_bps: int
    observed_at: int
    published_at: int

    @classmethod
    def from_word(cls, word: int) -> OracleRound:
        """Decodes a ``RoundPublished`` event's ``round`` word."""
        return cls(mid=word & _MASK48, bid=(word >> 48) & _MASK48, ask=(word >> 96) & _MASK48,
                   dispersion_bps=(word >> 144) & 0xFFFF, observed_at=(word >> 160) & 0xFFFFFFFF,
                   published_at=(word >> 192) & 0xFFFFFFFF)  # fmt: skip

    @classmethod
    def from_call(cls, answer: Any) -> OracleRound:
        """From ``roundData``'s answer (a tuple in the struct's order)."""
        mid, bid, ask, dispersion, observed_at, published_at = (int(v) for v in answer)
        return cls(mid, bid, ask, dispersion, observed_at, published_at)


def rounds_from_events(oracle: Any, pair: bytes, *, from_block: int = 0, to_block: int | str = "latest") -> dict[int, OracleRound]:
    """Every round of ``pair`` (``b"EURCHF"``) published in the block range, by round id, rebuilt from
    ``oracle``'s ``RoundPublished`` events alone (no ``roundData`` call: rounds older than the window
    included)."""
    logs = oracle.events.RoundPublished().get_logs(from_block=from_block, to_block=to_block, argument_filters={"pair": pair})
    return {int(log["args"]["roundId"]): OracleRound.from_word(int(log["args"]["round"])) for log in logs}

"""Reporters: each holds its own key and signs its observations as EIP-712 ``Report(uint256[])``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from corridor.typed_data import DOMAIN_FIELDS
from oracle.rates import bid_ask, pair_id
from oracle.feeds.base import Fixing

ORACLE_DOMAIN_NAME = "Corridor FxOracle"
_MASK48 = 2**48 - 1


def encode_observation(pair: bytes, mid: int, bid: int, ask: int, observed_at: int, source_id: int, sequence: int) -> int:
    """One observation packed as the contracts read it:
    ``pair (48) | mid (48) | bid (48) | ask (48) | observedAt (32) | sourceId (8) | sequence (24)``."""
    if not (0 < bid <= mid <= ask <= _MASK48):
        raise ValueError(f"prices out of order or range: bid={bid} mid={mid} ask={ask}")
    if not (0 <= observed_at < 2**32 and 0 <= source_id < 2**8 and 0 < sequence < 2**24):
        raise ValueError("observation time, source id or sequence out of range")
    return (
        (int.from_bytes(pair, "big") << 208) | (mid << 160) | (bid << 112) | (ask << 64)
        | (observed_at << 32) | (source_id << 24) | sequence
    )  # fmt: skip


def decode_observation(word: int) -> dict[str, Any]:
    return {
        "pair": (word >> 208).to_bytes(6, "big").decode(),
        "mid": (word >> 160) & _MASK48,
        "bid": (word >> 112) & _MASK48,
        "ask": (word >> 64) & _MASK48,
        "observed_at": (word >> 32) & (2**32 - 1),
        "source_id": (word >> 24) & 0xFF,
        "sequence": word & (2**24 - 1),
    }


def report_message(chain_id: int, oracle: str, observations: list[int]) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": DOMAIN_FIELDS,
            "Report": [{"name": "observations", "type": "uint256[]"}],
        },
        "primaryType": "Report",
        "domain": {"name": ORACLE_DOMAIN_NAME, "version": "1", "chainId": chain_id, "verifyingContract": oracle},
        "message": {"observations": observations},
    }


def compact(signature: bytes) -> tuple[bytes, bytes]:
    """EIP-2098 (r, vs) from a 65-byte (r, s, v) signature."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    vs = s | ((v - 27) << 255)
    return r, vs.to_bytes(32, "big")


@dataclass(frozen=True)
class Reporter:
    """An oracle reporter: its own key, its source id, and the half-spread it quotes around a mid."""

    account: LocalAccount
    source_id: int = 1
    half_spread_bps: int = 2

    @property
    def address(self) -> str:
        return str(self.account.address)

    def observe(self, fixing: Fixing, sequence: int) -> int:
        bid, mid, ask = bid_ask(fixing.rate, self.half_spread_bps)
        return encode_observation(pair_id(fixing.base, fixing.currency), mid, bid, ask,
                                  int(fixing.observed_at.timestamp()), self.source_id, sequence)  # fmt: skip

    def sign(self, chain_id: int, oracle: str, observations: list[int]) -> tuple[bytes, bytes]:
        message = report_message(chain_id, oracle, observations)
        signed = self.account.sign_message(encode_typed_data(full_message=message))
        return compact(bytes(signed.signature))

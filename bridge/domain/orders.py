"""What banks sign, and how the bridge checks it. Pure functions over EIP-712 typed data.

- Same-ledger swaps: both banks sign the PvPEscrow ``Swap`` itself; the escrow verifies the
  signatures again on chain, so the bridge can relay but never alter.
- Linked-ledger swaps: both banks sign a ``SwapOrder`` (domain "Corridor Bridge", the initiator's
  ledger's chain id); each also signs the HTLC ``LockAuthorisation`` for its own leg, which the
  escrow on that leg's ledger verifies on chain. The swap id is the order's digest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from eth_utils import decode_hex

from corridor.typed_data import LockRequest, LockTerms, digest, lock_authorisation_message, recover

BRIDGE_DOMAIN_NAME = "Corridor Bridge"


@dataclass(frozen=True)
class SwapOrder:
    """The terms of a linked-ledger swap. Amounts in minor units; rate 18-decimal (buy per sell)."""

    initiator: str
    counterparty: str
    sellCurrency: str
    sellAmount: int
    buyCurrency: str
    buyAmount: int
    rate: int
    maxDeviationBps: int
    hashlock: bytes
    initiatorExpiry: int
    counterpartyExpiry: int
    deadline: int
    nonce: int
    quoteHash: bytes
    quoteValidUntil: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SwapOrder:
        values = dict(data)
        for name in ("hashlock", "quoteHash"):
            raw = values[name]
            values[name] = decode_hex(raw) if isinstance(raw, str) else raw
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hashlock"] = "0x" + self.hashlock.hex()
        data["quoteHash"] = "0x" + self.quoteHash.hex()
        return data


def order_message(chain_id: int, order: SwapOrder) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "SwapOrder": [
                {"name": "initiator", "type": "address"},
                {"name": "counterparty", "type": "address"},
                {"name": "sellCurrency", "type": "string"},
                {"name": "sellAmount", "type": "uint256"},
                {"name": "buyCurrency", "type": "string"},
                {"name": "buyAmount", "type": "uint256"},
                {"name": "rate", "type": "uint256"},
                {"name": "maxDeviationBps", "type": "uint16"},
                {"name": "hashlock", "type": "bytes32"},
                {"name": "initiatorExpiry", "type": "uint64"},
                {"name": "counterpartyExpiry", "type": "uint64"},
                {"name": "deadline", "type": "uint64"},
                {"name": "nonce", "type": "uint256"},
                {"name": "quoteHash", "type": "bytes32"},
                {"name": "quoteValidUntil", "type": "uint64"},
            ],
        },
        "primaryType": "SwapOrder",
        "domain": {"name": BRIDGE_DOMAIN_NAME, "version": "1", "chainId": chain_id},
        "message": asdict(order),
    }


def order_id(chain_id: int, order: SwapOrder) -> str:
    return "0x" + digest(order_message(chain_id, order)).hex()


def lock_request(order: SwapOrder, *, leg: str, token: str, swap_id: str) -> LockRequest:
    """The HTLC lock each party authorises: leg "a" is the initiator's sell leg, "b" the counterparty's."""
    if leg == "a":
        terms = LockTerms(token, order.initiator, order.counterparty, order.sellAmount, order.hashlock, order.initiatorExpiry)
    else:
        terms = LockTerms(token, order.counterparty, order.initiator, order.buyAmount, order.hashlock, order.counterpartyExpiry)
    return LockRequest(terms, bytes.fromhex(swap_id[2:]), order.quoteHash, order.quoteValidUntil)


def signed_by(message: dict[str, Any], signature: str, address: str) -> bool:
    """True when ``signature`` (hex) over ``message`` recovers to ``address``."""
    try:
        raw = decode_hex(signature)
        return recover(message, raw).lower() == address.lower()
    except (ValueError, TypeError):
        return False


def lock_message(chain_id: int, htlc: str, request: LockRequest, nonce: int) -> dict[str, Any]:
    return lock_authorisation_message(chain_id, htlc, request, nonce)

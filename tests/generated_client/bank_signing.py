"""A bank's signing, written from the published contract only (``GET /v1/signing`` and
docs/integration.md) with general-purpose libraries: eth-account, eth-utils and the standard library.
Nothing from Corridor is imported here: this is what a bank's developer writes in their own language.
"""

from __future__ import annotations

import hashlib
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak, to_checksum_address


def canonical_request(template: str, method: str, path: str, query: str, body: bytes, timestamp: int, nonce: str) -> str:
    """The text to sign, from the published template (``request_signing.template``)."""
    return template.format(method=method.upper(), path=path + (f"?{query}" if query else ""),
                           body_sha256=hashlib.sha256(body).hexdigest(), timestamp=timestamp, nonce=nonce)  # fmt: skip


def sign_text(private_key: str, text: str) -> str:
    """EIP-191 personal_sign: 0x + r ‖ s ‖ v (eth-account writes low s and v 27/28)."""
    return "0x" + bytes(Account.sign_message(encode_defunct(text=text), private_key).signature).hex()


def request_headers(private_key: str, participant: str, template: str, method: str, path: str, query: str, body: bytes,
                    timestamp: int, nonce: str) -> dict[str, str]:  # fmt: skip
    text = canonical_request(template, method, path, query, body, timestamp, nonce)
    return {"X-Corridor-Participant": participant, "X-Corridor-Timestamp": str(timestamp), "X-Corridor-Nonce": nonce,
            "X-Corridor-Signature": sign_text(private_key, text)}  # fmt: skip


def typed_message(type_set: dict[str, Any], domain: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """eth_signTypedData_v4's full message from a published type set, a domain and the values."""
    return {"types": type_set["types"], "primaryType": type_set["primaryType"], "domain": domain, "message": message}


def typed_digest(full_message: dict[str, Any]) -> str:
    """The EIP-712 digest (a swap's id is its order's digest)."""
    signable = encode_typed_data(full_message=full_message)
    return "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()


def sign_typed(private_key: str, full_message: dict[str, Any]) -> str:
    return "0x" + bytes(Account.sign_message(encode_typed_data(full_message=full_message), private_key).signature).hex()


def amount_b(amount_a: int, rate: int, decimals_a: int, decimals_b: int, rate_decimals: int = 18) -> int:
    """floor(amountA * rate * 10^decB / (10^18 * 10^decA)), as published in ``units.amount_b``."""
    return amount_a * rate * 10**decimals_b // (10**rate_decimals * 10**decimals_a)


def lock_id(sender: str, hashlock: str) -> str:
    """keccak256(abi.encode(address sender, bytes32 hashlock))."""
    encoded = bytes(12) + bytes.fromhex(to_checksum_address(sender)[2:]) + bytes.fromhex(hashlock.removeprefix("0x"))
    return "0x" + keccak(encoded).hex()


def compact_signature(signature: str) -> str:
    """EIP-2098: 0x + r ‖ vs, vs = s with the top bit set when v is 28 (what the HTLC's ``Authorisation``
    takes as ``(r, vs)``)."""
    raw = bytes.fromhex(signature.removeprefix("0x"))
    vs = int.from_bytes(raw[32:64], "big") | ((raw[64] - 27) << 255)
    return "0x" + raw[:32].hex() + vs.to_bytes(32, "big").hex()

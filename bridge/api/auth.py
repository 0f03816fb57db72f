"""Authentication without shared secrets.

Each request carries ``X-Corridor-Participant`` (a configured participant, or ``regulator``),
``X-Corridor-Timestamp`` (unix seconds), ``X-Corridor-Nonce`` (random, so two identical requests
in the same second differ) and ``X-Corridor-Signature``: the participant's EIP-191 signature of
``request_message(method, path, body, timestamp, nonce)``. Requests outside the clock window,
signed by another key, or replayed (same signature twice) are refused with 401.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import decode_hex

from bridge.errors import Unauthenticated

CLOCK_WINDOW_SECONDS = 30
REGULATOR = "regulator"


def request_message(method: str, path: str, body: bytes, timestamp: int, nonce: str) -> str:
    """The text a client signs: method, path with query, body hash, timestamp, nonce."""
    return f"CORRIDOR-REQUEST\n{method.upper()}\n{path}\n{hashlib.sha256(body).hexdigest()}\n{timestamp}\n{nonce}"


def sign_request(account: LocalAccount, method: str, path: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers for a signed request (used by the SDK)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = secrets.token_hex(12)
    signature = account.sign_message(encode_defunct(text=request_message(method, path, body, timestamp, nonce))).signature
    return {"X-Corridor-Timestamp": str(timestamp), "X-Corridor-Nonce": nonce, "X-Corridor-Signature": "0x" + bytes(signature).hex()}


def verify(*, participant: str | None, timestamp: str | None, nonce: str | None, signature: str | None,
           expected_address: str | None, method: str, path: str, body: bytes, now: float) -> int:  # fmt: skip
    """Checks the headers; returns the timestamp. Raises :class:`Unauthenticated` naming the header."""
    if not participant:
        raise Unauthenticated("missing", field="X-Corridor-Participant")
    if expected_address is None:
        raise Unauthenticated(f"unknown participant {participant!r}", field="X-Corridor-Participant")
    if not timestamp or not timestamp.isdigit():
        raise Unauthenticated("missing or not unix seconds", field="X-Corridor-Timestamp")
    stamp = int(timestamp)
    if abs(now - stamp) > CLOCK_WINDOW_SECONDS:
        raise Unauthenticated(f"outside the {CLOCK_WINDOW_SECONDS}s clock window", field="X-Corridor-Timestamp")
    if not nonce or len(nonce) > 64:
        raise Unauthenticated("missing or longer than 64 characters", field="X-Corridor-Nonce")
    if not signature:
        raise Unauthenticated("missing", field="X-Corridor-Signature")
    try:
        raw = decode_hex(signature)
        signer = Account.recover_message(encode_defunct(text=request_message(method, path, body, stamp, nonce)), signature=raw)
    except Exception as exc:  # malformed signature bytes of any kind
        raise Unauthenticated("malformed signature", field="X-Corridor-Signature") from exc
    if signer.lower() != expected_address.lower():
        raise Unauthenticated(f"not signed by {participant}'s registered key", field="X-Corridor-Signature")
    return stamp

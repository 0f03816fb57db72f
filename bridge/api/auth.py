"""Authentication without shared secrets.

Each request carries ``X-Corridor-Participant`` (a configured participant's name, lower case, or
``regulator``), ``X-Corridor-Timestamp`` (unix seconds), ``X-Corridor-Nonce`` (1 to 64 characters,
random, so two identical requests in the same second differ) and ``X-Corridor-Signature``: the
participant's EIP-191 ``personal_sign`` signature of :func:`request_message`::

    CORRIDOR-REQUEST\\n<METHOD>\\n<path>[?<raw query>]\\n<sha256(body), lower-case hex>\\n<timestamp>\\n<nonce>

``path`` is the percent-decoded request path; the query is appended exactly as sent (not decoded,
not reordered). The signature is written in one canonical form only: ``0x`` + 130 lower- or
upper-case hex digits (r ‖ s ‖ v), ``v`` 27 or 28 and ``s`` in the lower half of the curve order
(EIP-2). Anything else is refused (401), so one request has exactly one accepted signature.

Replays are recognised by what was signed, not by how the signature is written: the bridge
remembers (signer, SHA-256 of the canonical text) for the clock window, so the same request sent
again is refused (401) whatever its signature's encoding.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from bridge.errors import Unauthenticated

CLOCK_WINDOW_SECONDS = 30
REGULATOR = "regulator"
MAX_NONCE_LENGTH = 64
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def request_message(method: str, path: str, body: bytes, timestamp: int, nonce: str) -> str:
    """The text a client signs: method, path with query, body hash, timestamp, nonce."""
    return f"CORRIDOR-REQUEST\n{method.upper()}\n{path}\n{hashlib.sha256(body).hexdigest()}\n{timestamp}\n{nonce}"


def sign_request(account: LocalAccount, method: str, path: str, body: bytes, timestamp: int | None = None,
                 nonce: str | None = None) -> dict[str, str]:  # fmt: skip
    """Headers for a signed request (used by the SDK)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = secrets.token_hex(12) if nonce is None else nonce
    signature = account.sign_message(encode_defunct(text=request_message(method, path, body, timestamp, nonce))).signature
    return {"X-Corridor-Timestamp": str(timestamp), "X-Corridor-Nonce": nonce, "X-Corridor-Signature": "0x" + bytes(signature).hex()}


def canonical_signature(signature: str) -> bytes:
    """The 65 bytes of ``signature`` if it is written canonically (``0x``, 130 hex digits, v 27/28,
    low s); raises :class:`Unauthenticated` otherwise."""
    if not _SIGNATURE.fullmatch(signature):
        raise Unauthenticated("not 0x followed by 130 hex digits (r, s, v)", field="X-Corridor-Signature")
    raw = bytes.fromhex(signature[2:])
    s, v = int.from_bytes(raw[32:64], "big"), raw[64]
    if v not in (27, 28):
        raise Unauthenticated(f"v must be 27 or 28, not {v}", field="X-Corridor-Signature")
    if not 0 < s <= SECP256K1_N // 2:
        raise Unauthenticated("s must be in the lower half of the curve order (EIP-2)", field="X-Corridor-Signature")
    return raw


def replay_key(signer: str, message: str) -> str:
    """What the replay guard remembers of a request: its signer and what it signed."""
    return "0x" + hashlib.sha256(f"{signer.lower()}\n{message}".encode()).hexdigest()


def verify(*, participant: str | None, timestamp: str | None, nonce: str | None, signature: str | None,
           expected_address: str | None, method: str, path: str, body: bytes, now: float) -> tuple[int, str]:  # fmt: skip
    """Checks the headers; returns the timestamp and the request's replay key (:func:`replay_key`).
    Raises :class:`Unauthenticated` naming the header."""
    if not participant:
        raise Unauthenticated("missing", field="X-Corridor-Participant")
    if expected_address is None:
        raise Unauthenticated(f"unknown participant {participant!r}", field="X-Corridor-Participant")
    if not timestamp or not _TIMESTAMP.fullmatch(timestamp):
        raise Unauthenticated("missing or not unix seconds", field="X-Corridor-Timestamp")
    stamp = int(timestamp)
    if abs(now - stamp) > CLOCK_WINDOW_SECONDS:
        raise Unauthenticated(f"outside the {CLOCK_WINDOW_SECONDS}s clock window", field="X-Corridor-Timestamp")
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise Unauthenticated(f"missing or longer than {MAX_NONCE_LENGTH} characters", field="X-Corridor-Nonce")
    if not signature:
        raise Unauthenticated("missing", field="X-Corridor-Signature")
    raw = canonical_signature(signature)
    message = request_message(method, path, body, stamp, nonce)
    try:
        signer = Account.recover_message(encode_defunct(text=message), signature=raw)
    except Exception as exc:  # r or s out of range, no point on the curve
        raise Unauthenticated("malformed signature", field="X-Corridor-Signature") from exc
    if signer.lower() != expected_address.lower():
        # Says what was checked, so a client can tell a wrong key from a wrong canonical text (the text holds
        # nothing the client did not send; its body appears as the SHA-256 the client should have hashed).
        raise Unauthenticated(f"not signed by {participant}'s registered key {expected_address}: the signature recovers to {signer} "
                              f"over the canonical text the bridge checked, {message!r}", field="X-Corridor-Signature")  # fmt: skip
    return stamp, replay_key(signer, message)

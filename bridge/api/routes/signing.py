"""``GET /v1/signing``: every signing scheme of this network, as data (no authentication: a bank needs
it before it can sign its first request)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from bridge.api.auth import CLOCK_WINDOW_SECONDS, MAX_NONCE_LENGTH, SECP256K1_N
from bridge.api.schemas import SigningPublic
from bridge.engine.signing_info import signing_info

router = APIRouter(prefix="/v1", tags=["signing"])


def request_signing() -> dict[str, Any]:
    """How every signed request is signed (:mod:`bridge.api.auth`)."""
    return {
        "scheme": "EIP-191 personal_sign: secp256k1 over keccak256(\"\\x19Ethereum Signed Message:\\n\" + len(text) + text), "
                  "text UTF-8",
        "template": "CORRIDOR-REQUEST\n{method}\n{path}\n{body_sha256}\n{timestamp}\n{nonce}",
        "fields": {
            "method": "the HTTP method, upper case",
            "path": "the percent-decoded request path; when the URL has a query, '?' and the query exactly as sent (not decoded, not reordered)",
            "body_sha256": "SHA-256 of the exact body bytes sent, lower-case hex (an empty body: "
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)",
            "timestamp": "unix seconds, decimal, as in X-Corridor-Timestamp",
            "nonce": f"as in X-Corridor-Nonce: 1 to {MAX_NONCE_LENGTH} characters, fresh for every request",
        },
        "headers": {
            "X-Corridor-Participant": "the participant's name (GET /v1/participants: name), not its address; 'regulator' for the regulator",
            "X-Corridor-Timestamp": "unix seconds",
            "X-Corridor-Nonce": f"1 to {MAX_NONCE_LENGTH} characters",
            "X-Corridor-Signature": "0x + 130 hex digits: r (32 bytes) s (32 bytes) v (1 byte)",
        },
        "signature": {"encoding": "0x-prefixed hex of r || s || v", "v": [27, 28], "s_max": hex(SECP256K1_N // 2),
                      "rule": "only the canonical low-s form (EIP-2) with v 27 or 28 is accepted"},  # fmt: skip
        "clock_window_seconds": CLOCK_WINDOW_SECONDS,
        "replay": "a request is accepted once: the bridge remembers (signer, SHA-256 of the canonical text) for the clock window",
        "unsigned": ["GET /v1/health", "GET /v1/signing", "GET /openapi.json"],
    }


@router.get("/signing", response_model=SigningPublic, responses={503: {}})
async def get_signing(request: Request) -> dict[str, Any]:
    """Everything a bank signs, as data: the request-signing canonical form; every EIP-712 domain and type
    set (PvP `Swap`, linked-ledger `SwapOrder`, HTLC `LockAuthorisation`, the bridge's `Quote`), read from
    the deployed contracts and their sources; the rate scale and the amount rounding rule; the expiry and
    quote rules with their margins in force; the HTLC lock-id formula; the escrows' and tokens' ABIs."""
    cached = getattr(request.app.state, "signing", None)
    if cached is None:  # read once: domains and types cannot change under a running bridge
        coordinator = request.app.state.coordinator
        oracle = coordinator.network.settings.oracle
        cached = {"request_signing": request_signing(),
                  **await run_in_threadpool(signing_info, coordinator.chain, coordinator.policy,
                                            quote_validity=oracle.quote_validity_seconds, quote_spread_bps=oracle.quote_spread_bps)}  # fmt: skip
        request.app.state.signing = cached
    return cached

"""Bridge errors: each maps to an HTTP status and names the request field at fault.

::

    BridgeError (400)
    ├── InvalidInstruction (422)   a field is well-formed JSON but wrong (amount, expiry order, currency…)
    ├── SignatureInvalid (401)     a signature does not recover to the party it names
    ├── Unauthenticated (401)      request authentication missing, stale, replayed or forged
    ├── Forbidden (403)            the participant may not do this (unknown, suspended, not its swap)
    ├── NotFound (404)             no such swap
    ├── Conflict (409)             wrong state for the call, idempotency clash, quote expired
    │   └── RateUnavailable (409)  the oracle has no usable rate for a pair (stale, halted, no data)
    └── Unavailable (503)          the oracle or a ledger cannot be used right now (stale, halted, down)
"""

from __future__ import annotations

from corridor.errors import CorridorError


class BridgeError(CorridorError):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, field: str | None = None, rule: str | None = None, swap_id: str | None = None) -> None:
        self.detail = detail
        self.field = field
        self.rule = rule  # which rule refused, in a few words ("account frozen"), for the supervisor's refusals by rule
        self.swap_id = swap_id  # the swap the refused instruction named, when known
        super().__init__(detail if field is None else f"{field}: {detail}")


class InvalidInstruction(BridgeError):
    status = 422
    code = "invalid_instruction"


class SignatureInvalid(BridgeError):
    status = 401
    code = "signature_invalid"


class Unauthenticated(BridgeError):
    status = 401
    code = "unauthenticated"


class Forbidden(BridgeError):
    status = 403
    code = "forbidden"


class NotFound(BridgeError):
    status = 404
    code = "not_found"


class Conflict(BridgeError):
    status = 409
    code = "conflict"


class RateUnavailable(Conflict):
    """The oracle has no usable rate; ``detail`` names the currency and since when (never hex)."""

    code = "rate_unavailable"


class Unavailable(BridgeError):
    status = 503
    code = "unavailable"

"""Every instruction the bridge refuses is recorded for the supervisor (``GET /v1/regulator/report``
lists them by rule): the participant, the action, the status it got, the rule and the swap it named.

Recorded by the error handler, after the request's own database transaction has rolled back; a
failure to record is logged and never changes the answer the bank gets."""

from __future__ import annotations

import logging
import re

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from bridge.errors import BridgeError, Conflict, Forbidden, InvalidInstruction, NotFound, RateUnavailable, SignatureInvalid

logger = logging.getLogger(__name__)

_ACTIONS = [(re.compile(r"^/v1/swaps/batch/accept$"), "accept"), (re.compile(r"^/v1/swaps/batch/secrets$"), "reveal"),
            (re.compile(r"^/v1/swaps/batch$"), "submit"), (re.compile(r"^/v1/swaps$"), "submit"),
            (re.compile(r"^/v1/swaps/(0x[0-9a-fA-F]{64})/accept$"), "accept"), (re.compile(r"^/v1/swaps/(0x[0-9a-fA-F]{64})/secret$"), "reveal"),
            (re.compile(r"^/v1/swaps/(0x[0-9a-fA-F]{64})/cancel$"), "cancel"), (re.compile(r"^/v1/quotes$"), "quote")]  # fmt: skip


def rule_of(exc: BridgeError) -> str:
    """The rule that refused, as the intake named it; else the kind of refusal."""
    if exc.rule:
        return exc.rule
    if isinstance(exc, RateUnavailable):
        return "oracle rate unavailable"
    if isinstance(exc, SignatureInvalid):
        return "signature invalid"
    if isinstance(exc, Forbidden):
        return "not permitted"
    if isinstance(exc, NotFound):
        return "unknown swap"
    if isinstance(exc, InvalidInstruction):
        return f"invalid {exc.field.split('.')[-1]}" if exc.field else "invalid instruction"
    if isinstance(exc, Conflict):
        return f"conflict on {exc.field.split('.')[-1]}" if exc.field else "conflict"
    return exc.code


async def record_refusal(request: Request, exc: BridgeError) -> None:
    if request.method != "POST" or exc.status in (401, 503):  # unauthenticated noise is not an instruction refused
        return
    path = request.url.path
    for pattern, action in _ACTIONS:
        found = pattern.match(path)
        if found:
            break
    else:
        return
    refusals = getattr(request.app.state, "refusals", None)
    if refusals is None:
        return
    swap_id = exc.swap_id or (found.group(1) if found.groups() else None)
    try:
        await run_in_threadpool(refusals.record, participant=request.headers.get("X-Corridor-Participant"), action=action,
                                status=exc.status, error=exc.code, rule=rule_of(exc), detail=exc.detail, field=exc.field,
                                swap_id=swap_id)  # fmt: skip
    except Exception:  # the bank's answer stands; the record is lost and the log says so
        logger.exception("refusal not recorded path=%s error=%s", path, exc.code)

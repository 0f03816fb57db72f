"""Swaps: submit, accept, reveal, cancel, read, list, follow. Routes only translate; the coordinator decides."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BeforeValidator
from sqlalchemy.exc import SQLAlchemyError

from bridge.api.changes import SAFETY_POLL_SECONDS, changed
from bridge.api.errors import stream_error
from bridge.api.idempotency import idempotent
from bridge.api.deps import BankDep, CallerDep, CoordinatorDep, IdempotencyKey, RepoDep
from bridge.api.schemas import (MAX_POSITION, HtlcSwapCreate, PvPSwapCreate, SecretReveal, SwapAccept, SwapBatchAccept, SwapBatchCreate,
                                SwapBatchPublic, SwapBatchSecrets, SwapCreate, SwapPage, SwapPublic)  # fmt: skip
from bridge.engine.intake import listed
from bridge.domain.swap import TERMINAL, Swap, SwapState
from bridge.errors import Forbidden
from bridge.store.swaps import SwapRepository

router = APIRouter(prefix="/v1/swaps", tags=["swaps"])


def _iso_datetime(value: Any) -> Any:
    """``since`` is an ISO 8601 date-time; a bare number (``0.5``, ``1700000000``) is refused, not read as unix time."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        raise ValueError("an ISO 8601 date-time (2026-12-01T09:30:00Z), not a number")
    return value


_NUMBER = re.compile(r"[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?")
Since = Annotated[datetime | None, BeforeValidator(_iso_datetime),
                  Query(description="only swaps created at or after this ISO 8601 date-time")]


def to_public(swap: Swap, repo: SwapRepository) -> dict[str, Any]:
    return _public(swap, repo.journal(swap.id))


def to_public_many(swaps: list[Swap], repo: SwapRepository) -> list[dict[str, Any]]:
    """:func:`to_public` for a page of swaps, with one journal query for all of them."""
    journals = repo.journals([swap.id for swap in swaps])
    return [_public(swap, journals[swap.id]) for swap in swaps]


def _big(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 else value


def _public(swap: Swap, transitions: list[dict[str, Any]]) -> dict[str, Any]:
    data = dataclasses.asdict(swap)
    data.pop("signature_a"), data.pop("signature_b"), data.pop("secret"), data.pop("history")
    for leg in ("leg_a", "leg_b"):
        data[leg].pop("authorisation"), data[leg].pop("lock_nonce")
    data["transitions"] = transitions
    # Integers beyond 2^53 as decimal strings, everywhere (a JavaScript client would round them otherwise).
    data["terms"] = {name: _big(value) for name, value in data["terms"].items()}
    for name in ("rate", "oracle_mid", "oracle_round"):
        data[name] = _big(data[name])
    return SwapPublic.model_validate(data).model_dump(by_alias=True)


def _visible(swap: Swap, caller: Any) -> None:
    if not caller.is_regulator and swap.party_of(caller.name) is None:
        raise Forbidden("a bank sees only its own swaps", field="id")


async def _idempotent(request: Request, caller: Any, key: str | None, status: int, action: Any, repo: SwapRepository) -> JSONResponse:
    return await idempotent(request, caller.name, key, status, action, repo)


@router.post("", status_code=201, response_model=SwapPublic,
             responses={401: {}, 403: {}, 409: {}, 422: {}})  # fmt: skip
async def submit_swap(request: Request, body: Annotated[SwapCreate, Body()], caller: BankDep,
                      coordinator: CoordinatorDep, repo: RepoDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """The initiator's signed order (and, across ledgers, its authorisation to lock its leg)."""

    def action() -> dict[str, Any]:
        if isinstance(body, PvPSwapCreate):
            swap = coordinator.submit_pvp(caller.name, body.ledger, body.terms.model_dump(), body.signature)
        else:
            assert isinstance(body, HtlcSwapCreate)
            swap = coordinator.submit_htlc(caller.name, body.order.model_dump(), body.signature, body.lock_signature, body.lock_nonce)
        return to_public(swap, repo)

    return await _idempotent(request, caller, idempotency_key, 201, action, repo)


# ─── instruction files: many instructions in one request, checked together, recorded all or none ──


async def _bulk(request: Request, caller: Any, repo: SwapRepository, key: str | None, status: int,
                step: Callable[[], list[Swap]]) -> JSONResponse:  # fmt: skip
    """Runs one intake step over a request's instructions; answers each swap's id and state, and the
    journal position before the request (everything that happens to these swaps comes after it)."""

    def action() -> dict[str, Any]:
        seq = repo.last_seq()
        swaps = step()
        return {"items": [{"id": swap.id, "state": swap.state.value} for swap in swaps], "seq": seq}

    return await _idempotent(request, caller, key, status, action, repo)


@router.post("/batch", status_code=201, response_model=SwapBatchPublic, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def submit_swaps(request: Request, body: SwapBatchCreate, caller: BankDep, coordinator: CoordinatorDep, repo: RepoDep,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """Many orders of the caller at once (a payment file): checked against one snapshot of the ledgers,
    funding counted across the whole file, recorded all or none. A refusal names the instruction's
    place: ``swaps.<index>.<field>``."""
    instructions = [item.model_dump() for item in body.swaps]
    return await _bulk(request, caller, repo, idempotency_key, 201,
                       lambda: coordinator.intake.submit(caller.name, instructions, listed("swaps")))  # fmt: skip


@router.post("/batch/accept", response_model=SwapBatchPublic, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def accept_swaps(request: Request, body: SwapBatchAccept, caller: BankDep, coordinator: CoordinatorDep, repo: RepoDep,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """Many acceptances of the caller at once, all or none; refusals name ``acceptances.<index>.<field>``."""
    acceptances = [item.model_dump() for item in body.acceptances]
    return await _bulk(request, caller, repo, idempotency_key, 200,
                       lambda: coordinator.intake.accept(caller.name, acceptances, listed("acceptances")))  # fmt: skip


@router.post("/batch/secrets", response_model=SwapBatchPublic, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def reveal_secrets(request: Request, body: SwapBatchSecrets, caller: BankDep, coordinator: CoordinatorDep, repo: RepoDep,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """Many preimages of the caller at once, all or none; refusals name ``secrets.<index>.<field>``."""
    reveals = [item.model_dump() for item in body.secrets]
    return await _bulk(request, caller, repo, idempotency_key, 200,
                       lambda: coordinator.intake.reveal(caller.name, reveals, listed("secrets")))  # fmt: skip


# ─── one instruction per request ─────────────────────────────────────────────────────────


@router.post("/{swap_id}/accept", response_model=SwapPublic, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def accept_swap(request: Request, swap_id: str, body: SwapAccept, caller: BankDep, coordinator: CoordinatorDep,
                      repo: RepoDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """The counterparty's acceptance (and, across ledgers, its authorisation to lock its leg)."""

    def action() -> dict[str, Any]:
        swap = coordinator.accept(caller.name, swap_id, body.signature, body.lock_signature, body.lock_nonce)
        return to_public(swap, repo)

    return await _idempotent(request, caller, idempotency_key, 200, action, repo)


@router.post("/{swap_id}/secret", response_model=SwapPublic, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def reveal_secret(request: Request, swap_id: str, body: SecretReveal, caller: BankDep, coordinator: CoordinatorDep,
                        repo: RepoDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """The initiator's preimage, once both legs are locked."""

    def action() -> dict[str, Any]:
        swap = coordinator.reveal(caller.name, swap_id, body.secret)
        return to_public(swap, repo)

    return await _idempotent(request, caller, idempotency_key, 200, action, repo)


@router.post("/{swap_id}/cancel", response_model=SwapPublic, responses={401: {}, 403: {}, 404: {}, 409: {}})
async def cancel_swap(request: Request, swap_id: str, caller: BankDep, coordinator: CoordinatorDep, repo: RepoDep,
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """Cancels a swap before anything is locked."""
    return await _idempotent(request, caller, idempotency_key, 200,
                             lambda: to_public(coordinator.cancel(caller.name, swap_id), repo), repo)  # fmt: skip


@router.get("/{swap_id}", response_model=SwapPublic, responses={401: {}, 403: {}, 404: {}})
def get_swap(swap_id: str, caller: CallerDep, repo: RepoDep) -> dict[str, Any]:
    """State, both legs with ledgers and tx hashes, rate, quote and every transition."""
    swap = repo.get(swap_id)
    _visible(swap, caller)
    return to_public(swap, repo)


@router.get("", response_model=SwapPage, responses={401: {}, 403: {}, 422: {}})
def list_swaps(caller: CallerDep, repo: RepoDep, participant: Annotated[str | None, Query(max_length=64)] = None,
                     state: SwapState | None = None, since: Since = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0) -> dict[str, Any]:  # fmt: skip
    """A bank's own swaps (the regulator's: anyone's), filtered and paged."""
    if not caller.is_regulator:
        if participant is not None and participant != caller.name:
            raise Forbidden("a bank sees only its own swaps", field="participant")
        participant = caller.name
    swaps = repo.list(participant=participant, state=state.value if state else None, since=since, limit=limit, offset=offset)
    return {"items": to_public_many(swaps, repo), "limit": limit, "offset": offset}


@router.get("/{swap_id}/events", responses={401: {}, 403: {}, 404: {}})
async def swap_events(swap_id: str, request: Request, caller: CallerDep, repo: RepoDep) -> StreamingResponse:
    """Server-sent events: each transition of the swap as it happens, ending at a terminal state."""
    _visible(await run_in_threadpool(repo.get, swap_id), caller)
    changes = request.app.state.changes

    async def stream() -> AsyncIterator[str]:
        sent = 0
        with changes.subscribe(swap_id) as change:
            while True:
                change.clear()
                # A transition and the swap's new state are written in one database transaction, so
                # the journal's last entry is the swap's state: terminal there means nothing follows.
                try:
                    journal = await run_in_threadpool(repo.journal, swap_id)
                except SQLAlchemyError as exc:  # the stream ends with a JSON error; the client reconnects
                    yield f"event: error\ndata: {json.dumps(stream_error(exc))}\n\n"
                    return
                for entry in journal[sent:]:
                    yield f"event: transition\ndata: {json.dumps(entry)}\n\n"
                sent = len(journal)
                if journal and SwapState(journal[-1]["to"]) in TERMINAL:
                    return
                await changed(change, SAFETY_POLL_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream")

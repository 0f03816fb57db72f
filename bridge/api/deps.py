"""FastAPI dependencies: the services on app.state, and the authenticated caller."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool

from bridge.api.auth import REGULATOR, verify
from bridge.engine.coordinator import Coordinator
from bridge.errors import Forbidden, Unauthenticated
from bridge.store.swaps import SwapRepository


@dataclass(frozen=True)
class Caller:
    name: str
    is_regulator: bool


def get_coordinator(request: Request) -> Coordinator:
    return request.app.state.coordinator  # type: ignore[no-any-return]


def get_repo(request: Request) -> SwapRepository:
    return request.app.state.repo  # type: ignore[no-any-return]


async def get_caller(request: Request) -> Caller:
    coordinator: Coordinator = request.app.state.coordinator
    name = request.headers.get("X-Corridor-Participant")
    address = None
    if name == REGULATOR:
        address = coordinator.network.keys.address(REGULATOR)
    elif name and name.lower() in coordinator.network.settings.participants:
        name = name.lower()
        address = coordinator.participant_address(name)
    body = await request.body()
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    now = time.time()
    stamp, replay = verify(participant=name, timestamp=request.headers.get("X-Corridor-Timestamp"),
                   nonce=request.headers.get("X-Corridor-Nonce"),
                   signature=request.headers.get("X-Corridor-Signature"), expected_address=address,
                   method=request.method, path=path, body=body, now=now)  # fmt: skip
    if not await run_in_threadpool(coordinator.repo.claim_request_signature, replay, stamp + 60, int(now)):
        raise Unauthenticated("this signed request was already used (replay)", field="X-Corridor-Signature")
    assert name is not None
    return Caller(name=name, is_regulator=name == REGULATOR)


async def get_bank(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if caller.is_regulator:
        raise Forbidden("the regulator reads; it does not instruct swaps", field="X-Corridor-Participant")
    return caller


CoordinatorDep = Annotated[Coordinator, Depends(get_coordinator)]
RepoDep = Annotated[SwapRepository, Depends(get_repo)]
CallerDep = Annotated[Caller, Depends(get_caller)]
BankDep = Annotated[Caller, Depends(get_bank)]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=128,
                                              description="any text up to 128 characters; a retry with the same key and body "
                                                          "gets the first answer, with another body a 409")]

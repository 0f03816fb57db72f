"""``Idempotency-Key`` on every POST: a retry gets the first answer, whatever happened meanwhile.

The first answer is recorded in the same database transaction as the request's effect (a crash
cannot leave an effect whose retry would be refused instead of answered). Retries that arrive while
the first request is still running wait for it (one lock per participant and key in this process)
and then get its answer; a retry that lost a race with another process (the effect or the answer
was recorded meanwhile) gets that answer, once readable (waiting up to :data:`WAIT_SECONDS`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from bridge.errors import Conflict
from bridge.store.swaps import SwapRepository

WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.05


class _KeyLocks:
    """One lock per (participant, key) while a request holding it runs."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], tuple[threading.Lock, int]] = {}

    def acquire(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        lock.acquire()
        return lock

    def release(self, key: tuple[str, str]) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
        lock.release()


_locks = _KeyLocks()


async def idempotent(request: Request, participant: str, key: str | None, status: int, action: Callable[[], Any],
                     repo: SwapRepository) -> JSONResponse:  # fmt: skip
    """Replays the first response for a retried (participant, Idempotency-Key); else runs ``action``
    (JSON-able result) and records its response together with its effect."""
    body = await request.body()

    def replay() -> JSONResponse | None:
        stored = repo.idempotent_response(participant, key, body) if key else None
        return None if stored is None else JSONResponse(stored[1], status_code=stored[0], headers={"Idempotent-Replay": "true"})

    def run() -> JSONResponse:
        with repo.together():
            result = action()
            if key:
                repo.remember_response(participant, key, body, status, result)
        return JSONResponse(result, status_code=status)

    def waited_replay() -> JSONResponse | None:
        """The answer another process is recording: read it once it commits."""
        until = time.monotonic() + WAIT_SECONDS
        while True:
            answer = replay()
            if answer is not None or time.monotonic() > until:
                return answer
            time.sleep(_POLL_SECONDS)

    def once() -> JSONResponse:
        if not key:
            return run()
        held = (participant, key)
        _locks.acquire(held)
        try:
            answer = replay()
            if answer is not None:
                return answer
            try:
                return run()
            except Conflict:  # the same effect recorded meanwhile by another process? Then its answer is there
                answer = replay()
                if answer is None:
                    raise
                return answer
            except IntegrityError:  # the answer of another process being recorded: read it once committed
                answer = waited_replay()
                if answer is None:
                    raise
                return answer
        finally:
            _locks.release(held)

    return await run_in_threadpool(once)

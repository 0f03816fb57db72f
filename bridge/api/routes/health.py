"""Health and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["health"])


@router.get("/v1/health")
async def health(request: Request) -> dict[str, Any]:
    """Each ledger (up, or down since when and why; head block and lag; its clock), the skew between
    the ledgers' clocks, the database (does it take writes?), the worker's lanes (alive, last
    successful pass), the reconciler and open alerts. Always 200: read ``ok``, and ``problems`` for
    what is wrong. Answers from the probes' cached results, at once, whatever hangs."""
    return request.app.state.operations.health()  # type: ignore[no-any-return]


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text. The figures read from the database are refreshed for at most 2 s (a database
    that hangs leaves them as last read; ``corridor_database_up`` says why)."""
    state = request.app.state
    try:
        await asyncio.wait_for(run_in_threadpool(state.metrics.refresh, state.repo), timeout=2.0)
    except TimeoutError:
        pass
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

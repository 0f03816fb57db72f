"""Health and Prometheus metrics."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bridge.api.deps import CoordinatorDep
from corridor.errors import ChainRejected

router = APIRouter(tags=["health"])


@router.get("/v1/health")
def health(request: Request, coordinator: CoordinatorDep) -> dict[str, Any]:
    """Ledgers reachable, oracle freshness per ledger, database reachable. Always 200; read ``ok``."""
    settings = coordinator.network.settings
    ledgers: dict[str, Any] = {}
    for name, client in coordinator.network.clients.items():
        try:
            block = client.w3.eth.block_number
            pair = settings.oracle.pairs[0]
            oracle = coordinator.chain.contract(name, "oracle")
            try:
                rate = oracle.functions.latest(settings.oracle.base_currency.encode(), pair.encode()).call()
                oracle_state = {"fresh": True, "age_seconds": coordinator.chain.now(name) - rate[4]}
            except Exception as exc:  # stale, halted or no round: reported, not raised
                oracle_state = {"fresh": False, "reason": type(exc).__name__ if not isinstance(exc, ChainRejected) else exc.error}
            ledgers[name] = {"reachable": True, "block": block, "oracle": oracle_state}
        except Exception as exc:
            ledgers[name] = {"reachable": False, "reason": str(exc)[:200]}
    try:
        with request.app.state.db_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = {"reachable": True}
    except Exception as exc:
        database = {"reachable": False, "reason": str(exc)[:200]}
    ok = database["reachable"] and all(l.get("reachable") for l in ledgers.values())
    return {"ok": ok, "ledgers": ledgers, "database": database, "time": int(time.time())}


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    request.app.state.metrics.refresh(request.app.state.repo)
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

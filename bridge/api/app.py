"""``create_app``: builds the store, coordinator, worker and routes for one network."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import SQLAlchemyError

from bridge.api import docs, errors, openapi
from bridge.api.changes import SAFETY_POLL_SECONDS, ChangeFeed, changed
from bridge.api.deps import CallerDep, RepoDep
from bridge.api.metrics import Metrics, oracle_statuses
from bridge.api.routes import health, market, regulator, signing, swaps
from bridge.api.schemas import MAX_POSITION
from bridge.engine.coordinator import Coordinator, Worker
from bridge.engine.intake import Policy
from bridge.engine.operations import Operations
from bridge.engine.powers import LocalKeySigner, RegulatorSigner, SupervisoryPowers
from bridge.store.actions import ActionRepository
from bridge.store.alerts import AlertRepository
from bridge.store.db import make_engine, migrate, session_factory
from bridge.store.journal_reader import JournalReader
from bridge.store.live_counts import LiveCounts
from bridge.store.refusals import RefusalRepository
from bridge.store.swaps import SwapRepository
from corridor.config import AlertsConfig, Settings
from corridor.errors import CorridorError
from corridor.keys import REGULATOR
from corridor.network import Network
from corridor.transport import RpcTimeouts


MAX_FOLLOW_SECONDS = 300.0  # the longest one event stream stays open (reconnect with after=<last seq>)
_EVENTS_PAGE = 500  # journal rows read per query by the global event stream
_EVENTS_GATHER_SECONDS = 0.02  # the global stream reads a burst of changes at once, at most this much later


DESCRIPTION = """Cross-border PvP settlement: signed swap instructions in, both legs settled or both refunded.

Every `/v1` request except `GET /v1/health` and `GET /v1/signing` is signed by the participant's key (security
schemes below; the canonical text and its rules are data at `GET /v1/signing`). What a bank signs for a swap (EIP-712
domains and types, the rate scale, the amount rounding rule, the expiry rules, the HTLC ABI and lock-id formula) is
published at `GET /v1/signing`. docs/integration.md walks through one same-ledger and one cross-ledger swap in raw HTTP,
with test vectors. Every refusal is `{"error", "detail", "field"}` (schema `Error`). Integers are JSON integers."""


def bridge_timing(settings: Settings) -> dict[str, float]:
    """The ``create_app`` keywords set by the ``[bridge]`` section: RPC timeout, probe and reconcile intervals."""
    bridge = settings.bridge
    return {"rpc_timeout": bridge.rpc_timeout_seconds, "probe_interval": bridge.probe_interval_seconds,
            "reconcile_interval": bridge.reconcile_interval_seconds}  # fmt: skip


def create_app(network: Network, database_url: str, *, policy: Policy | None = None, worker_interval: float = 0.2,
               max_batch: int = 100, start_worker: bool = True, probe_interval: float = 1.0, reconcile_interval: float = 30.0,
               rpc_timeout: float = 5.0, extensions: Sequence[Callable[[FastAPI], None]] = (),
               alert_config: AlertsConfig | None = None) -> FastAPI:  # fmt: skip
    """The bridge for ``network`` (deployed), persisting to ``database_url`` (migrated on start).

    ``rpc_timeout``: seconds any one ledger call may take (each ledger's circuit breaker opens on a
    timeout); ``probe_interval``: how often each ledger and the database are probed (health and the
    breakers follow these probes); ``reconcile_interval``: how often the journal is compared with the
    chains (and once at start). ``alert_config``: the supervisor's alert checks and webhook (default: the
    network's ``[alerts]``). ``extensions``: called with the app once its routes are in place (the
    applications mount the console this way); one may append to ``app.state.on_start`` and
    ``app.state.on_stop``, called with the app once the bridge's services are up and before they stop."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The process's interpreter lock changes hands this often among busy threads (bridge.interpreter_switch_ms).
        sys.setswitchinterval(network.settings.bridge.interpreter_switch_ms / 1000)
        migrate(database_url)
        engine = make_engine(database_url)
        sessions = session_factory(engine)
        # every commit that journals wakes the streams following the journal (the banks' event streams, the console)
        app.state.changes = ChangeFeed()
        repo, alerts = SwapRepository(sessions, on_journal=app.state.changes.journalled), AlertRepository(sessions)
        app.state.refusals = RefusalRepository(sessions)
        app.state.sessions, app.state.database_url = sessions, database_url
        # the journal's aggregates at its latest position, for the regulator's overview and the console's live counts
        app.state.live_counts = LiveCounts(JournalReader(sessions, database_url=database_url))
        for client in network.clients.values():
            client.set_timeouts(RpcTimeouts(connect=min(2.0, rpc_timeout), read=rpc_timeout))
        coordinator = Coordinator(network, repo, policy=policy, on_change=lambda swap: _changed(app, swap), alerts=alerts)
        worker = Worker(coordinator, interval=worker_interval, max_batch=max_batch)
        operations = Operations(coordinator, worker, alerts, probe_interval=probe_interval, reconcile_interval=reconcile_interval,
                                alert_config=alert_config)  # fmt: skip
        metrics = Metrics(operations, oracle=oracle_statuses(network))
        app.state.db_engine, app.state.repo, app.state.alerts, app.state.metrics = engine, repo, alerts, metrics
        app.state.coordinator, app.state.worker, app.state.operations = coordinator, worker, operations
        app.state.actions = ActionRepository(sessions)
        app.state.powers = SupervisoryPowers(coordinator.chain, app.state.actions, regulator_signer(network))
        # probes, the reconciler (a first run at once), the alert checks and the worker's lanes, which
        # resume every unfinished swap from the database and the chains
        operations.start(worker=start_worker)
        for hook in app.state.on_start:
            hook(app)
        try:
            yield
        finally:
            for hook in reversed(app.state.on_stop):
                hook(app)
            operations.stop()
            engine.dispose()

    app = FastAPI(title="Corridor bridge", version="1.0.0", lifespan=lifespan, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  generate_unique_id_function=lambda route: route.name)  # operationId: the route's function name
    app.state.on_start, app.state.on_stop = [], []
    errors.install(app)
    docs.install(app)  # Swagger UI and ReDoc from the package's own copies: they work offline
    app.include_router(health.router)
    app.include_router(signing.router)
    app.include_router(market.router)
    app.include_router(swaps.router)
    app.include_router(regulator.router)

    @app.get("/v1/events", tags=["swaps"], responses={401: {}})
    async def all_events(caller: CallerDep, repo: RepoDep, after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
                         follow_seconds: Annotated[float, Query(ge=0, le=MAX_FOLLOW_SECONDS)] = 30.0) -> StreamingResponse:  # fmt: skip
        """Server-sent events of every transition the caller may see (the regulator: all), for up to
        ``follow_seconds`` (reconnect with ``after`` = the last ``seq`` received)."""
        participant = None if caller.is_regulator else caller.name
        follow = follow_seconds

        async def stream() -> AsyncIterator[str]:
            seq = max(after, 0)
            until = asyncio.get_running_loop().time() + follow
            with app.state.changes.subscribe() as change:
                while True:
                    change.clear()
                    try:
                        page = await run_in_threadpool(repo.transitions_since, seq, participant=participant, limit=_EVENTS_PAGE)
                    except SQLAlchemyError as exc:  # the stream ends with a JSON error; reconnect with after=<last seq>
                        yield f"event: error\ndata: {json.dumps(errors.stream_error(exc))}\n\n"
                        return
                    for entry in page.entries:
                        yield f"id: {entry['seq']}\nevent: transition\ndata: {json.dumps(entry)}\n\n"
                    seq = page.read_to
                    left = until - asyncio.get_running_loop().time()
                    if left <= 0:
                        return
                    if not page.full:  # after a full page more are waiting: read on at once
                        await changed(change, min(left, SAFETY_POLL_SECONDS), gather=_EVENTS_GATHER_SECONDS)

        return StreamingResponse(stream(), media_type="text/event-stream")

    openapi.install(app)
    for extend in extensions:
        extend(app)
    return app


def regulator_signer(network: Network) -> RegulatorSigner | None:
    """The signer of the regulator's transactions: in development, the regulator's key from the
    configuration (:class:`LocalKeySigner`); None when this bridge holds no regulator key (its powers
    are then refused with a 503 naming why). See :mod:`bridge.engine.powers` for a real deployment."""
    try:
        return LocalKeySigner(network.keys.account(REGULATOR))
    except CorridorError:
        return None


def _changed(app: FastAPI, swap: Any) -> None:
    app.state.metrics.observe(swap)
    app.state.worker.wake()

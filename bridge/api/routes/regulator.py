"""The regulator's read-only views: the overview, the supervision model (the report's data, paged),
one swap's timeline across both ledgers, the alerts. Readable only with the regulator's key.

Every figure comes from the supervision model (:mod:`supervision`); these routes only read the
journal and hand it over."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from bridge.api.deps import Caller, CoordinatorDep, RepoDep, get_caller
from bridge.api.routes.swaps import to_public
from bridge.errors import Forbidden
from bridge.store.alerts import KINDS
from bridge.store.journal_reader import JournalReader
from supervision.assemble import model_for, overview_for
from supervision.build import DEFAULT_PAGE
from supervision.inputs import Evidence
from supervision.model import Overview, SupervisionModel

router = APIRouter(prefix="/v1/regulator", tags=["regulator"])


async def get_regulator(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if not caller.is_regulator:
        raise Forbidden("only the regulator's key may read the supervisory views", field="X-Corridor-Participant")
    return caller


RegulatorDep = Annotated[Caller, Depends(get_regulator)]


def _reader(request: Request) -> JournalReader:
    return JournalReader(request.app.state.sessions, database_url=request.app.state.database_url)


def _evidence(request: Request) -> Evidence:
    """What the application serving this bridge knows beyond the journal and the chains (``corridor up``:
    where its oracle fixings came from)."""
    evidence = getattr(request.app.state, "evidence", None)
    return evidence if isinstance(evidence, Evidence) else Evidence()


@router.get("/overview", response_model=Overview, responses={401: {}, 403: {}})
async def overview(caller: RegulatorDep, coordinator: CoordinatorDep, request: Request) -> Overview:
    """Swaps by state and model and the value settled per currency, counted in the database over every
    swap; each bank's balances now (major units); every oracle pair's state on every ledger (``oracle``)
    and the pairs without a usable rate, with why (``oracle_unavailable``)."""
    reader = _reader(request)
    return await run_in_threadpool(lambda: overview_for(coordinator.network, reader.aggregates(), evidence=_evidence(request)))


@router.get("/swaps/{swap_id}/timeline", responses={401: {}, 403: {}, 404: {}})
def timeline(swap_id: str, caller: RegulatorDep, repo: RepoDep) -> dict[str, Any]:
    """Every step of one swap across both ledgers: order, acceptance, locks, reveal, claims or refunds,
    with ledger, block, transaction hash and the oracle round the swap was checked against."""
    swap = to_public(repo.get(swap_id), repo)
    return {"swap": swap["id"], "model": swap["model"], "state": swap["state"], "oracle_round": swap["oracle_round"],
            "oracle_mid": swap["oracle_mid"], "steps": swap["transitions"]}  # fmt: skip


@router.get("/report", response_model=SupervisionModel, responses={401: {}, 403: {}})
async def report(caller: RegulatorDep, coordinator: CoordinatorDep, request: Request,
                 offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
                 limit: Annotated[int, Query(ge=1, le=1_000)] = DEFAULT_PAGE) -> SupervisionModel:  # fmt: skip
    """The supervision model over every swap of this bridge and the ledgers from genesis: verdicts (PFMI
    P8, P12, P17, G20), indicators, finality in ledger time, cost, positions, movements, reconciliation
    with the chains, liquidity, concentration, risk, exceptions, refusals, the oracle. The long listings
    (swaps, timelines, movements) are pages: ``offset`` and ``limit`` choose one, ``holds`` says which."""
    reader = _reader(request)
    return await run_in_threadpool(lambda: model_for(coordinator.network, reader.facts(), evidence=_evidence(request),
                                                     offset=offset, limit=limit))  # fmt: skip


@router.get("/alerts", responses={401: {}, 403: {}})
def alerts(caller: RegulatorDep, request: Request, open_only: bool = False, kind: str | None = Query(None, max_length=32),
           limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0, le=2**62)] = 0) -> dict[str, Any]:  # fmt: skip
    """Exceptions raised for the supervisor, newest first: escrow activity for a swap the journal does
    not know, a journal the chains contradict (corrected), a one-legged swap, a reused nonce, ledger
    clocks apart. Each with its ledger, swap and transaction, when raised and last seen, and when
    (and how) it was resolved."""
    found = request.app.state.alerts.list(open_only=open_only, kind=kind, limit=limit, offset=offset)
    return {"items": [alert.as_dict() for alert in found], "kinds": KINDS, "limit": limit, "offset": offset}

"""The regulator's views — the overview, the supervision model (the report's data, paged), one swap's
timeline across both ledgers, the alerts, the audit trail of its powers, what its powers hold now —
and its powers themselves: acknowledge an alert; freeze or unfreeze a bank in a currency, pause or
unpause a currency, resume a halted pair (each recorded in the audit trail with who, when and the
transaction). Only with the regulator's key.

Every figure comes from the supervision model (:mod:`supervision`); these routes only read the
journal and hand it over."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bridge.api.deps import Caller, CoordinatorDep, RepoDep, get_caller
from bridge.api.routes.swaps import to_public
from bridge.engine.powers import PowerRequest, SupervisoryPowers
from bridge.errors import Forbidden, NotFound
from bridge.store.alerts import KINDS
from bridge.store.journal_reader import JournalReader
from supervision.assemble import actions_for, model_for, overview_for
from supervision.build import DEFAULT_PAGE
from supervision.chain import network_facts
from supervision.inputs import Evidence, NetworkFacts
from supervision.model import ActionView, Overview, SupervisionModel

router = APIRouter(prefix="/v1/regulator", tags=["regulator"])


async def get_regulator(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if not caller.is_regulator:
        raise Forbidden("only the regulator's key may read the supervisory views", field="X-Corridor-Participant")
    return caller


RegulatorDep = Annotated[Caller, Depends(get_regulator)]


def _reader(request: Request) -> JournalReader:
    return JournalReader(request.app.state.sessions, database_url=request.app.state.database_url)


def _opening(request: Request) -> dict[str, int] | None:
    """The block each ledger's report period starts after, when the application serving this bridge set
    one (the demo: after the opening issuance); else from genesis."""
    opening = getattr(request.app.state, "opening", None)
    return opening if isinstance(opening, dict) else None


def names(request: Request) -> NetworkFacts:
    """The network's names, currencies and addresses (no ledger read), kept once per app."""
    facts = getattr(request.app.state, "network_names", None)
    if facts is None:
        facts = request.app.state.network_names = network_facts(request.app.state.coordinator.network, read_heads=False)
    return facts  # type: ignore[no-any-return]


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
    counts = request.app.state.live_counts
    return await run_in_threadpool(lambda: overview_for(coordinator.network, counts.current(), evidence=_evidence(request)))


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
                                                     opening=_opening(request), offset=offset, limit=limit))  # fmt: skip


@router.get("/alerts", responses={401: {}, 403: {}})
def alerts(caller: RegulatorDep, request: Request, open_only: bool = False, kind: str | None = Query(None, max_length=32),
           limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0, le=2**62)] = 0) -> dict[str, Any]:  # fmt: skip
    """Exceptions raised for the supervisor, newest first: escrow activity for a swap the journal does
    not know, a journal the chains contradict (corrected), a one-legged swap, a reused nonce, ledger
    clocks apart. Each with its ledger, swap and transaction, when raised and last seen, and when
    (and how) it was resolved."""
    found = request.app.state.alerts.list(open_only=open_only, kind=kind, limit=limit, offset=offset)
    return {"items": [alert.as_dict() for alert in found], "kinds": KINDS, "limit": limit, "offset": offset}


class AlertAcknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    note: Annotated[str | None, Field(max_length=500, description="what the regulator makes of it, for the record")] = None


@router.post("/alerts/{alert_id}/acknowledge", responses={401: {}, 403: {}, 404: {}})
async def acknowledge_alert(caller: RegulatorDep, request: Request, alert_id: Annotated[int, Path(ge=1, le=2**62)],
                            body: Annotated[AlertAcknowledge, Body()] = AlertAcknowledge()) -> dict[str, Any]:  # fmt: skip
    """Records that the regulator has seen an alert (who, when, its note). The alert stays open until its
    condition clears; acknowledging it again keeps the first acknowledgement."""
    found = await run_in_threadpool(request.app.state.alerts.acknowledge, alert_id, caller.name, body.note)
    if found is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    return found.as_dict()  # type: ignore[no-any-return]


@router.get("/actions", responses={401: {}, 403: {}})
def actions(caller: RegulatorDep, request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 100,
            offset: Annotated[int, Query(ge=0, le=2**62)] = 0) -> dict[str, Any]:  # fmt: skip
    """The audit trail of the regulator's powers used through the bridge, newest first: who (and through
    what: a console session or the API), when, what, the transaction and its block, or the ledger's refusal."""
    entries = request.app.state.actions.list(limit=limit, offset=offset)
    return {"items": [view.model_dump() for view in actions_for(names(request), entries)], "limit": limit, "offset": offset}


@router.get("/powers", responses={401: {}, 403: {}})
async def powers_state(caller: RegulatorDep, request: Request) -> dict[str, Any]:
    """What the regulator's powers hold now, read from the chains: each currency paused or not, the banks
    frozen in each, the pairs and crosses halted on each ledger."""
    powers: SupervisoryPowers = request.app.state.powers
    state = await run_in_threadpool(powers.state)
    return {"paused": state.paused, "frozen": state.frozen, "halted": state.halted, "signer": powers.signer_address}


class PowerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["freeze", "unfreeze", "pause", "unpause", "resume"]
    currency: Annotated[str | None, Field(min_length=3, max_length=3, description="freeze, unfreeze, pause, unpause")] = None
    participant: Annotated[str | None, Field(min_length=1, max_length=64, description="freeze, unfreeze: the bank's name")] = None
    pair: Annotated[str | None, Field(min_length=6, max_length=7, description="resume: EUR/CHF")] = None
    ledger: Annotated[str | None, Field(min_length=1, max_length=32, description="resume: whose oracle")] = None
    reason: Annotated[str | None, Field(max_length=500, description="why, for the record")] = None


@router.post("/actions", status_code=201, response_model=ActionView, responses={401: {}, 403: {}, 409: {}, 422: {}})
async def use_power(caller: RegulatorDep, request: Request, body: Annotated[PowerCreate, Body()]) -> ActionView:
    """Uses one of the regulator's powers: the bridge sends the transaction signed by the regulator's
    signer, recorded in the audit trail before it is sent (with its hash after, its block or refusal
    once known). 409 when the state already is what the action would make it (already frozen, not halted)."""
    powers: SupervisoryPowers = request.app.state.powers
    wanted = PowerRequest(action=body.action, currency=body.currency, participant=body.participant, pair=body.pair, ledger=body.ledger)

    def run() -> Any:
        return powers.execute(powers.plan(wanted), actor=caller.name, via="api", reason=body.reason)

    entry = await run_in_threadpool(run)
    return actions_for(names(request), [entry])[0]

"""The regulator's read-only views: overview, one swap's timeline across both ledgers, the report data.
Readable only with the regulator's key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from bridge.api.deps import Caller, CoordinatorDep, RepoDep, get_caller
from bridge.api.routes.swaps import to_public, to_public_many
from bridge.engine.network_info import network_info
from bridge.errors import Forbidden
from oracle.status import PairState, read_statuses
from bridge.store.alerts import KINDS

router = APIRouter(prefix="/v1/regulator", tags=["regulator"])


async def get_regulator(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if not caller.is_regulator:
        raise Forbidden("only the regulator's key may read the supervisory views", field="X-Corridor-Participant")
    return caller


RegulatorDep = Annotated[Caller, Depends(get_regulator)]


@router.get("/overview", responses={401: {}, 403: {}})
def overview(caller: RegulatorDep, coordinator: CoordinatorDep, repo: RepoDep) -> dict[str, Any]:
    """Swaps by state and model, value settled per currency, positions by bank and currency, every oracle
    pair's state on every ledger (``oracle``) and the pairs without a usable rate, with why (``oracle_unavailable``)."""
    return _overview(repo.list(limit=10_000), coordinator, repo)


def _overview(swaps: list[Any], coordinator: Any, repo: Any) -> dict[str, Any]:
    settled: dict[str, int] = {}
    by_model: dict[str, int] = {}
    for swap in swaps:
        by_model[swap.model.value] = by_model.get(swap.model.value, 0) + 1
        if swap.state.value == "settled":
            for leg in (swap.leg_a, swap.leg_b):
                settled[leg.currency] = settled.get(leg.currency, 0) + leg.amount
    network = coordinator.network
    positions: dict[str, dict[str, int]] = {bank: {} for bank in network.settings.banks}
    for ledger, client in network.clients.items():  # one batched read per ledger
        held = [(bank, code) for bank in network.settings.banks for code in network.settings.currencies_on(ledger)]
        if not held:
            continue
        balances = client.call_many(*(network.token(code).functions.balanceOf(network.keys.address(bank)) for bank, code in held))
        for (bank, code), balance in zip(held, balances, strict=True):
            positions[bank][code] = int(balance)
    positions = {bank: {code: held_by[code] for code in network.settings.currencies} for bank, held_by in positions.items()}
    oracle = _oracle_pairs(coordinator)
    return {"swaps_by_state": repo.count_by_state(), "swaps_by_model": by_model, "settled_value_minor_units": settled,
            "positions": positions, "oracle": oracle,
            "oracle_unavailable": [row for row in oracle if row["state"] != PairState.FRESH.value]}  # fmt: skip


def _oracle_pairs(coordinator: Any) -> list[dict[str, Any]]:
    """Every configured pair on every ledger: its state (fresh, stale, halted, no_data, not_listed),
    round, mid, last fixing and, when it has no usable rate, why, in words."""
    settings = coordinator.network.settings.oracle
    rows = []
    for ledger in coordinator.network.settings.ledgers:
        contract = coordinator.chain.contract(ledger, "oracle")
        for status in read_statuses(coordinator.chain.client(ledger), contract, settings.base_currency, list(settings.pairs)):
            row = status.as_dict()
            rows.append({**row, "halted": status.state is PairState.HALTED,
                         "mid": float(status.mid) if status.mid is not None else None})  # fmt: skip
    return rows


@router.get("/swaps/{swap_id}/timeline", responses={401: {}, 403: {}, 404: {}})
def timeline(swap_id: str, caller: RegulatorDep, repo: RepoDep) -> dict[str, Any]:
    """Every step of one swap across both ledgers: order, acceptance, locks, reveal, claims or refunds,
    with ledger, block, transaction hash and the oracle round the swap was checked against."""
    swap = to_public(repo.get(swap_id), repo)
    return {"swap": swap["id"], "model": swap["model"], "state": swap["state"], "oracle_round": swap["oracle_round"],
            "oracle_mid": swap["oracle_mid"], "steps": swap["transitions"]}  # fmt: skip


@router.get("/report", responses={401: {}, 403: {}})
def report(caller: RegulatorDep, coordinator: CoordinatorDep, repo: RepoDep) -> dict[str, Any]:
    """The supervisory report's data for this bridge: swaps with timelines and indicators, positions, oracle."""
    from apps.report import build_report

    listed = repo.list(limit=10_000)
    view = _overview(listed, coordinator, repo)
    swaps = to_public_many(listed, repo)
    return build_report(scenarios=[], swaps=swaps, positions=view["positions"], oracle=view["oracle"],
                        network=network_info(coordinator.network))  # fmt: skip


@router.get("/alerts", responses={401: {}, 403: {}})
def alerts(caller: RegulatorDep, request: Request, open_only: bool = False, kind: str | None = Query(None, max_length=32),
           limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0, le=2**62)] = 0) -> dict[str, Any]:  # fmt: skip
    """Exceptions raised for the supervisor, newest first: escrow activity for a swap the journal does
    not know, a journal the chains contradict (corrected), a one-legged swap, a reused nonce, ledger
    clocks apart. Each with its ledger, swap and transaction, when raised and last seen, and when
    (and how) it was resolved."""
    found = request.app.state.alerts.list(open_only=open_only, kind=kind, limit=limit, offset=offset)
    return {"items": [alert.as_dict() for alert in found], "kinds": KINDS, "limit": limit, "offset": offset}

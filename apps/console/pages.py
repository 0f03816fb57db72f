"""The console's pages and the fragments their live parts re-fetch. Each renders a section of the
supervision model (the report's own, from :class:`~apps.console.model_cache.ModelCache`) or, where it
must be live within a second, the model's own function over what just changed (counts, one swap, the
oracle, the alerts, the audit trail)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from apps.console import render as charts
from apps.console.access import ConsoleDenied, RegulatorDep, SessionDep, StateDep, alerts_view, fragment, render, signers
from apps.console.model_cache import Built
from apps.console.state import ConsoleState
from bridge.api.auth import REGULATOR
from bridge.store.db import SwapRow
from bridge.store.web_sessions import WebSession
from supervision.assemble import actions_for, counts_for, oracle_for, swap_detail_for
from supervision.units import money

router = APIRouter(prefix="/console", include_in_schema=False)
FEED_ROWS = 30
SWAP_ROWS = 100
ROUND_STEPS = ("settled", "locked_a", "locked_b", "settling")  # steps checked against the swap's oracle round
# A page waits this long for the model's first build after the bridge started (quick on a short journal);
# past it, its model sections say the figures are being built, and the ``model`` event brings them.
FIRST_BUILD_WAIT_SECONDS = 10.0


def _built(state: ConsoleState) -> Built | None:
    return state.cache.get(wait=FIRST_BUILD_WAIT_SECONDS)


def model_section(state: ConsoleState, built: Built | None, figures: Callable[[Built], dict[str, Any]]) -> dict[str, Any]:
    """What a section of the model's figures renders: the figures and when they were built, or (before the
    first build) ``built`` None: the section says they are being built."""
    if built is None:  # a first build that failed says why (it is tried again at the next change)
        return {"built": None, "refresh_seconds": state.config.model_refresh_seconds,
                "model_error": state.cache.last_error if state.cache.failures else None}  # fmt: skip
    return {**figures(built), "built": built, "built_iso": datetime.fromtimestamp(built.started_at, timezone.utc).isoformat(),
            "refresh_seconds": state.config.model_refresh_seconds}  # fmt: skip


# ─── the journal feed (rows the live stream also pushes) ──────────────────────────────────


def feed_row(entry: dict[str, Any], *, committed_after_ms: int | None = None) -> dict[str, Any]:
    """A journal entry as a row of the feed. ``committed_after_ms`` (live rows): a time the entry's commit
    came after (the later of when its transaction was about to commit and when the stream's previous read
    of the journal, which did not see it, began); the page measures how long after that it showed the row
    (an entry is stamped when written, and a batch's entries commit together at the batch's end)."""
    at = datetime.fromisoformat(entry["at"])
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return {**entry, "at_ms": int(at.timestamp() * 1000), "time": at.strftime("%H:%M:%S.%f")[:-3], "committed_after_ms": committed_after_ms}


def recent_feed(request: Request, participant: str | None, rows: int = FEED_ROWS) -> list[dict[str, Any]]:
    repo = request.app.state.repo
    # A bank's rows are looked for among the journal's latest entries only (20 for each row shown), so
    # a page load does not walk back through the whole journal for a bank with little recent activity.
    start = 0 if participant is None else max(0, repo.last_seq() - rows * 20)
    return [feed_row(entry) for entry in reversed(repo.journal_tail(start, participant=participant, limit=rows).entries)]


def live_counts(request: Request, state: ConsoleState) -> Any:
    return counts_for(state.names, request.app.state.live_counts.current())


# ─── pages ────────────────────────────────────────────────────────────────────────────────


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, session: SessionDep, state: StateDep) -> Response:
    if session.participant != REGULATOR:
        return RedirectResponse("/console/swaps", status_code=303)
    built = await run_in_threadpool(_built, state)
    counts = await run_in_threadpool(live_counts, request, state)
    feed = await run_in_threadpool(recent_feed, request, None)
    return render(request, session, "overview.html.j2", title="Overview", current="/console/", counts=counts,
                  counts_chart=charts.counts_chart(counts.by_state), feed=feed, **model_section(state, built, _overview))  # fmt: skip


def _overview(built: Built) -> dict[str, Any]:
    m = built.model
    return {"finality": charts.finality_chart(m.finality.by_model), "margin": charts.margin_chart(m.cost.corridors)}


@router.get("/fragments/overview", response_class=HTMLResponse)
async def overview_fragment(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    built = await run_in_threadpool(_built, state)
    return fragment("_overview_model.html.j2", **model_section(state, built, _overview))


@router.get("/liquidity", response_class=HTMLResponse)
async def liquidity(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    built = await run_in_threadpool(_built, state)
    return render(request, session, "liquidity.html.j2", title="Liquidity", current="/console/liquidity", **model_section(state, built, _liquidity))  # fmt: skip


def _liquidity(built: Built) -> dict[str, Any]:
    curves = built.model.liquidity.curves
    peaks = [tuple(money(p.net_debit_minor if p else 0, c.currency, c.decimals).display for p in (c.peak_gross, c.peak_netted))
             for c in curves]  # fmt: skip
    return {"curves": [charts.curve_chart(c) for c in curves], "peaks": peaks}


@router.get("/fragments/liquidity", response_class=HTMLResponse)
async def liquidity_fragment(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    built = await run_in_threadpool(_built, state)
    return fragment("_liquidity.html.j2", **model_section(state, built, _liquidity))


@router.get("/risk", response_class=HTMLResponse)
async def risk(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    built = await run_in_threadpool(_built, state)
    return render(request, session, "risk.html.j2", title="Risk", heading="Risk: locks, pending queue, concentration", current="/console/risk",
                  **model_section(state, built, _risk))  # fmt: skip


def _risk(built: Built) -> dict[str, Any]:
    r = built.model.risk
    return {"locks": charts.locks_chart(r.open_locks), "ageing": charts.ageing_chart(r.pending_ageing)}


@router.get("/fragments/risk", response_class=HTMLResponse)
async def risk_fragment(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    built = await run_in_threadpool(_built, state)
    return fragment("_risk.html.j2", **model_section(state, built, _risk))


@router.get("/exceptions", response_class=HTMLResponse)
async def exceptions(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    built = await run_in_threadpool(_built, state)
    alerts = await run_in_threadpool(alerts_view, request)
    return render(request, session, "exceptions.html.j2", title="Exceptions", heading="Alerts, exceptions and refusals",
                  current="/console/exceptions", alerts=alerts, can_acknowledge=True, **model_section(state, built, _exceptions))  # fmt: skip


def _exceptions(built: Built) -> dict[str, Any]:
    return {"others": [e for e in built.model.exceptions.items if e.alert_id is None]}


@router.get("/fragments/exceptions", response_class=HTMLResponse)
async def exceptions_fragment(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    built = await run_in_threadpool(_built, state)
    return fragment("_exceptions.html.j2", **model_section(state, built, _exceptions))


@router.get("/fragments/alerts", response_class=HTMLResponse)
async def alerts_fragment(request: Request, session: RegulatorDep) -> Response:
    alerts = await run_in_threadpool(alerts_view, request)
    return fragment("_alerts.html.j2", alerts=alerts, can_acknowledge=True, session=session)


@router.get("/fragments/banner", response_class=HTMLResponse)
async def banner_fragment(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    from apps.console.access import banner

    return fragment("_alerts_banner.html.j2", banner=await run_in_threadpool(banner, state, request))


def _oracle(request: Request, state: ConsoleState) -> dict[str, Any]:
    network = request.app.state.coordinator.network
    view = oracle_for(network, evidence=getattr(request.app.state, "evidence", None))
    powers = request.app.state.powers
    halted = powers.state().halted
    direct = {(row.ledger, row.pair) for row in view.pairs}
    crosses = [(ledger, pair) for ledger, pairs in halted.items() for pair in pairs if (ledger, pair) not in direct]
    return {"oracle": view, "crosses": crosses, "rounds": [charts.rounds_chart(h) for h in view.history],
            "read_at": datetime.now(timezone.utc).isoformat(), "can_act": powers.available}  # fmt: skip


@router.get("/oracle", response_class=HTMLResponse)
async def oracle(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    context = await run_in_threadpool(_oracle, request, state)
    return render(request, session, "oracle.html.j2", title="Oracle", heading="The FX oracle", current="/console/oracle", **context)


@router.get("/fragments/oracle", response_class=HTMLResponse)
async def oracle_fragment(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    context = await run_in_threadpool(_oracle, request, state)
    return fragment("_oracle.html.j2", session=session, **context)


def _swaps(request: Request, state: ConsoleState, participant: str | None) -> dict[str, Any]:
    names = {name: p.display_name for name, p in state.names.participants.items()}
    currencies = state.names.currencies
    query = select(SwapRow.body, SwapRow.created_at).order_by(SwapRow.created_at.desc(), SwapRow.id.desc()).limit(SWAP_ROWS)
    count = select(func.count()).select_from(SwapRow)
    if participant is not None:
        mine = (SwapRow.initiator == participant) | (SwapRow.counterparty == participant)
        query, count = query.where(mine), count.where(mine)
    with request.app.state.sessions() as db:
        rows = db.execute(query).all()
        total = int(db.scalar(count) or 0)
    swaps = []
    for body, created in rows:
        a, b = body["leg_a"], body["leg_b"]
        swaps.append({"id": body["id"], "model": body["model"], "state": body["state"], "initiator": names.get(body["initiator"], body["initiator"]),
                      "counterparty": names.get(body["counterparty"], body["counterparty"]),
                      "pays": money(int(a["amount"]), a["currency"], currencies[a["currency"]].decimals).display,
                      "receives": money(int(b["amount"]), b["currency"], currencies[b["currency"]].decimals).display,
                      "ordered": (created if created.tzinfo else created.replace(tzinfo=timezone.utc)).isoformat()})  # fmt: skip
    return {"swaps": swaps, "total": total, "feed": recent_feed(request, participant)}


@router.get("/swaps", response_class=HTMLResponse)
async def swaps(request: Request, session: SessionDep, state: StateDep) -> Response:
    participant = None if session.participant == REGULATOR else session.participant
    context = await run_in_threadpool(_swaps, request, state, participant)
    return render(request, session, "swaps.html.j2", title="Swaps" if participant is None else "My swaps", current="/console/swaps", **context)


def _detail(request: Request, state: ConsoleState, session: WebSession, swap_id: str) -> Any:
    record = state.reader.swap(swap_id)
    if record is None:
        raise ConsoleDenied(404, "No such swap", f"The journal has no swap {swap_id}.", back="/console/swaps")
    if session.participant != REGULATOR and session.participant not in (record.initiator, record.counterparty):
        raise ConsoleDenied(403, "Not your swap", "A bank's session sees only the swaps it is a party to.", back="/console/swaps")
    return swap_detail_for(request.app.state.coordinator.network, record)


@router.get("/swaps/{swap_id}", response_class=HTMLResponse)
async def swap(request: Request, swap_id: str, session: SessionDep, state: StateDep) -> Response:
    detail = await run_in_threadpool(_detail, request, state, session, swap_id)
    return render(request, session, "swap.html.j2", title=f"Swap {swap_id[:10]}…", heading=f"{detail.indicator.model.upper()} swap",
                  current="/console/swaps", stream_query=f"?swap={swap_id}", detail=detail, round_steps=ROUND_STEPS)  # fmt: skip


@router.get("/fragments/swaps/{swap_id}", response_class=HTMLResponse)
async def swap_fragment(request: Request, swap_id: str, session: SessionDep, state: StateDep) -> Response:
    detail = await run_in_threadpool(_detail, request, state, session, swap_id)
    return fragment("_swap.html.j2", detail=detail, round_steps=ROUND_STEPS)


def _health(request: Request) -> dict[str, Any]:
    health = request.app.state.operations.health()
    return {"health": health, "health_time": datetime.fromtimestamp(health["time"], timezone.utc).isoformat()}


@router.get("/health", response_class=HTMLResponse)
async def health(request: Request, session: RegulatorDep) -> Response:
    return render(request, session, "health.html.j2", title="Health", heading="Health of the bridge and the ledgers", current="/console/health",
                  **_health(request))  # fmt: skip


@router.get("/fragments/health", response_class=HTMLResponse)
async def health_fragment(request: Request, session: RegulatorDep) -> Response:
    return fragment("_health.html.j2", **_health(request))


def powers_context(request: Request, state: ConsoleState) -> dict[str, Any]:
    powers = request.app.state.powers
    banks = [(bank, state.names.participants[bank].display_name) for bank in request.app.state.coordinator.network.settings.banks]
    audit = actions_for(state.names, request.app.state.actions.list(limit=100))
    return {"powers": powers.state(), "banks": banks, "audit": audit, "signer": powers.signer_address,
            "ledgers": {code: c.ledger for code, c in state.names.currencies.items()}}  # fmt: skip


@router.get("/fragments/powers", response_class=HTMLResponse)
async def powers_fragment(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    context = await run_in_threadpool(powers_context, request, state)
    return fragment("_powers.html.j2", session=session, **context)


__all__ = ["router", "feed_row", "live_counts", "powers_context", "model_section", "signers"]

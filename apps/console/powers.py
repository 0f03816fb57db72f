"""The regulator's powers from the console, and acknowledging alerts. Every state change needs the
session's CSRF token and this bridge's origin; a power is first shown on a confirmation page that says
exactly what will be sent (the plan), and only a second request with that page's one-time confirmation
sends it. The audit trail records each with the session that asked (never its cookie)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from apps.console.access import ConsoleDenied, RegulatorDep, StateDep, alerts_view, check_csrf, fragment, render
from apps.console.pages import powers_context
from bridge.engine.powers import Plan, PowerRequest
from bridge.errors import BridgeError
from bridge.store.web_sessions import WebSession
from supervision.assemble import actions_for

router = APIRouter(prefix="/console", include_in_schema=False)
CONFIRM_SECONDS = 120


@dataclass(frozen=True)
class Pending:
    session: str  # the session's id hash
    plan: Plan
    until: float


class Confirmations:
    """Plans waiting for the regulator's confirmation: one-time, bound to the session, short-lived."""

    def __init__(self) -> None:
        self._pending: dict[str, Pending] = {}
        self._guard = threading.Lock()

    def offer(self, session: WebSession, plan: Plan) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._guard:
            self._pending = {k: v for k, v in self._pending.items() if v.until > now}
            self._pending[token] = Pending(session.id_hash, plan, now + CONFIRM_SECONDS)
        return token

    def take(self, session: WebSession, token: str) -> Plan | None:
        with self._guard:
            found = self._pending.pop(token, None)
        if found is None or found.session != session.id_hash or found.until < time.monotonic():
            return None
        return found.plan


CONFIRMATIONS = Confirmations()


@router.get("/actions", response_class=HTMLResponse)
async def actions_page(request: Request, session: RegulatorDep, state: StateDep, done: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    context = await run_in_threadpool(powers_context, request, state)
    finished = None
    if done is not None:
        record = await run_in_threadpool(request.app.state.actions.get, done)
        finished = actions_for(state.names, [record])[0] if record is not None else None
    return render(request, session, "actions.html.j2", title="Powers", heading="The regulator's powers", current="/console/actions",
                  done=finished, **context)  # fmt: skip


@router.post("/actions/confirm", response_class=HTMLResponse)
async def confirm(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    form = await request.form()
    await check_csrf(request, session, form)

    def field(name: str) -> str | None:
        value = form.get(name)
        return str(value) if value else None

    wanted = PowerRequest(action=field("action") or "", currency=field("currency"), participant=field("participant"), pair=field("pair"),
                          ledger=field("ledger"))  # fmt: skip
    powers = request.app.state.powers
    try:
        plan = await run_in_threadpool(powers.plan, wanted)
    except BridgeError as exc:
        raise ConsoleDenied(exc.status, "Not possible now", exc.detail, back="/console/actions") from exc
    token = CONFIRMATIONS.offer(session, plan)
    return render(request, session, "confirm.html.j2", title="Confirm", heading="Confirm a supervisory action", current="/console/actions",
                  plan=plan, confirmation=token, ttl=CONFIRM_SECONDS)  # fmt: skip


@router.post("/actions/execute")
async def execute(request: Request, session: RegulatorDep, state: StateDep) -> Response:
    form = await request.form()
    await check_csrf(request, session, form)
    plan = CONFIRMATIONS.take(session, str(form.get("confirmation", "")))
    if plan is None:
        raise ConsoleDenied(409, "Confirmation expired", "This confirmation is unknown, was used already or has expired: nothing was sent. "
                                                         "Start again from the powers page.", back="/console/actions")  # fmt: skip
    reason = str(form.get("reason") or "").strip()[:500] or None
    powers = request.app.state.powers
    try:
        entry = await run_in_threadpool(powers.execute, plan, actor=session.participant, via=session.label, reason=reason)
    except BridgeError as exc:  # the chain moved since the confirmation (already frozen meanwhile…): nothing was sent
        raise ConsoleDenied(exc.status, "Not sent", exc.detail, back="/console/actions") from exc
    return RedirectResponse(f"/console/actions?done={entry.id}#result", status_code=303)


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(request: Request, alert_id: Annotated[int, Path(ge=1, le=2**62)], session: RegulatorDep) -> Response:
    form = await request.form()
    await check_csrf(request, session, form)
    note = str(form.get("note") or "").strip()[:500] or None
    found = await run_in_threadpool(request.app.state.alerts.acknowledge, alert_id, session.participant, note)
    if found is None:
        raise ConsoleDenied(404, "No such alert", f"There is no alert {alert_id}.", back="/console/exceptions")
    if request.headers.get("HX-Request"):
        alerts = await run_in_threadpool(alerts_view, request)
        return fragment("_alerts.html.j2", alerts=alerts, can_acknowledge=True, session=session)
    return RedirectResponse("/console/exceptions#alerts", status_code=303)

"""Who is asking, and what the console answers: the cookie session as a FastAPI dependency, the pages'
shared context, HTML errors, and the security headers of every console response."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apps.console.render import counts_chart, environment
from apps.console.state import ConsoleState, console_state
from bridge.api.auth import REGULATOR
from bridge.api.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, Signer, check_state_change
from bridge.errors import BridgeError
from bridge.store.journal_reader import alert_record
from bridge.store.web_sessions import WebSession
from supervision.assemble import alert_items

STATIC = "/console/static"
ENV = environment()
REGULATOR_NAV = [("/console/", "Overview"), ("/console/liquidity", "Liquidity"), ("/console/risk", "Risk"),
                 ("/console/exceptions", "Exceptions"), ("/console/oracle", "Oracle"), ("/console/swaps", "Swaps"),
                 ("/console/health", "Health"), ("/console/actions", "Powers")]  # fmt: skip
BANK_NAV = [("/console/swaps", "My swaps")]
# Scripts, styles, images, fonts and connections only from this bridge; no frames, no plugins, forms post here only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")  # fmt: skip
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
           (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store")]  # fmt: skip


class NeedsSignIn(Exception):
    """No live session: pages redirect to the sign-in page, fragments and streams answer 401."""


class ConsoleDenied(Exception):
    def __init__(self, status: int, title: str, detail: str, *, back: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.back = status, title, detail, back


async def current_session(request: Request) -> WebSession:
    state = console_state(request)
    token = request.cookies.get(COOKIE, "")
    session = await run_in_threadpool(state.sessions.get, token) if token else None
    if session is None:
        raise NeedsSignIn()
    if request.method == "GET" and not request.url.path.startswith(("/console/stream", "/console/fragments")):  # a page
        request.state.marks = await run_in_threadpool(marks_now, request, state)
    return session


def marks_now(request: Request, state: ConsoleState) -> dict[str, int]:
    """Where the journal, the alerts, the audit trail and the model stood when a request began, before its
    page read any of them: the page's stream starts from these, so a change made while the page was being
    built or loaded is sent as soon as the stream opens, never missed."""
    latest = state.cache.latest
    return {"since": int(request.app.state.repo.last_seq()), "alerts": request.app.state.alerts.version,
            "actions": request.app.state.actions.version, "model": latest.version if latest is not None else 0}  # fmt: skip


async def regulator_session(session: Annotated[WebSession, Depends(current_session)]) -> WebSession:
    if session.participant != REGULATOR:
        raise ConsoleDenied(403, "Not for a bank's session", "This page is the regulator's: a bank's session sees only its own swaps.",
                            back="/console/swaps")  # fmt: skip
    return session


SessionDep = Annotated[WebSession, Depends(current_session)]
RegulatorDep = Annotated[WebSession, Depends(regulator_session)]
StateDep = Annotated[ConsoleState, Depends(console_state)]


async def check_csrf(request: Request, session: WebSession, form: Any | None = None) -> None:
    """Same origin and the session's CSRF token (header, or the form's field) on every state change."""
    presented = request.headers.get(CSRF_HEADER) or (form.get(CSRF_FIELD) if form is not None else None)
    try:
        check_state_change(request, session, presented if isinstance(presented, str) else None)
    except BridgeError as exc:
        raise ConsoleDenied(403, "Refused", f"{exc.detail}. Reload the page and try again.") from exc


# ─── signers ──────────────────────────────────────────────────────────────────────────────


def signers(request: Request) -> dict[str, Signer]:
    """Who may sign in: the regulator and every bank, each with its registered key's address."""
    network = request.app.state.coordinator.network
    found = {REGULATOR: Signer(REGULATOR, "Regulator", network.keys.address(REGULATOR))}
    for bank in network.settings.banks:
        found[bank] = Signer(bank, network.settings.participants[bank].name, network.keys.address(bank))
    return found


# ─── pages ────────────────────────────────────────────────────────────────────────────────


def banner(state: ConsoleState, request: Request) -> dict[str, Any]:
    """The open alerts, newest first, for the banner at the top of every regulator page."""
    rows = request.app.state.alerts.list(open_only=True, limit=500)
    return {"open": len(rows), "critical": sum(1 for a in rows if a.severity == "critical"),
            "unacknowledged": sum(1 for a in rows if a.acknowledged_at is None), "latest": rows[:4]}  # fmt: skip


def alerts_view(request: Request, limit: int = 200) -> list[Any]:
    """The bridge's alerts as the model shows them (open first, then newest)."""
    from bridge.store.db import AlertRow
    from sqlalchemy import select

    with request.app.state.sessions() as db:
        rows = list(db.scalars(select(AlertRow).order_by(AlertRow.resolved_at.is_not(None), AlertRow.id.desc()).limit(limit)))
    items = alert_items([alert_record(row) for row in rows], now=datetime.now(timezone.utc))
    return sorted(items, key=lambda item: (item.status != "open", -(item.alert_id or 0)))


def render(request: Request, session: WebSession | None, template: str, *, title: str, current: str | None = None, status: int = 200,
           stream_query: str = "", **extra: Any) -> HTMLResponse:  # fmt: skip
    context: dict[str, Any] = {"request": request, "session": session, "title": title, "heading": extra.pop("heading", None),
                               "current": current, "static": STATIC, "stream_query": stream_query, "nav": [], "who": "",
                               "is_regulator": False, "idle_minutes": 0}  # fmt: skip
    if session is not None:
        state = console_state(request)
        regulator = session.participant == REGULATOR
        people = signers(request)
        context.update(nav=REGULATOR_NAV if regulator else BANK_NAV, is_regulator=regulator,
                       who=people[session.participant].display_name if session.participant in people else session.participant,
                       idle_minutes=state.config.session_minutes)  # fmt: skip
        if regulator:
            context["banner"] = banner(state, request)
    context.update(extra)
    marks = getattr(request.state, "marks", None)
    if marks is not None:
        context["stream_query"] = stream_query + ("&" if stream_query else "?") + urlencode(marks)
    context.setdefault("counts_chart", counts_chart({}))
    return HTMLResponse(ENV.get_template(template).render(**context), status_code=status)


def fragment(template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(ENV.get_template(template).render(static=STATIC, **context))


def to_sign_in(request: Request) -> Response:
    if request.headers.get("HX-Request") or request.url.path.startswith(("/console/stream", "/console/fragments")):
        return Response(status_code=401, headers={"HX-Redirect": "/console/login"})
    return RedirectResponse("/console/login", status_code=303)


class SecurityHeaders:
    """Adds the console's security headers to every response under ``/console`` (a plain ASGI layer:
    the API's requests pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *((n, v) for n, v in HEADERS if n not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)

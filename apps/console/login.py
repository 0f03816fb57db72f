"""Signing in and out (see :mod:`bridge.api.sessions` for the design): a challenge (JSON for the
command line, a page for any other signer), the one-time link, the sign-in itself, and sign-out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from apps.console.access import ConsoleDenied, SessionDep, StateDep, check_csrf, render, signers
from apps.console.state import ConsoleState
from bridge.api.auth import REGULATOR
from bridge.api.sessions import (COOKIE, COOKIE_PATH, LOGIN_COOKIE, Signer, bridge_origin, challenge_message, same_origin,
                                 verify_signature)  # fmt: skip
from bridge.errors import BridgeError
from bridge.store.web_sessions import Challenge

router = APIRouter(prefix="/console", include_in_schema=False)


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _new_challenge(request: Request, state: ConsoleState, signer: Signer) -> Challenge:
    network = request.app.state.coordinator.network
    chain_id = next(iter(network.clients.values())).chain_id

    host, base_url = bridge_origin(request, state.config.public_url)

    def message(challenge_id: str, nonce: str, issued: Any, expires: Any) -> str:
        return challenge_message(host=host, base_url=base_url, signer=signer, chain_id=chain_id,
                                 challenge_id=challenge_id, nonce=nonce, issued=issued, expires=expires,
                                 max_hours=state.config.session_max_hours)  # fmt: skip

    return state.sessions.new_challenge(signer.participant, message)


def _login_page(request: Request, state: ConsoleState, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    people = signers(request)
    return render(request, None, "login.html.j2", title="Sign in", heading="Sign in to the Corridor console", status=status, error=error,
                  signers=[(name, f"{s.display_name} ({s.address})") for name, s in people.items()], base_url=_base_url(request),
                  challenge_minutes=max(1, state.config.challenge_seconds // 60))  # fmt: skip


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, state: StateDep) -> Response:
    return _login_page(request, state)


@router.post("/login/challenge")
async def new_challenge(request: Request, state: StateDep) -> Response:
    """JSON ``{"participant"}`` → ``{"id", "message", "expires_at"}`` (the command line); a form → the page to sign on."""
    is_json = request.headers.get("content-type", "").startswith("application/json")
    if _cross_site(request):
        if is_json:
            return JSONResponse({"error": "forbidden", "detail": "a sign-in challenge is asked for from a page of this bridge or "
                                 "without a browser (no Origin)", "field": "Origin"}, status_code=403)  # fmt: skip
        raise ConsoleDenied(403, "Sign-in refused", "This request does not come from a page of this bridge.", back="/console/login")
    try:
        data: Any = await request.json() if is_json else dict(await request.form())
    except ValueError:
        data = {}
    participant = str(data.get("participant", "")).lower() if isinstance(data, dict) else ""
    signer = signers(request).get(participant)
    if signer is None:
        if is_json:
            return JSONResponse({"error": "unknown_participant", "detail": f"{participant!r} may not sign in (the regulator or a bank)",
                                 "field": "participant"}, status_code=422)  # fmt: skip
        return _login_page(request, state, error=f"{participant!r} may not sign in: choose the regulator or a bank.", status=422)
    challenge = await run_in_threadpool(_new_challenge, request, state, signer)
    if is_json:
        return JSONResponse({"id": challenge.id, "message": challenge.message, "expires_at": challenge.expires_at.isoformat()})
    page = render(request, None, "login_sign.html.j2", title="Sign the challenge", signer=signer, challenge=challenge)
    _bind(page, challenge.id, state)
    return page


def _cross_site(request: Request) -> bool:
    """A browser request from a page that is not this bridge's (a command line sends no Origin at all).
    Another port of the same host is another origin here, though SameSite cookies count it the same site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    return request.headers.get("origin") is not None and not same_origin(request)


def _bind(response: Response, challenge_id: str, state: ConsoleState) -> None:
    """Ties a sign-in form to the browser that was shown it (no other site can post a stolen challenge into ours)."""
    response.set_cookie(LOGIN_COOKIE, challenge_id, max_age=state.config.challenge_seconds, path="/console/login", httponly=True,
                        samesite="strict")  # fmt: skip


def _checked(request: Request, state: ConsoleState, challenge_id: str, signature: str) -> tuple[Challenge, Signer]:
    challenge = state.sessions.challenge(challenge_id)
    if challenge is None:
        raise ConsoleDenied(401, "Sign-in refused", "This sign-in link or challenge is unknown, was used already, or has expired: "
                                                    "ask for a new one.", back="/console/login")  # fmt: skip
    signer = signers(request).get(challenge.participant)
    if signer is None:
        raise ConsoleDenied(401, "Sign-in refused", f"{challenge.participant} may no longer sign in.", back="/console/login")
    try:
        verify_signature(challenge.message, signature, signer.address)
    except BridgeError as exc:
        raise ConsoleDenied(401, "Sign-in refused", f"The signature does not sign this challenge with {signer.display_name}'s key "
                                                    f"({exc.detail}).", back="/console/login") from exc  # fmt: skip
    return challenge, signer


@router.get("/login/link", response_class=HTMLResponse)
async def login_link(request: Request, state: StateDep, challenge: str = "", signature: str = "") -> Response:
    """The command line's one-time link: checked, then one click to continue (a link cannot sign anyone in by itself)."""
    if request.headers.get("sec-fetch-mode", "navigate") != "navigate":  # fetched by a script, not opened by its user
        raise ConsoleDenied(403, "Sign-in refused", "Open the sign-in link in the browser's address bar.", back="/console/login")
    _, signer = await run_in_threadpool(_checked, request, state, challenge, signature)
    page = render(request, None, "login_link.html.j2", title="Sign in", heading=f"Sign in as {signer.display_name}", signer=signer,
                  challenge_id=challenge, signature=signature)  # fmt: skip
    _bind(page, challenge, state)
    return page


@router.post("/login")
async def login(request: Request, state: StateDep) -> Response:
    if not same_origin(request):  # signing a browser in is a state change like any other (no login CSRF)
        raise ConsoleDenied(403, "Sign-in refused", "This sign-in form was not posted from a page of this bridge.", back="/console/login")
    form = await request.form()
    challenge_id, signature = str(form.get("challenge", "")), str(form.get("signature", ""))
    if not challenge_id or request.cookies.get(LOGIN_COOKIE) != challenge_id:
        raise ConsoleDenied(403, "Sign-in refused", "This sign-in form was not opened in this browser: start again from the sign-in page.",
                            back="/console/login")  # fmt: skip
    challenge, signer = await run_in_threadpool(_checked, request, state, challenge_id, signature)
    if not await run_in_threadpool(state.sessions.use_challenge, challenge.id):
        raise ConsoleDenied(401, "Sign-in refused", "This challenge was used already: ask for a new one.", back="/console/login")
    token, session = await run_in_threadpool(state.sessions.open, signer.participant, signer.address, challenge.id)
    response = RedirectResponse("/console/" if signer.participant == REGULATOR else "/console/swaps", status_code=303)
    response.set_cookie(COOKIE, token, max_age=state.config.session_max_hours * 3600, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE, path="/console/login")
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, state: StateDep) -> Response:
    await check_csrf(request, session, await request.form())
    await run_in_threadpool(state.sessions.end, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response

"""Every error becomes a JSON body naming the field: ``{"error": code, "detail": msg, "field": f}``.

=====================  ======  ==================================================================
error                  status  when
=====================  ======  ==================================================================
(BridgeError codes)    4xx     the request is refused (see :mod:`bridge.errors`)
malformed_json         400     the body is not JSON (``detail`` says line and column; ``field`` "body")
validation_error       422     a field is malformed (names it)
body_too_large         413     the body is larger than :data:`MAX_BODY_BYTES`
method_not_allowed     405     the path exists, the method does not (``Allow`` lists the methods)
chain_rejected         409     a contract refused the call (its custom error and arguments)
ledger_unavailable     503     a ledger does not answer or its circuit is open (names the ledger);
                               ``Retry-After`` says when to try again
database_unavailable   503     the database refuses writes or does not answer (full, read-only,
                               locked); ``Retry-After`` too. Nothing of the request was recorded
internal_error         500     anything else: logged once per kind, never a plain-text page
=====================  ======  ==================================================================
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import requests
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from web3.exceptions import Web3Exception

from bridge.api.refusals import record_refusal
from bridge.errors import BridgeError
from corridor.errors import ChainError, ChainRejected, CorridorError, LedgerUnavailable
from corridor.statelog import StateLog

logger = logging.getLogger(__name__)
_log = StateLog(logger)

DATABASE_RETRY_AFTER = 5  # seconds
MAX_BODY_BYTES = 2 * 1024 * 1024  # an instruction file of 500 linked-ledger orders is about 700 kB


def body(code: str, detail: str, field: str | None) -> dict[str, str | None]:
    return {"error": code, "detail": detail, "field": field}


def _unavailable(code: str, detail: str, retry_after: float) -> JSONResponse:
    return JSONResponse(body(code, detail, None), status_code=503, headers={"Retry-After": str(max(1, math.ceil(retry_after)))})


def _since(timestamp: float | None) -> str:
    return "" if timestamp is None else f" since {time.strftime('%H:%M:%SZ', time.gmtime(timestamp))}"


def database_error(exc: SQLAlchemyError) -> JSONResponse:
    """503 naming the database's own reason (``database or disk is full``, ``attempt to write a
    readonly database``, ``database is locked``…)."""
    orig = getattr(exc, "orig", None)
    reason = str(orig if orig is not None else exc).splitlines()[0][:200]
    _log.failing(("database", reason), "database unavailable to requests: %s", reason)
    return _unavailable("database_unavailable", f"the database cannot record this request now: {reason}", DATABASE_RETRY_AFTER)


def stream_error(exc: SQLAlchemyError) -> dict[str, str | None]:
    """The ``event: error`` an event stream ends with when the database fails under it."""
    orig = getattr(exc, "orig", None)
    return body("database_unavailable", str(orig if orig is not None else exc).splitlines()[0][:200], None)


def install(app: FastAPI) -> None:
    @app.exception_handler(BridgeError)
    async def bridge_error(request: Request, exc: BridgeError) -> JSONResponse:
        await record_refusal(request, exc)  # for the supervisor's refusals by rule
        return JSONResponse(body(exc.code, exc.detail, exc.field), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":  # loc is ("body", <character offset>): say where, as a person reads it
            return malformed_json(await request.body(), first)
        # drop the body marker and discriminated-union tags ("pvp", "htlc") so the field reads as sent
        field = ".".join(str(part) for part in first["loc"] if part not in ("body", "pvp", "htlc")) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        return JSONResponse(body("validation_error", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path takes, not only the first route's (GET and POST /v1/swaps)
            methods = {method for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
                       if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in request.app.routes)}  # fmt: skip
            headers["Allow"] = ", ".join(sorted(methods)) or headers.get("Allow", "")
            return JSONResponse(body(code, f"{request.method} is not allowed here; allowed: {headers['Allow']}", None), status_code=405,
                                headers=headers)  # fmt: skip
        return JSONResponse(body(code, str(exc.detail), None), status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(ChainRejected)
    async def chain_rejected(_: Request, exc: ChainRejected) -> JSONResponse:
        return JSONResponse(body("chain_rejected", str(exc), None), status_code=409)

    @app.exception_handler(LedgerUnavailable)
    async def ledger_unavailable(_: Request, exc: LedgerUnavailable) -> JSONResponse:
        _log.failing(("ledger", exc.ledger), "requests needing ledger %s get 503: %s", exc.ledger, exc.reason)
        return _unavailable("ledger_unavailable", f"ledger {exc.ledger} is unavailable{_since(exc.since)}: {exc.reason}", exc.retry_after)

    @app.exception_handler(ChainError)
    async def chain_error(_: Request, exc: ChainError) -> JSONResponse:
        _log.failing(("ledger", exc.ledger, "error"), "ledger %s call failed: %s", exc.ledger, exc.reason)
        return _unavailable("ledger_unavailable", f"ledger {exc.ledger}: {exc.reason}", 2)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:  # a concurrent request recorded the same thing
        return JSONResponse(body("conflict", "recorded meanwhile by a concurrent request; retry to read it", None), status_code=409)

    @app.exception_handler(SQLAlchemyError)
    async def database_unavailable(_: Request, exc: SQLAlchemyError) -> JSONResponse:
        return database_error(exc)

    @app.exception_handler(Web3Exception)
    async def web3_error(_: Request, exc: Web3Exception) -> JSONResponse:
        _log.failing(("web3", type(exc).__name__), "ledger call failed: %s", exc)
        return _unavailable("ledger_unavailable", f"a ledger call failed: {type(exc).__name__}: {str(exc)[:200]}", 2)

    @app.exception_handler(requests.RequestException)
    async def rpc_transport_error(_: Request, exc: requests.RequestException) -> JSONResponse:
        _log.failing(("rpc", type(exc).__name__), "ledger call failed: %s", exc)
        return _unavailable("ledger_unavailable", f"a ledger did not answer: {type(exc).__name__}", 2)

    @app.exception_handler(CorridorError)
    async def corridor_error(_: Request, exc: CorridorError) -> JSONResponse:
        return JSONResponse(body("error", str(exc), None), status_code=400)

    app.add_middleware(JsonErrors)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)


def malformed_json(raw: bytes, error: dict[str, Any]) -> JSONResponse:
    """400 ``malformed_json``: where the body stops being JSON, by line and column (1-based)."""
    loc = error.get("loc") or ()
    offset = loc[-1] if loc and isinstance(loc[-1], int) else 0
    text = raw.decode("utf-8", errors="replace")
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    reason = (error.get("ctx") or {}).get("error") or error.get("msg") or "JSON decode error"
    return JSONResponse(body("malformed_json", f"the body is not JSON: {reason} at line {line}, column {column}", "body"),
                        status_code=400)  # fmt: skip


class BodyLimit:
    """413 ``body_too_large`` for a body over ``limit`` bytes, before anything parses it: at once when
    ``Content-Length`` says so, else as soon as the streamed body passes the limit (the body is read
    here, up to the limit, and handed on whole)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the body is larger than {self.limit} bytes"
        await JSONResponse(body("body_too_large", detail, "body"), status_code=413, headers={"Connection": "close"})(scope, receive, send)


class JsonErrors:
    """The last net, inside Starlette's own: an exception no handler took becomes a JSON 500 (logged
    once per kind with its traceback, then counted), never ``text/plain`` "Internal Server Error".
    A response already streaming (an event stream) cannot change its status: it just ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            _log.failing(("internal", type(exc).__name__, str(exc)[:100]), "unexpected error on %s %s: %s", scope.get("method"),
                         scope.get("path"), exc, level=logging.ERROR, exc_info=True)  # fmt: skip
            if started:
                return
            response: Any = JSONResponse(body("internal_error", f"{type(exc).__name__}: {str(exc)[:200]}", None), status_code=500)
            await response(scope, receive, send)

"""Every error becomes a JSON body naming the field: ``{"error": code, "detail": msg, "field": f}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bridge.errors import BridgeError
from corridor.errors import ChainError, ChainRejected, CorridorError

logger = logging.getLogger(__name__)


def body(code: str, detail: str, field: str | None) -> dict[str, str | None]:
    return {"error": code, "detail": detail, "field": field}


def install(app: FastAPI) -> None:
    @app.exception_handler(BridgeError)
    async def bridge_error(_: Request, exc: BridgeError) -> JSONResponse:
        return JSONResponse(body(exc.code, exc.detail, exc.field), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        # drop the body marker and discriminated-union tags ("pvp", "htlc") so the field reads as sent
        field = ".".join(str(part) for part in first["loc"] if part not in ("body", "pvp", "htlc")) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        return JSONResponse(body("validation_error", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(body("http_error", str(exc.detail), None), status_code=exc.status_code)

    @app.exception_handler(ChainRejected)
    async def chain_rejected(_: Request, exc: ChainRejected) -> JSONResponse:
        return JSONResponse(body("chain_rejected", str(exc), None), status_code=409)

    @app.exception_handler(ChainError)
    async def chain_error(_: Request, exc: ChainError) -> JSONResponse:
        logger.warning("ledger unavailable: %s", exc)
        return JSONResponse(body("ledger_unavailable", str(exc), None), status_code=503)

    @app.exception_handler(CorridorError)
    async def corridor_error(_: Request, exc: CorridorError) -> JSONResponse:
        return JSONResponse(body("error", str(exc), None), status_code=400)

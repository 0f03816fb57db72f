"""The live supervision console, served by the bridge at ``/console``.

Server-rendered pages (Jinja2) with a light progressive layer (htmx and its server-sent-events
extension) and charts (Chart.js), every script and style served from the package (no CDN: see
``tools/web-assets.json``). Every figure is the supervision model's (:mod:`supervision`): the
report's, computed by the same functions. Sign-in by signature and cookie sessions:
:mod:`bridge.api.sessions`; the live feed: :mod:`apps.console.stream`; the regulator's powers:
:mod:`apps.console.powers`.

``install_console(app)`` mounts it on a bridge built by :func:`bridge.api.app.create_app` (pass it in
``extensions``); ``corridor up``, ``corridor bridge serve`` and the demo do.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from apps.console import login, pages, powers, stream
from apps.console import state as console_state
from apps.console.access import ConsoleDenied, NeedsSignIn, SecurityHeaders, render, to_sign_in
from supervision.inputs import Evidence

STATIC = Path(__file__).resolve().parent / "static"
PATH = "/console/"


def install_console(app: FastAPI, *, evidence: Evidence | None = None, opening: dict[str, int] | None = None) -> None:
    """Mounts the console on ``app``. ``evidence`` and ``opening`` (or ``app.state.evidence`` /
    ``app.state.opening``, set by the application) are what the supervision model is built with, as
    for the report."""
    app.mount("/console/static", StaticFiles(directory=STATIC, check_dir=False), name="console-static")
    for module in (login, pages, powers, stream):
        app.include_router(module.router)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NeedsSignIn)
    async def needs_sign_in(request: Request, _: NeedsSignIn) -> Response:
        return to_sign_in(request)

    @app.exception_handler(ConsoleDenied)
    async def denied(request: Request, exc: ConsoleDenied) -> Response:
        if request.headers.get("HX-Request") or request.url.path.startswith(("/console/stream", "/console/fragments")):
            return Response(exc.detail, status_code=exc.status, media_type="text/plain")
        session = None
        try:
            from apps.console.access import current_session

            session = await current_session(request)
        except NeedsSignIn:
            session = None
        return render(request, session, "error.html.j2", title=exc.title, status=exc.status, detail=exc.detail, back=exc.back)

    app.state.on_start.append(partial(console_state.start, evidence=evidence, opening=opening))
    app.state.on_stop.append(console_state.stop)


__all__ = ["PATH", "install_console"]

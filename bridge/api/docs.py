"""The API's documentation pages, served offline: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), each
from the package's own copy of its scripts and styles (``bridge/api/static/vendor``, copied from the
npm packages ``swagger-ui-dist`` and ``redoc`` by ``make setup``; see ``tools/web-assets.json``). FastAPI's
defaults load both from a CDN and Google Fonts, and stay blank on a network without them."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"
PREFIX = "/static/api"
NEEDED = ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "swagger-ui/favicon-32x32.png", "redoc/redoc.standalone.js")


def _missing() -> list[str]:
    return [name for name in NEEDED if not (VENDOR / name).is_file()]


def _unavailable() -> Response:
    return PlainTextResponse(f"the documentation's scripts are not installed ({', '.join(_missing())} missing under {VENDOR}): "
                             "run `make setup`", status_code=503)  # fmt: skip


def install(app: FastAPI) -> None:
    app.mount(PREFIX, StaticFiles(directory=STATIC, check_dir=False), name="api-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        if _missing():
            return _unavailable()
        page: HTMLResponse = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API (Swagger UI)", oauth2_redirect_url=None,
            swagger_js_url=f"{PREFIX}/vendor/swagger-ui/swagger-ui-bundle.js", swagger_css_url=f"{PREFIX}/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/vendor/swagger-ui/favicon-32x32.png")  # fmt: skip
        return _with_language(page)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        if _missing():
            return _unavailable()
        page: HTMLResponse = get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API (ReDoc)",
                                            redoc_js_url=f"{PREFIX}/vendor/redoc/redoc.standalone.js",
                                            redoc_favicon_url=f"{PREFIX}/vendor/swagger-ui/favicon-32x32.png", with_google_fonts=False)  # fmt: skip
        return _with_language(page)


def _with_language(page: HTMLResponse) -> HTMLResponse:
    """FastAPI's pages declare no language (screen readers then guess): English."""
    body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    return HTMLResponse(body, status_code=page.status_code)

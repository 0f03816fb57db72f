"""The project's headless Chromium from Python: ``render(url)`` loads a page in the browser that ships in
the npm package ``@sparticuz/chromium`` (installed by ``npm ci``, nothing downloaded at run time),
driven by ``tools/browser/render.mjs`` (puppeteer-core), and returns what went wrong while it loaded.

The ``headless_browser`` fixture (tests/conftest.py) hands tests this function; scripts that need more
than a load (clicks, server-sent events) import ``tools/browser/launch.mjs`` for the same browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from corridor.toolchain import REPO_ROOT

RENDER = REPO_ROOT / "tools" / "browser" / "render.mjs"


@dataclass(frozen=True)
class RenderedPage:
    url: str
    status: int | None
    title: str
    text: str
    document_height: int
    console: list[dict[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[dict[str, object]] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Everything a clean render must not have: console errors and warnings, page errors, failed or external requests."""
        return ([f"console {c['type']}: {c['text']}" for c in self.console] + [f"page error: {e}" for e in self.page_errors]
                + [f"request failed: {r}" for r in self.failed_requests] + [f"left the machine: {u}" for u in self.external_requests])  # fmt: skip


def available() -> bool:
    return shutil.which("node") is not None and (REPO_ROOT / "node_modules" / "@sparticuz" / "chromium").is_dir()


def render(url: str | Path, *, screenshot: Path | None = None, width: int = 1280, height: int = 900, full_page: bool = False,
           clip_height: int = 0, timeout: float = 120) -> RenderedPage:  # fmt: skip
    target = url.resolve().as_uri() if isinstance(url, Path) else url
    command = ["node", str(RENDER), "--url", target, "--width", str(width), "--height", str(height)]
    if screenshot is not None:
        command += ["--screenshot", str(screenshot)] + (["--full-page"] if full_page else []) + (["--clip-height", str(clip_height)] if clip_height else [])
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"headless Chromium failed ({result.returncode}): {result.stderr[-2000:]}")
    raw = json.loads(result.stdout)
    return RenderedPage(url=raw["url"], status=raw.get("status"), title=raw.get("title", ""), text=raw.get("text", ""),
                        document_height=int(raw.get("documentHeight", 0)), console=raw.get("console", []),
                        page_errors=raw.get("pageErrors", []), failed_requests=raw.get("failedRequests", []),
                        external_requests=raw.get("externalRequests", []))  # fmt: skip

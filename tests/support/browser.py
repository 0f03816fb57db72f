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


DRIVER = REPO_ROOT / "tools" / "browser" / "driver.mjs"
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


class BrowserError(RuntimeError):
    """The browser refused a command (a selector not found in time, a navigation that failed…)."""


class BrowserSession:
    """One headless Chromium for a whole test module (or a script), driven command by command through
    ``tools/browser/driver.mjs``: several isolated contexts (``ctx``: separate cookies), one page each,
    every page watched for console errors, page errors, failed and external requests.

    ``with BrowserSession() as browser: browser.goto(url, ctx="regulator"); browser.text("h1")``"""

    def __init__(self, *, width: int = 1280, height: int = 900, timeout: float = 90.0) -> None:
        import os
        import queue
        import threading

        env = {**os.environ, "CORRIDOR_BROWSER_WIDTH": str(width), "CORRIDOR_BROWSER_HEIGHT": str(height)}
        self.timeout = timeout
        self._process = subprocess.Popen(["node", str(DRIVER)], cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
        self._answers: queue.Queue[dict[str, object]] = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_errors, daemon=True).start()
        self._next = 0
        ready = self._answer(0, timeout=120)
        if not ready.get("ok"):
            raise BrowserError(f"the browser did not start: {ready}")

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            try:
                self._answers.put(json.loads(line))
            except ValueError:
                self._stderr.append(f"stdout: {line}")
        self._answers.put({"id": -1, "ok": False, "error": "the browser driver exited: " + "".join(self._stderr[-20:])})

    def _read_errors(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line)

    def _answer(self, wanted: int, timeout: float) -> dict[str, object]:
        import queue

        try:
            while True:
                answer = self._answers.get(timeout=timeout)
                if answer.get("id") in (wanted, -1):
                    return answer
        except queue.Empty:
            raise BrowserError(f"no answer from the browser within {timeout}s") from None

    def command(self, op: str, *, timeout: float | None = None, **args: object) -> object:
        self._next += 1
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"id": self._next, "op": op, **args}) + "\n")
        self._process.stdin.flush()
        answer = self._answer(self._next, timeout or self.timeout)
        if not answer.get("ok"):
            raise BrowserError(f"{op} {args}: {answer.get('error')}")
        return answer.get("result")

    # ─── the commands, typed ─────────────────────────────────────────────────────────────

    def goto(self, url: str, *, ctx: str = "default") -> dict[str, object]:
        return self.command("goto", ctx=ctx, url=url)  # type: ignore[return-value]

    def url(self, *, ctx: str = "default") -> str:
        return str(self.command("url", ctx=ctx))

    def text(self, selector: str, *, ctx: str = "default") -> str | None:
        return self.command("text", ctx=ctx, selector=selector)  # type: ignore[return-value]

    def texts(self, selector: str, *, ctx: str = "default") -> list[str]:
        return self.command("texts", ctx=ctx, selector=selector)  # type: ignore[return-value]

    def attr(self, selector: str, name: str, *, ctx: str = "default") -> str | None:
        return self.command("attr", ctx=ctx, selector=selector, name=name)  # type: ignore[return-value]

    def attrs(self, selector: str, name: str, *, ctx: str = "default") -> list[str | None]:
        return self.command("attrs", ctx=ctx, selector=selector, name=name)  # type: ignore[return-value]

    def count(self, selector: str, *, ctx: str = "default") -> int:
        return int(self.command("count", ctx=ctx, selector=selector))  # type: ignore[arg-type]

    def click(self, selector: str, *, ctx: str = "default", navigate: bool = False) -> object:
        return self.command("click", ctx=ctx, selector=selector, navigate=navigate)

    def type(self, selector: str, text: str, *, ctx: str = "default") -> None:
        self.command("type", ctx=ctx, selector=selector, text=text)

    def select(self, selector: str, value: str, *, ctx: str = "default") -> None:
        self.command("select", ctx=ctx, selector=selector, value=value)

    def wait_for(self, selector: str, *, text: str | None = None, timeout: float = 20.0, ctx: str = "default") -> float:
        """Seconds waited until ``selector`` exists (and, with ``text``, one such element contains it)."""
        done = self.command("waitFor", ctx=ctx, selector=selector, text=text, wait_ms=int(timeout * 1000), timeout=timeout + 30)
        return float(done["waitedMs"]) / 1000  # type: ignore[index]

    def evaluate(self, expression: str, *, ctx: str = "default") -> object:
        return self.command("eval", ctx=ctx, expression=expression)

    def press(self, key: str, *, ctx: str = "default") -> None:
        self.command("press", ctx=ctx, key=key)

    def focused(self, *, ctx: str = "default") -> dict[str, object] | None:
        return self.command("focused", ctx=ctx)  # type: ignore[return-value]

    def axe(self, *, ctx: str = "default") -> list[dict[str, object]]:
        """axe-core's violations on the page (from the npm package ``axe-core``, nothing fetched)."""
        return self.command("axe", ctx=ctx, axePath=str(AXE))  # type: ignore[return-value]

    def screenshot(self, path: Path, *, ctx: str = "default", full_page: bool = False, clip_height: int = 0) -> None:
        """The page as shown (or all of it, or its first ``clip_height`` pixels)."""
        self.command("screenshot", ctx=ctx, path=str(path), fullPage=full_page, clipHeight=clip_height)

    def cookies(self, *, ctx: str = "default") -> list[dict[str, object]]:
        return self.command("cookies", ctx=ctx)  # type: ignore[return-value]

    def report(self, *, ctx: str = "default", reset: bool = False) -> dict[str, list[object]]:
        """What went wrong on the context's page since the last reset: console errors and warnings, page
        errors, failed requests (status ≥ 400 or no answer) and requests that left the machine."""
        return self.command("report", ctx=ctx, reset=reset)  # type: ignore[return-value]

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self.command("close", timeout=30)
            except BrowserError:
                pass
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Writes docs/console/*.png: each page of the supervision console on the demo's final state, as the
project's headless Chromium renders it (the regulator's pages, a bank's view, the sign-in page).

Runs the demo (as `make demo` does), keeps its bridge serving, signs in with the regulator's key like
`corridor console login` does, and photographs each page. `python scripts/screenshot_console.py`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from apps.demo import run_demo  # noqa: E402
from bridge.sdk.client import BridgeClient  # noqa: E402
from corridor.config import load_settings  # noqa: E402
from tests.support.browser import BrowserSession  # noqa: E402

OUT = ROOT / "docs" / "console"
PAGES = [("overview", "/console/"), ("liquidity", "/console/liquidity"), ("risk", "/console/risk"), ("exceptions", "/console/exceptions"),
         ("oracle", "/console/oracle"), ("swaps", "/console/swaps"), ("health", "/console/health"), ("powers", "/console/actions")]  # fmt: skip
CLIP = 1800  # pixels of each page kept


class Photographer:
    port = 0

    def __init__(self, console: Console) -> None:
        self.console = console
        self.written: list[Path] = []
        self.problems: list[str] = []

    def __call__(self, network: Any, app: Any, url: str) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        app.state.console.cache.refresh()  # the final state's model, with the demo's evidence
        clients = {who: BridgeClient(url, who, network.keys.account(who), store=False) for who in ("regulator", "yangtze")}
        with BrowserSession(width=1280, height=900) as browser:
            browser.goto(f"{url}/console/login", ctx="anonymous")
            self._shot(browser, "sign-in", "anonymous")
            browser.goto(clients["regulator"].console_link(), ctx="regulator")
            browser.click("#continue", ctx="regulator", navigate=True)
            for name, path in PAGES:
                browser.goto(f"{url}{path}", ctx="regulator")
                browser.wait_for("[data-live-text]", text="live", ctx="regulator")
                time.sleep(0.8)  # the charts draw
                self._shot(browser, name, "regulator")
            swap = app.state.repo.list(state="settled", limit=1000)
            htlc = next((s for s in swap if s.model.value == "htlc"), swap[0])
            browser.goto(f"{url}/console/swaps/{htlc.id}", ctx="regulator")
            browser.wait_for("[data-live-text]", text="live", ctx="regulator")
            self._shot(browser, "swap", "regulator")
            browser.goto(clients["yangtze"].console_link(), ctx="bank")
            browser.click("#continue", ctx="bank", navigate=True)
            browser.wait_for("[data-live-text]", text="live", ctx="bank")
            self._shot(browser, "bank-view", "bank")
        for client in clients.values():
            client.close()

    def _shot(self, browser: BrowserSession, name: str, ctx: str) -> None:
        path = OUT / f"{name}.png"
        browser.screenshot(path, ctx=ctx, clip_height=CLIP)
        report = browser.report(ctx=ctx, reset=True)
        self.problems += [f"{name}: {kind}: {item}" for kind, items in report.items() for item in items]
        self.written.append(path)
        self.console.print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    console = Console()
    photographer = Photographer(console)
    if not run_demo(load_settings(), console, serve=photographer):
        raise SystemExit("the demo failed: no screenshots")
    if photographer.problems:
        raise SystemExit("the console did not render cleanly:\n" + "\n".join(photographer.problems))
    console.print(f"{len(photographer.written)} screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

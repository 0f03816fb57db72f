"""Regenerates docs/report.png: the top of the supervisory report (header, verdicts, scenarios) as the
project's headless Chromium renders it. Run after `make demo`: `python scripts/screenshot_report.py`."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import render  # noqa: E402


def main() -> None:
    report = ROOT / "reports" / "corridor-report.html"
    page = render(report, screenshot=ROOT / "docs" / "report.png", width=1280, clip_height=1500)
    if page.problems:
        raise SystemExit("the report did not render cleanly:\n" + "\n".join(page.problems))
    print(f"docs/report.png written from {report}")


if __name__ == "__main__":
    main()

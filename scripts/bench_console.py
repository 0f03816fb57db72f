#!/usr/bin/env python3
"""Does an open console slow the bridge down, and does it stay live under load? Printed as JSON.

The bridge runs as its own process with the console mounted (``corridor bridge serve``), the banks' SDK
clients in this process, the headless Chromium of the project beside them, all on one machine. The
bridge benchmark's instruction-file load (``scripts/bench_bridge.py``: files of ``--file-size`` swaps,
``--files-in-flight`` at once) is run ``--rounds`` times without a console and with the regulator's
console open on the overview (counts, journal feed, model figures: the busiest page), alternately, so
that the journal's growth weighs on both alike. For each run: settled swaps per second; with the console:
how long after each journal entry was written the page received it (the SSE lag, measured in the page
as arrival time − the entry's time; the same machine's clock: each event carries the newest 30 rows of
what one wake-up read, so the lag is measured on the rows the page shows), and how many times the model
behind the figures was rebuilt. An entry is stamped when the bridge writes it, but a batch's entries
commit together at the batch's end, so the lag also counts the bridge's own commit; ``sse_lag_after_commit``
counts from when the entry was committed at the latest: from its stamp or, if later, from when the
stream's previous read began (which did not see it).

Runs of one mode differ from each other by up to a third (the worker's batches fall differently run to
run), so each model's change is printed with a 95 % bootstrap interval (``change_percent_95``). Sessions
kept as JSON are pooled with ``--pool a.json b.json …`` (no run: the runs of every file together).

Usage: ``python scripts/bench_console.py [--rounds 4] [--file-swaps 600] [--models pvp,htlc]``,
``python scripts/bench_console.py --pool docs/bench/console/*.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import httpx  # noqa: E402
from bench_bridge import cpu_seconds, ledger_pids, percentile, run_files  # noqa: E402

from bridge.engine.rates import approve_development_banks, publish_current_rates  # noqa: E402
from bridge.sdk.client import BridgeClient  # noqa: E402
from bridge.server import BridgeProcess  # noqa: E402
from corridor.config import load_settings  # noqa: E402
from corridor.network import open_network  # noqa: E402
from tests.support.browser import BrowserSession  # noqa: E402


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (the headless Chromium's processes under its driver)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu(bridge: int, browser: int) -> dict[str, float | None]:
    return {"bridge": cpu_seconds([bridge]), "browser": cpu_seconds(descendants(browser)), "ledgers": cpu_seconds(ledger_pids()),
            "clients": time.process_time()}  # fmt: skip


def lag_figures(lags: list[float]) -> dict[str, Any]:
    if not lags:
        return {"rows_received": 0}
    return {"rows_received": len(lags), "p50_ms": round(statistics.median(lags)), "p95_ms": round(percentile(lags, 0.95)),
            "p99_ms": round(percentile(lags, 0.99)), "max_ms": round(max(lags)), "over_1s": sum(1 for lag in lags if lag > 1000)}  # fmt: skip


BOOTSTRAP_SAMPLES = 4000


def change_figures(without: list[float], with_: list[float]) -> dict[str, Any]:
    """The change of the mean throughput with the console open, in per cent of the mean without, and its 95 %
    percentile-bootstrap interval (each mode's runs resampled with replacement; a fixed seed, so the same
    runs always print the same interval)."""
    def change(a: list[float], b: list[float]) -> float:
        return 100 * (statistics.fmean(b) - statistics.fmean(a)) / statistics.fmean(a)

    rng = random.Random(20261201)
    draws = sorted(change(rng.choices(without, k=len(without)), rng.choices(with_, k=len(with_))) for _ in range(BOOTSTRAP_SAMPLES))
    return {"runs": {"without": len(without), "with": len(with_)}, "swaps_per_s_without": round(statistics.fmean(without), 1),
            "swaps_per_s_with": round(statistics.fmean(with_), 1), "change_percent": round(change(without, with_), 1),
            "change_percent_95": [round(draws[int(0.025 * len(draws))], 1), round(draws[int(0.975 * len(draws)) - 1], 1)]}  # fmt: skip


def pool(paths: list[str]) -> dict[str, Any]:
    """Every run of the sessions in ``paths`` (this script's JSON output), per model, as one sample."""
    pooled: dict[str, Any] = {"sessions": paths}
    sessions = [json.loads(Path(path).read_text()) for path in paths]
    for model in ("pvp", "htlc"):
        found = [s[model]["runs"] for s in sessions if model in s and {"without", "with"} <= set(s[model]["runs"])]
        if not found:
            continue
        without = [r["swaps_per_s"] for runs in found for r in runs["without"]]
        with_ = [r["swaps_per_s"] for runs in found for r in runs["with"]]
        def lags(key: str) -> dict[str, int] | None:
            figures = [r[key] for runs in found for r in runs["with"] if r.get(key, {}).get("rows_received")]
            if not figures:
                return None
            return {"p95_ms_worst_run": max(f["p95_ms"] for f in figures), "max_ms": max(f["max_ms"] for f in figures),
                    "rows_over_1s": sum(f["over_1s"] for f in figures), "rows": sum(f["rows_received"] for f in figures)}  # fmt: skip

        pooled[model] = change_figures(without, with_) | {
            "browser_cpu_ms_per_swap": [min(r["cpu_ms_per_swap"]["browser"] for runs in found for r in runs["with"]),
                                        max(r["cpu_ms_per_swap"]["browser"] for runs in found for r in runs["with"])],
            "sse_lag": lags("sse_lag"), "sse_lag_after_commit": lags("sse_lag_after_commit")}
    return pooled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds of (without, with) per model")
    parser.add_argument("--file-swaps", type=int, default=600)
    parser.add_argument("--file-size", type=int, default=100)
    parser.add_argument("--files-in-flight", type=int, default=4)
    parser.add_argument("--models", default="pvp,htlc")
    parser.add_argument("--modes", default="without,with", help="without,with (alternating), or one of them alone (for a profiler)")
    parser.add_argument("--pool", nargs="+", metavar="JSON", help="pool the runs of sessions this script printed (runs nothing)")
    args = parser.parse_args()
    if args.pool:
        missing = [path for path in args.pool if not Path(path).is_file()]
        if missing:
            parser.error(f"--pool: no such file: {', '.join(missing)}")
        json.dump(pool(args.pool), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not args.modes or not set(args.modes.split(",")) <= {"without", "with"}:
        parser.error("--modes takes without, with or without,with")
    settings = load_settings()
    result: dict[str, Any] = {"load": f"{args.file_swaps} swaps in files of {args.file_size}, {args.files_in_flight} in flight",
                              "machine": "bridge process, anvil ledgers, SDK clients and headless Chromium on one machine"}  # fmt: skip
    with open_network(settings) as net, tempfile.TemporaryDirectory() as tmp:
        net.deploy()
        approve_development_banks(net)
        publish_current_rates(net)
        assert net.deployment is not None
        deployment = Path(tmp) / "deployment.json"
        net.deployment.save(deployment)
        server = BridgeProcess(deployment, f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), launcher=[sys.executable, "-m", "apps.cli", "bridge"])
        try:
            server.wait_ready()
            clients = {b: BridgeClient(server.url, b, net.keys.account(b)) for b in settings.banks}
            regulator = BridgeClient(server.url, "regulator", net.keys.account("regulator"), store=False)
            followed: dict[str, int] = {}  # each initiator's event stream resumes where it stopped
            with BrowserSession() as browser:
                browser.goto(regulator.console_link(), ctx="console")
                browser.click("#continue", ctx="console", navigate=True)
                for model in args.models.split(","):
                    modes = [mode for mode in ("without", "with") if mode in args.modes.split(",")]
                    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
                    for round_ in range(args.rounds):
                        for mode in (modes if round_ % 2 == 0 else modes[::-1]):
                            if mode == "with":
                                browser.goto(f"{server.url}/console/", ctx="console")
                                browser.wait_for("[data-live-text]", text="live", ctx="console")
                                browser.evaluate("window.corridorConsole.lags.length = 0; window.corridorConsole.committedLags.length = 0", ctx="console")
                            else:
                                browser.goto("about:blank", ctx="console")
                            time.sleep(1.0)
                            before = cpu(server.process.pid, browser._process.pid)
                            figures = run_files(clients, net, model, args.file_swaps, args.file_size, args.files_in_flight, followed)
                            after = cpu(server.process.pid, browser._process.pid)
                            figures["cpu_ms_per_swap"] = {part: None if before[part] is None or after[part] is None
                                                          else round(1000 * (after[part] - before[part]) / args.file_swaps, 2)  # type: ignore[operator]
                                                          for part in before}  # fmt: skip
                            if mode == "with":
                                time.sleep(1.0)  # the last entries reach the page
                                figures["sse_lag"] = lag_figures(list(browser.evaluate("window.corridorConsole.lags", ctx="console")))  # type: ignore[arg-type]
                                figures["sse_lag_after_commit"] = lag_figures(list(browser.evaluate("window.corridorConsole.committedLags", ctx="console")))  # type: ignore[arg-type]
                            runs[mode].append(figures)
                            print(f"{model} {mode} console: {figures['swaps_per_s']} swaps/s cpu {figures['cpu_ms_per_swap']} "
                                  f"{figures.get('sse_lag', '')}", file=sys.stderr)  # fmt: skip
                    mean = {mode: statistics.fmean(r["swaps_per_s"] for r in items) for mode, items in runs.items()}
                    cpu_mean = {mode: {part: round(statistics.fmean(r["cpu_ms_per_swap"][part] for r in items), 2)
                                       for part in items[0]["cpu_ms_per_swap"]} for mode, items in runs.items()}  # fmt: skip
                    result[model] = {"runs": runs}
                    for mode in modes:
                        result[model][f"swaps_per_s_{mode}"] = round(mean[mode], 1)
                        result[model][f"cpu_ms_per_swap_{mode}"] = cpu_mean[mode]
                    if len(modes) == 2:
                        figures = change_figures([r["swaps_per_s"] for r in runs["without"]], [r["swaps_per_s"] for r in runs["with"]])
                        result[model]["change_percent"] = figures["change_percent"]
                        result[model]["change_percent_95"] = figures["change_percent_95"]
                    if "with" in runs:
                        result[model]["sse_lag_worst_run"] = max((r["sse_lag"] for r in runs["with"]), key=lambda f: f.get("max_ms", 0))
                scraped = httpx.get(f"{server.url}/metrics").text.splitlines()
                result["metrics_at_the_end"] = [line for line in scraped if line.startswith(("corridor_console_", "corridor_alerts_open"))]
        except BaseException:
            kept = Path(tempfile.gettempdir()) / "bench_console_bridge.log"
            shutil.copyfile(server.log_path, kept)  # the run's folder goes with it
            print(f"bridge exit code: {server.process.poll()}; its whole log: {kept}; tail:\n"
                  f"{server.log_path.read_text(errors='replace')[-4000:]}", file=sys.stderr)  # fmt: skip
            raise
        finally:
            server.stop()
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
counts from the entry's commit at the earliest: the later of the moment its transaction was about to commit
(announced by the bridge) and when the stream's previous read began (which did not see it).

The browser is the supervisor's, which runs on the supervisor's machine, not the bridge's. Here it shares
the bridge's two cores, and Chromium, run as root, raises a shown page's renderer to nice -8, above the
bridge: when the OS preempts the bridge thread holding Python's interpreter lock, every other bridge
thread waits too. So Chromium's processes are set to ``--browser-nice`` (default 19) after each page load;
``--browser-nice 0`` lets it compete as any process. Besides each part's CPU per swap (the bridge's own
process, its children: the console's model builder, the browser, the ledgers, the clients).

Runs of one mode differ from each other by up to a third (the worker's batches fall differently run to
run), so each model's change is printed with a 95 % bootstrap interval (``change_percent_95``), and also
round by round (``paired_change_percent``: each round's run with the console against its run without,
one right after the other, so that what differs between sessions drops out). Sessions kept as JSON are
pooled with ``--pool a.json b.json …`` (no run: the runs of every file together).

``--switch-ms 5,1`` compares two interpreter switch intervals of the bridge (``bridge.interpreter_switch_ms``)
in one session: two bridges side by side, each on its own ledgers and database, every round running
both. Four orders take turns (``ARM_ORDERS``), so that each arm's runs follow a run with the console open
equally often (a console's model rebuild, in its own process, can outlast its page into the next run).

Usage: ``python scripts/bench_console.py [--rounds 4] [--file-swaps 600] [--models pvp,htlc]``,
``python scripts/bench_console.py --pool docs/bench/console/*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import httpx  # noqa: E402
from bench_bridge import cpu_seconds, ledger_pids, percentile, run_files  # noqa: E402

from bridge.engine.rates import approve_development_banks, publish_current_rates  # noqa: E402
from bridge.sdk.client import BridgeClient  # noqa: E402
from bridge.server import BridgeProcess  # noqa: E402
from corridor.config import Settings, load_settings  # noqa: E402
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
    """CPU seconds so far: the bridge's own process, its children (the console's model builder), the browser, the
    ledgers and this process (the banks' clients)."""
    return {"bridge": cpu_seconds([bridge]), "builder": cpu_seconds(descendants(bridge)[1:]), "browser": cpu_seconds(descendants(browser)),
            "ledgers": cpu_seconds(ledger_pids()), "clients": time.process_time()}  # fmt: skip


def renice(root: int, niceness: int) -> None:
    """``root`` and its processes at ``niceness`` (the ones it starts later inherit it)."""
    for pid in descendants(root):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
        except OSError:  # gone meanwhile
            continue


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


def paired_figures(without: list[float], with_: list[float]) -> dict[str, Any]:
    """The same change, round by round: each round's run with the console against its run without, one
    right after the other (the journal's size and the machine's other load of that moment weigh on both,
    and whole sessions, which differ by half, drop out). The mean of the rounds' changes in per cent, and
    its 95 % bootstrap interval (the rounds resampled with replacement; a fixed seed)."""
    rounds = min(len(without), len(with_))  # a round cut short (a failed session) has no pair
    changes = [100 * (b - a) / a for a, b in zip(without[:rounds], with_[:rounds], strict=True)]
    rng = random.Random(20261201)
    draws = sorted(statistics.fmean(rng.choices(changes, k=len(changes))) for _ in range(BOOTSTRAP_SAMPLES))
    return {"rounds": len(changes), "paired_change_percent": round(statistics.fmean(changes), 1),
            "paired_change_percent_95": [round(draws[int(0.025 * len(draws))], 1), round(draws[int(0.975 * len(draws)) - 1], 1)]}  # fmt: skip


BALANCE_FACTOR = 4  # the banks' opening balances, times this: 15 PvP runs drain a bank's HKD, and a session runs up to 24 a model


def with_larger_balances(settings: Settings) -> Settings:
    participants = {name: p.model_copy(update={"opening_balances": {code: BALANCE_FACTOR * amount for code, amount in p.opening_balances.items()}})
                    for name, p in settings.participants.items()}  # fmt: skip
    return settings.model_copy(update={"participants": participants})


def arm_key(switch_ms: float) -> str:
    return f"{switch_ms:g}"


def session_blocks(session: dict[str, Any], model: str, switch_ms: float) -> dict[str, Any] | None:
    """One session's runs of ``model`` with the bridge's interpreter lock handed on every ``switch_ms``: a
    session of arms (``--switch-ms 5,1``) keeps each apart; an older one ran at its ``switch_ms`` (5 ms,
    Python's default, when it does not say)."""
    block = session.get(model)
    if block is None:
        return None
    if "arms" in block:
        return block["arms"].get(arm_key(switch_ms))
    return block if float(session.get("switch_ms", 5)) == switch_ms else None


def pool(paths: list[str], switch_ms: float) -> dict[str, Any]:
    """Every run of the sessions in ``paths`` (this script's JSON output) at ``switch_ms``, per model, as one sample."""
    paths = sorted(paths)  # the bootstrap's draws follow the runs' order: the same files, the same interval
    pooled: dict[str, Any] = {"sessions": paths, "switch_ms": switch_ms}
    sessions = [json.loads(Path(path).read_text()) for path in paths]
    for model in ("pvp", "htlc"):
        blocks = [session_blocks(s, model, switch_ms) for s in sessions]
        found = [b["runs"] for b in blocks if b is not None and {"without", "with"} <= set(b["runs"])]
        if not found:
            continue
        without = [r["swaps_per_s"] for runs in found for r in runs["without"]]
        with_ = [r["swaps_per_s"] for runs in found for r in runs["with"]]
        paired = [(a["swaps_per_s"], b["swaps_per_s"]) for runs in found for a, b in zip(runs["without"], runs["with"], strict=False)]  # a cut-short round has no pair

        def lags(key: str, found: list[dict[str, Any]] = found) -> dict[str, int] | None:
            figures = [r[key] for runs in found for r in runs["with"] if r.get(key, {}).get("rows_received")]
            if not figures:
                return None
            return {"p95_ms_worst_run": max(f["p95_ms"] for f in figures), "max_ms": max(f["max_ms"] for f in figures),
                    "rows_over_1s": sum(f["over_1s"] for f in figures), "runs_with_a_row_over_1s": sum(1 for f in figures if f["over_1s"]),
                    "rows": sum(f["rows_received"] for f in figures)}  # fmt: skip

        pooled[model] = change_figures(without, with_) | paired_figures([a for a, _ in paired], [b for _, b in paired]) | {
            "browser_cpu_ms_per_swap": [min(r["cpu_ms_per_swap"]["browser"] for runs in found for r in runs["with"]),
                                        max(r["cpu_ms_per_swap"]["browser"] for runs in found for r in runs["with"])],
            "sse_lag": lags("sse_lag"), "sse_lag_after_commit": lags("sse_lag_after_commit")}
    return pooled


def summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One arm's runs of one model, with their means and (both modes run) the console's change."""
    block: dict[str, Any] = {"runs": runs}
    for mode, items in runs.items():
        block[f"swaps_per_s_{mode}"] = round(statistics.fmean(r["swaps_per_s"] for r in items), 1)
        block[f"cpu_ms_per_swap_{mode}"] = {part: round(statistics.fmean(r["cpu_ms_per_swap"][part] for r in items), 2)
                                            for part in items[0]["cpu_ms_per_swap"]}  # fmt: skip
    if {"without", "with"} <= set(runs):
        without, with_ = [r["swaps_per_s"] for r in runs["without"]], [r["swaps_per_s"] for r in runs["with"]]
        figures = change_figures(without, with_)
        block["change_percent"] = figures["change_percent"]
        block["change_percent_95"] = figures["change_percent_95"]
        block |= paired_figures(without, with_)
    if "with" in runs:
        block["sse_lag_worst_run"] = max((r["sse_lag"] for r in runs["with"]), key=lambda f: f.get("max_ms", 0))
        for key in ("sse_lag", "sse_lag_after_commit"):
            block[f"runs_with_a_row_over_1s_{key.removeprefix('sse_lag').lstrip('_') or 'from_stamp'}"] = sum(1 for r in runs["with"] if r[key].get("over_1s"))
    return block


def anvil_pids(net: Any) -> list[int]:
    """The anvil processes behind ``net``'s ledgers (found by the ports of their RPC URLs)."""
    ports = {str(urlparse(client.rpc_url).port) for client in net.clients.values()}
    found = []
    for pid in ledger_pids():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(argv[i] == b"--port" and argv[i + 1].decode() in ports for i in range(len(argv) - 1)):
            found.append(pid)
    return found


@dataclass
class Rig:
    """One arm of a session: its own ledgers, its bridge process (interpreter switch interval ``switch_ms``)
    with its own database, the banks' clients, and the regulator's console signed in in its own context of
    the shared headless Chromium. Two arms run side by side for the whole session, so each run finds its
    bridge warm (model, counts, caches) whichever arm ran before; the idle one only polls its ledgers."""

    switch_ms: float
    net: Any
    server: BridgeProcess
    clients: dict[str, BridgeClient]
    browser: BrowserSession
    ctx: str
    followed: dict[str, int] = field(default_factory=dict)  # each initiator's event stream resumes where it stopped


@contextmanager
def open_rig(settings: Settings, switch_ms: float, browser: BrowserSession) -> Iterator[Rig]:
    with open_network(with_larger_balances(settings)) as net, tempfile.TemporaryDirectory() as tmp:
        net.deploy()
        approve_development_banks(net)
        publish_current_rates(net)
        assert net.deployment is not None
        deployment = Path(tmp) / "deployment.json"
        net.deployment.save(deployment)
        server = BridgeProcess(deployment, f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), launcher=[sys.executable, "-m", "apps.cli", "bridge"],
                               settings_env={"CORRIDOR_BRIDGE__INTERPRETER_SWITCH_MS": arm_key(switch_ms)})  # fmt: skip
        try:
            server.wait_ready()
            clients = {b: BridgeClient(server.url, b, net.keys.account(b)) for b in settings.banks}
            regulator = BridgeClient(server.url, "regulator", net.keys.account("regulator"), store=False)
            ctx = f"console-{arm_key(switch_ms)}ms"
            browser.goto(regulator.console_link(), ctx=ctx)
            browser.click("#continue", ctx=ctx, navigate=True)
            browser.goto("about:blank", ctx=ctx)
            yield Rig(switch_ms, net, server, clients, browser, ctx)
        except BaseException:
            kept = Path(tempfile.gettempdir()) / f"bench_console_bridge_{arm_key(switch_ms)}ms.log"
            shutil.copyfile(server.log_path, kept)  # the run's folder goes with it
            print(f"bridge ({arm_key(switch_ms)} ms) exit code: {server.process.poll()}; its whole log: {kept}; tail:\n"
                  f"{server.log_path.read_text(errors='replace')[-4000:]}", file=sys.stderr)  # fmt: skip
            raise
        finally:
            server.stop()


def one_run(rig: Rig, model: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    browser, server, ctx = rig.browser, rig.server, rig.ctx
    if mode == "with":
        browser.goto(f"{server.url}/console/", ctx=ctx)
        browser.wait_for("[data-live-text]", text="live", ctx=ctx)
        renice(browser._process.pid, args.browser_nice)  # Chromium raises a shown page's renderer (to -8 here, run as root)
        browser.evaluate("window.corridorConsole.lags.length = 0; window.corridorConsole.committedLags.length = 0", ctx=ctx)
    time.sleep(1.0)
    ledgers = anvil_pids(rig.net)
    before = cpu(server.process.pid, browser._process.pid) | {"ledgers": cpu_seconds(ledgers)}
    figures = run_files(rig.clients, rig.net, model, args.file_swaps, args.file_size, args.files_in_flight, rig.followed)
    after = cpu(server.process.pid, browser._process.pid) | {"ledgers": cpu_seconds(ledgers)}
    figures["cpu_ms_per_swap"] = {part: None if before[part] is None or after[part] is None
                                  else round(1000 * (after[part] - before[part]) / args.file_swaps, 2)  # type: ignore[operator]
                                  for part in before}  # fmt: skip
    if mode == "with":
        time.sleep(1.0)  # the last entries reach the page
        figures["sse_lag"] = lag_figures(list(browser.evaluate("window.corridorConsole.lags", ctx=ctx)))  # type: ignore[arg-type]
        figures["sse_lag_after_commit"] = lag_figures(list(browser.evaluate("window.corridorConsole.committedLags", ctx=ctx)))  # type: ignore[arg-type]
        browser.goto("about:blank", ctx=ctx)  # the page closed: the next run of either arm has no console open
    print(f"{model} {rig.switch_ms:g} ms {mode} console: {figures['swaps_per_s']} swaps/s cpu {figures['cpu_ms_per_swap']} "
          f"{figures.get('sse_lag_after_commit', '')}", file=sys.stderr)  # fmt: skip
    return figures


# Two arms (a, b), without (w) and with (c) the console: each order's runs in turn. Over four rounds each
# arm's w-runs follow a c-run three times and its c-runs once, counting the previous round's last run.
ARM_ORDERS = [[(0, "without"), (0, "with"), (1, "without"), (1, "with")], [(1, "with"), (1, "without"), (0, "with"), (0, "without")],
              [(1, "without"), (1, "with"), (0, "without"), (0, "with")], [(0, "with"), (0, "without"), (1, "with"), (1, "without")]]  # fmt: skip


def run_order(arms: list[float], modes: list[str], round_: int) -> list[tuple[float, str]]:
    """The runs of one round. One arm: its modes, turned around every other round (the earlier and the
    later of two runs fall alike on each). Two arms with both modes: :data:`ARM_ORDERS` in turn."""
    if len(arms) == 1 or len(modes) == 1:
        order = [(arm, mode) for arm in arms for mode in modes]
        return order if round_ % 2 == 0 else order[::-1]
    return [(arms[index], mode) for index, mode in ARM_ORDERS[round_ % len(ARM_ORDERS)]]


def model_result(runs: dict[float, dict[str, list[dict[str, Any]]]], arms: list[float], modes: list[str]) -> dict[str, Any]:
    started = {arm: {mode: items for mode, items in by_mode.items() if items} for arm, by_mode in runs.items()}
    if len(arms) == 1:
        return summary(started[arms[0]])
    result: dict[str, Any] = {"arms": {arm_key(arm): summary(started[arm]) for arm in arms if started[arm]}}
    for mode in modes:  # the second interval against the first, each mode on its own (paired: within a round)
        first, second = [r["swaps_per_s"] for r in runs[arms[0]][mode]], [r["swaps_per_s"] for r in runs[arms[1]][mode]]
        if first and second:
            result[f"switch_change_{mode}"] = change_figures(first, second) | paired_figures(first, second)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds of (without, with) per model")
    parser.add_argument("--file-swaps", type=int, default=600)
    parser.add_argument("--file-size", type=int, default=100)
    parser.add_argument("--files-in-flight", type=int, default=4)
    parser.add_argument("--models", default="pvp,htlc")
    parser.add_argument("--modes", default="without,with", help="without,with (alternating), or one of them alone (for a profiler)")
    parser.add_argument("--switch-ms", default=None, metavar="MS[,MS]",
                        help="the bridge's interpreter switch interval (bridge.interpreter_switch_ms; default: the configured one); "
                             "two, e.g. 5,1: two bridges, each on its own ledgers, and each round runs both (an A/B in one session)")
    parser.add_argument("--browser-nice", type=int, default=19, choices=range(0, 20), metavar="0-19",
                        help="the headless Chromium's niceness, set again after each page load (run as root, Chromium raises a shown "
                             "page's renderer to -8, above the bridge). A supervisor's browser runs on the supervisor's machine, not "
                             "the bridge's: 19 (the default) keeps it from preempting the bridge; 0 lets it compete as any process")
    parser.add_argument("--pool", nargs="+", metavar="JSON", help="pool the runs of sessions this script printed (runs nothing)")
    args = parser.parse_args()
    settings = None if args.pool else load_settings()  # pooling reads files only
    try:
        arms = [float(ms) for ms in args.switch_ms.split(",")] if args.switch_ms else [settings.bridge.interpreter_switch_ms if settings else 5.0]
    except ValueError:
        parser.error("--switch-ms takes one or two intervals in milliseconds, e.g. 5 or 5,1")
    if len(arms) > 2 or len(set(arms)) != len(arms) or not all(0.1 <= ms <= 100 for ms in arms):
        parser.error("--switch-ms takes one or two different intervals from 0.1 to 100 ms")
    if args.pool:
        missing = [path for path in args.pool if not Path(path).is_file()]
        if missing:
            parser.error(f"--pool: no such file: {', '.join(missing)}")
        if len(arms) != 1:
            parser.error("--pool takes one --switch-ms")
        json.dump(pool(args.pool, arms[0]), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not args.modes or not set(args.modes.split(",")) <= {"without", "with"}:
        parser.error("--modes takes without, with or without,with")
    modes = [mode for mode in ("without", "with") if mode in args.modes.split(",")]
    result: dict[str, Any] = {"load": f"{args.file_swaps} swaps in files of {args.file_size}, {args.files_in_flight} in flight",
                              "machine": "bridge process, anvil ledgers, SDK clients and headless Chromium on one machine"}  # fmt: skip
    if len(arms) == 1:
        result["switch_ms"] = arms[0]
    else:
        result["arms"] = "two bridges side by side, each on its own pair of ledgers, alternated run by run"
    try:
        with ExitStack() as stack:
            browser = stack.enter_context(BrowserSession())
            browser.goto("about:blank", ctx="warm-up")  # Chromium runs: its processes, and those it starts later, at this priority
            renice(browser._process.pid, args.browser_nice)
            result["browser_nice"] = args.browser_nice
            rigs = {arm: stack.enter_context(open_rig(settings, arm, browser)) for arm in arms}
            for model in args.models.split(","):
                runs = {arm: {mode: [] for mode in modes} for arm in arms}  # type: dict[float, dict[str, list[dict[str, Any]]]]
                for round_ in range(args.rounds):
                    for arm, mode in run_order(arms, modes, round_):
                        runs[arm][mode].append(one_run(rigs[arm], model, mode, args))
                        result[model] = model_result(runs, arms, modes)  # kept after every run: a failed session prints what ran
            for arm, rig in rigs.items():
                scraped = httpx.get(f"{rig.server.url}/metrics").text.splitlines()
                result.setdefault("metrics_at_the_end", {})[arm_key(arm)] = [line for line in scraped
                                                                             if line.startswith(("corridor_console_", "corridor_alerts_open"))]  # fmt: skip
    except BaseException as exc:
        result["incomplete"] = f"{type(exc).__name__}: {exc}"[:500]  # what ran is still printed
        raise
    finally:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end bridge benchmark on the embedded ledgers (anvil automine), printed as JSON.

Measures, in one run: the raw rate of plain token transfers the ledgers accept through the same
client stack (sequential send-and-wait, and pipelined; the best run of either is the raw rate),
then settled swaps per second and the p50/p99 latency (instruction to final settlement, as the
bank's SDK sees it) for same-ledger (PvP, 1 transaction per swap) and cross-ledger (HTLC, 4
transactions per swap) swaps, each throughput as a ratio of what the raw rate allows for that many
transactions per swap. Swaps are sent two ways: one instruction per request (``--swaps``,
``--in-flight`` at once), and as instruction files (``--file-swaps`` in files of ``--file-size``,
``--files-in-flight`` at once). CPU time per swap of the bridge, the ledgers and the clients
(all on this machine) is printed for the files.

Usage: ``python scripts/bench_bridge.py [--swaps 40] [--in-flight 10] [--file-swaps 600] [--file-size 100]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bridge.engine.rates import approve_development_banks, publish_current_rates
from bridge.sdk.client import BridgeClient, BridgeRequestError
from corridor.config import load_settings
from corridor.network import Network, open_network
from bridge.server import BridgeProcess


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def raw_transfers(net: Network, count: int, rounds: int = 3) -> dict[str, float]:
    """Plain token transfers on ledger A through the same client stack, sequential (send and wait)
    and pipelined (send all, then wait). One run is noisy, so ``rounds`` runs of each are made and
    the best of all is the raw rate: the allowance the swaps are compared with is the most the
    ledgers were seen to accept."""
    client, token = net.clients["A"], net.token("CNY")
    banks = [net.keys.account(b) for b in net.settings.banks]

    def transfer(i: int) -> Any:
        return token.functions.transfer(banks[(i + 1) % len(banks)].address, 1)

    sequential, pipelined = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for i in range(count):
            client.transact(banks[i % len(banks)], transfer(i), gas=80_000)
        sequential.append(count / (time.perf_counter() - started))
        started = time.perf_counter()
        hashes = [client.send(banks[i % len(banks)], transfer(i), gas=80_000) for i in range(count)]
        for tx_hash in hashes:
            client.wait(tx_hash)
        pipelined.append(count / (time.perf_counter() - started))
    return {"sequential_tx_per_s": round(max(sequential), 1), "pipelined_tx_per_s": round(max(pipelined), 1),
            "tx_per_s": round(max(*sequential, *pipelined), 1), "sequential_runs": [round(r, 1) for r in sequential],
            "pipelined_runs": [round(r, 1) for r in pipelined]}  # fmt: skip


def run_swaps(clients: dict[str, BridgeClient], net: Network, model: str, count: int, in_flight: int) -> dict[str, Any]:
    now = lambda: int(net.clients["A"].w3.eth.get_block("latest")["timestamp"])  # noqa: E731
    pairs = [("yangtze", "harbour"), ("pearlriver", "harbour")] if model == "pvp" else [("yangtze", "chaophraya"), ("pearlriver", "chaophraya")]
    buy = "HKD" if model == "pvp" else "THB"
    rate = int(clients["yangtze"].rate("CNY", buy)["mid_fixed_8"]) * 10**10

    def one(i: int) -> float:
        seller, buyer = pairs[i % 2]
        started = time.perf_counter()
        if model == "pvp":
            swap = clients[seller].submit_pvp(counterparty=clients[buyer].account.address, sell="CNY", sell_amount=1_000_00 + i,
                                              buy=buy, rate=rate, deadline=now() + 900)  # fmt: skip
            clients[buyer].accept(swap)
        else:
            order = clients[seller].htlc_order_at_quote(counterparty=clients[buyer].account.address, sell="CNY",
                                                        sell_amount=1_000_00 + i, buy=buy, now=now())  # fmt: skip
            swap = clients[seller].submit_htlc(order)
            clients[buyer].accept(swap)
            clients[seller].wait_for(swap["id"], {"locked_b"}, timeout=120)
            clients[seller].reveal(order)
        done = clients[seller].wait_for(swap["id"], {"settled", "failed"}, timeout=120)
        assert done["state"] == "settled", done
        return time.perf_counter() - started

    latencies_alone = [one(i) for i in range(min(10, count))]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        latencies = list(pool.map(one, range(100, 100 + count)))
    elapsed = time.perf_counter() - started
    return {
        "swaps": count,
        "in_flight": in_flight,
        "swaps_per_s": round(count / elapsed, 2),
        "p50_latency_s_one_at_a_time": round(statistics.median(latencies_alone), 3),
        "p99_latency_s_one_at_a_time": round(percentile(latencies_alone, 0.99), 3),
        "p50_latency_s_under_load": round(statistics.median(latencies), 3),
        "p99_latency_s_under_load": round(percentile(latencies, 0.99), 3),
    }


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of processes (Linux /proc); None where unreadable."""
    try:
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def ledger_pids() -> list[int]:
    """This process's child anvil processes (the embedded ledgers)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError, IndexError):
            continue
        if name.startswith("anvil") and int(rest.split()[1]) == os.getpid():
            pids.append(int(stat.parent.name))
    return pids


def cpu_use(bridge_pid: int) -> dict[str, float | None]:
    return {"bridge": cpu_seconds([bridge_pid]), "ledgers": cpu_seconds(ledger_pids()), "clients": time.process_time()}


def run_files(clients: dict[str, BridgeClient], net: Network, model: str, count: int, file_size: int, in_flight: int,
              followed: dict[str, int] | None = None) -> dict[str, Any]:  # fmt: skip
    """Swaps sent as instruction files (``POST /v1/swaps/batch`` and its accept/secrets companions),
    ``file_size`` swaps a file, ``in_flight`` files at once. Latency runs from a file's submission to
    each of its swaps' settlement, as the initiator's event stream reports it. ``followed``: where each
    initiator's event stream stopped in an earlier run, updated here (as a bank resumes its stream where
    it stopped; following from the start would re-read the whole journal in every run)."""
    followed = {} if followed is None else followed
    now = lambda: int(net.clients["A"].w3.eth.get_block("latest")["timestamp"])  # noqa: E731
    pairs = [("yangtze", "harbour"), ("pearlriver", "chaophraya")]
    buy = "HKD" if model == "pvp" else "THB"
    rate = int(clients["yangtze"].rate("CNY", buy)["mid_fixed_8"]) * 10**10
    files = [min(file_size, count - start) for start in range(0, count, file_size)]
    started: dict[str, float] = {}
    finished: dict[str, tuple[float, str]] = {}
    guard = threading.Condition()

    def follow(seller: str) -> None:
        try:
            for entry in clients[seller].follow(followed.get(seller, 0), until=time.monotonic() + 300):
                followed[seller] = max(followed.get(seller, 0), int(entry["seq"]))
                if entry["to"] in ("settled", "failed", "refunded", "expired", "cancelled"):
                    with guard:
                        finished.setdefault(entry["swap_id"], (time.perf_counter(), entry["to"]))
                        guard.notify_all()
                if stop.is_set():
                    return
        except BridgeRequestError:
            if not stop.is_set():
                raise

    def one_file(index: int) -> None:
        seller, buyer = pairs[index % 2]
        initiator, counterparty = clients[seller], clients[buyer]
        size, submitted = files[index], time.perf_counter()
        if model == "pvp":
            instructions = [initiator.pvp_instruction(counterparty=counterparty.account.address, sell="CNY", sell_amount=1_000_00 + i,
                                                      buy=buy, rate=rate, deadline=now() + 900) for i in range(size)]  # fmt: skip
        else:
            # 100 CNY a swap: harbour's 10 million THB pays for ~21,000 such swaps (at 1,000 CNY, a session's
            # 7th run of 600 found it short: ERC20InsufficientBalance on its lock, and 28 swaps refunded).
            orders = initiator.htlc_orders_at_quote(counterparty=counterparty.account.address, sell="CNY", sell_amount=100_00,
                                                    buy=buy, now=now(), count=size)  # fmt: skip
            instructions = [BridgeClient.htlc_instruction(order) for order in orders]
        answer = initiator.submit_many(instructions)
        ids = [item["id"] for item in answer["items"]]
        with guard:
            started.update((swap_id, submitted) for swap_id in ids)
        counterparty.accept_many([BridgeClient.agreed(i, swap_id) for i, swap_id in zip(instructions, ids, strict=True)])
        if model == "htlc":
            initiator.wait_all(ids, {"locked_b"}, after=answer["seq"], timeout=120)
            initiator.reveal_many(orders)

    stop = threading.Event()
    followers = [threading.Thread(target=follow, args=(seller,), daemon=True) for seller in {s for s, _ in pairs}]
    for thread in followers:
        thread.start()
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        list(pool.map(one_file, range(len(files))))
    with guard:
        guard.wait_for(lambda: set(started) <= set(finished), timeout=120)
    stop.set()
    outcomes = [finished[swap_id][1] for swap_id in started if swap_id in finished]
    assert len(outcomes) == count and set(outcomes) == {"settled"}, f"{len(outcomes)}/{count} finished: {set(outcomes)}"
    elapsed = max(finished[swap_id][0] for swap_id in started) - began
    latencies = [finished[swap_id][0] - started[swap_id] for swap_id in started]
    return {
        "swaps": count,
        "file_size": file_size,
        "files_in_flight": in_flight,
        "swaps_per_s": round(count / elapsed, 2),
        "p50_latency_s": round(statistics.median(latencies), 3),
        "p99_latency_s": round(percentile(latencies, 0.99), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swaps", type=int, default=40)
    parser.add_argument("--in-flight", type=int, default=10)
    parser.add_argument("--file-swaps", type=int, default=600, help="swaps sent as instruction files")
    parser.add_argument("--file-size", type=int, default=100)
    parser.add_argument("--files-in-flight", type=int, default=4)
    parser.add_argument("--models", default="pvp,htlc", help="which to run: pvp (same ledger), htlc (cross ledger)")
    args = parser.parse_args()
    if args.swaps < 2 or args.in_flight < 1:
        parser.error("--swaps must be at least 2 and --in-flight at least 1")
    if args.file_swaps < 1 or not 1 <= args.file_size <= 500 or args.files_in_flight < 1:
        parser.error("--file-swaps and --files-in-flight must be at least 1, --file-size 1..500")
    settings = load_settings()
    result: dict[str, Any] = {"ledgers": "anvil automine, 2 ledgers", "relayer_keys": 1}
    with open_network(settings) as net, tempfile.TemporaryDirectory() as tmp:
        net.deploy()
        approve_development_banks(net)
        publish_current_rates(net)
        result["raw_transfers"] = raw_transfers(net, 200)
        assert net.deployment is not None
        deployment = Path(tmp) / "deployment.json"
        net.deployment.save(deployment)
        # The bridge runs as its own process, as deployed; the banks' clients run here.
        server = BridgeProcess(deployment, f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))
        try:
            server.wait_ready()
            clients = {b: BridgeClient(server.url, b, net.keys.account(b)) for b in settings.banks}
            followed: dict[str, int] = {}
            for model, txs in (("pvp", 1), ("htlc", 4)):
                if model not in args.models.split(","):
                    continue
                allowed = result["raw_transfers"]["tx_per_s"] / txs
                figures = run_swaps(clients, net, model, args.swaps, args.in_flight)
                figures["transactions_per_swap"] = txs
                figures["ratio_to_raw_rate_allowance"] = round(figures["swaps_per_s"] / allowed, 3)
                cpu_before = cpu_use(server.process.pid)
                files = run_files(clients, net, model, args.file_swaps, args.file_size, args.files_in_flight, followed)
                cpu_after = cpu_use(server.process.pid)
                files["cpu_ms_per_swap"] = {part: None if cpu_before[part] is None or cpu_after[part] is None
                                            else round(1000 * (cpu_after[part] - cpu_before[part]) / args.file_swaps, 2)  # type: ignore[operator]
                                            for part in cpu_before}  # fmt: skip
                files["ratio_to_raw_rate_allowance"] = round(files["swaps_per_s"] / allowed, 3)
                figures["instruction_files"] = files
                result["same_ledger" if model == "pvp" else "cross_ledger"] = figures
        finally:
            server.stop()
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

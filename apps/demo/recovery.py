"""8 · Crash and recovery (PFMI P17): a second bridge process, on the demo's own database, is killed
with SIGKILL right after locking a swap's first leg; a health probe notices; the bridge is restarted on
the same database and completes the swap. Measured: detection (the dead bridge's last journal entry → the probe's first failure),
recovery (kill → the restarted bridge's first step on the swap, from the journal), completion, and the
recovery point: every instruction the dead bridge had acknowledged is in the journal."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from apps.demo.context import DemoContext, outcome
from bridge.sdk.client import BridgeClient
from corridor.ledgers import free_port
from corridor.toolchain import REPO_ROOT
from supervision.inputs import RecoveryDrill, ScenarioOutcome

PROBE_SECONDS = 0.1  # how often the drill's monitor probes the bridge's health


class _Probe(threading.Thread):
    """Probes a bridge's health until it stops answering; records when."""

    def __init__(self, url: str) -> None:
        super().__init__(name="drill-probe", daemon=True)
        self.url = url
        self.failed_at: datetime | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                httpx.get(f"{self.url}/v1/health", timeout=PROBE_SECONDS)
            except httpx.HTTPError:
                self.failed_at = datetime.now(timezone.utc)
                return
            self._halt.wait(PROBE_SECONDS)

    def stop(self) -> None:
        self._halt.set()


def _at(text: str) -> datetime:
    """A journal time (the bridge's clock, UTC; SQLite hands it back without its zone)."""
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def _start(ctx: DemoContext, deployment: Path, state: Path, fault: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "CORRIDOR_STATE_DIR": str(state)}
    env.pop("CORRIDOR_FAULT_KILL_AFTER", None)
    if fault:
        env["CORRIDOR_FAULT_KILL_AFTER"] = fault
    process = subprocess.Popen([sys.executable, "-m", "bridge", "serve", "--deployment", str(deployment), "--database", ctx.database_url,
                                "--port", str(port)], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the drill's bridge did not start")
        time.sleep(0.05)


def crash_and_recovery(ctx: DemoContext) -> ScenarioOutcome:
    """8 · Crash and recovery: the bridge is killed mid-swap (SIGKILL) and restarted on the same database; the swap completes."""
    net = ctx.network
    ctx.worker.pause()  # the demo's own bridge stands aside: one relayer key, one bridge stepping at a time
    amount = 150_000_00
    before = ctx.snapshot([("yangtze", "CNY"), ("chaophraya", "CNY"), ("yangtze", "THB"), ("chaophraya", "THB")])
    with tempfile.TemporaryDirectory() as tmp:
        deployment = Path(tmp) / "deployment.json"
        assert net.deployment is not None
        net.deployment.save(deployment)
        process, url = _start(ctx, deployment, Path(tmp), "locked_a")
        a = BridgeClient(url, "yangtze", net.keys.account("yangtze"))
        c = BridgeClient(url, "chaophraya", net.keys.account("chaophraya"))
        probe = _Probe(url)
        probe.start()
        order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=ctx.now())
        acknowledged = [a.submit_htlc(order)]
        acknowledged.append(c.accept(acknowledged[0]))
        swap_id = acknowledged[0]["id"]
        exit_code = process.wait(timeout=60)
        killed = exit_code == -9
        crashed_wall = datetime.now(timezone.utc)  # no later than this; refined below from the journal
        probe.join(timeout=10)
        a.close(), c.close()
        process, url = _start(ctx, deployment, Path(tmp), None)
        a = BridgeClient(url, "yangtze", net.keys.account("yangtze"))
        try:
            a.wait_for(swap_id, {"locked_b"}, timeout=60)
            a.reveal(order)
            done = a.wait_for(swap_id, {"settled", "refunded", "failed"}, timeout=60)
        finally:
            process.terminate()
            process.wait(timeout=30)
            a.close()
    for client in net.clients.values():
        client.reset_nonces()
    ctx.worker.resume()
    journal = {s["to"]: s for s in done["transitions"]}
    if "locked_a" in journal:  # the dead bridge's last step, journalled right before the kill: the failure is no earlier
        crashed_wall = min(crashed_wall, _at(journal["locked_a"]["at"]))
    detection = (probe.failed_at - crashed_wall).total_seconds() if probe.failed_at else None
    ctx.say(f"the bridge process was killed with SIGKILL right after locking {ctx.money('CNY', amount)} of {ctx.name('yangtze')} "
            f"(exit {exit_code}); the health probe (every {PROBE_SECONDS} s) found it gone "
            f"{detection:.2f} s after its last journal entry" if detection is not None else "the health probe never noticed")  # fmt: skip
    after_crash = [_at(s["at"]) for s in done["transitions"] if _at(s["at"]) > crashed_wall]
    recovery = (after_crash[0] - crashed_wall).total_seconds() if after_crash else None
    completion = (_at(journal["settled"]["at"]) - crashed_wall).total_seconds() if "settled" in journal else None
    recorded = ctx.clients["regulator"].swap(swap_id)
    lost = 0 if recorded["id"] == swap_id and any(t["to"] == "accepted" for t in recorded["transitions"]) else len(acknowledged)
    ctx.gathered.drills.append(RecoveryDrill(
        what="bridge process killed with SIGKILL right after locking leg A, restarted on the same database", swap_id=swap_id,
        detection_seconds=None if detection is None else round(max(0.0, detection), 3),
        detection_method=f"health probe every {PROBE_SECONDS} s against the bridge (first failed probe after the kill)",
        recovery_seconds=None if recovery is None else round(recovery, 3), completion_seconds=None if completion is None else round(completion, 3),
        acknowledged=len(acknowledged), lost=lost, recovered_state=done["state"]))  # fmt: skip
    ctx.say(f"restarted on the same database, it re-read the chains and took the swap's next step {recovery or 0:.2f} s after the kill; "
            f"the swap settled {completion or 0:.2f} s after it (PFMI P17 objective: 2 hours); {lost} of {len(acknowledged)} acknowledged "
            "instructions lost")  # fmt: skip
    buy = order.order.buyAmount
    checks = ctx.checks(before, {("yangtze", "CNY"): -amount, ("chaophraya", "CNY"): amount, ("yangtze", "THB"): buy, ("chaophraya", "THB"): -buy})
    return outcome(8, "Crash and recovery", f"killed mid-swap, restarted on the same database, settled; recovery {recovery or 0:.2f} s",
                   checks, ok=killed and done["state"] == "settled" and lost == 0, swaps=[swap_id])  # fmt: skip


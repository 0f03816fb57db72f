"""The `corridor` command line, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corridor.toolchain import REPO_ROOT

pytestmark = pytest.mark.integration


def _corridor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "apps.cli", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=240, env=env)  # fmt: skip


def _anvil_pids() -> set[str]:
    """This checkout's anvils (other checkouts on a shared machine run their own)."""
    pids = subprocess.run(["pgrep", "-x", "anvil"], capture_output=True, text=True).stdout.split()
    ours = set()
    for pid in pids:
        try:
            if str(REPO_ROOT) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                ours.add(pid)
        except OSError:
            continue
    return ours


def test_demo_runs_every_scenario_writes_the_report_and_leaves_no_process(tmp_path: Path) -> None:
    """`corridor demo` as a user runs it: exit 0, every scenario passed, the three report files, no
    ledger left running (the figures themselves: tests/integration/test_supervision_report.py)."""
    before = _anvil_pids()
    result = _corridor("demo", "--reports", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Permitted" in result.stdout and "SettlementTokenIneligibleAccount" in result.stdout
    assert "FAIL" not in result.stdout and "supervisor's summary" in result.stdout
    assert _anvil_pids() <= before
    report = json.loads((tmp_path / "corridor-report.json").read_text())
    assert [s["number"] for s in report["scenarios"]] == list(range(9)) and all(s["passed"] for s in report["scenarios"])
    assert report["reconciliation"]["ok"] is True
    assert {v["status"] for v in report["verdicts"]} == {"met"}
    html = (tmp_path / "corridor-report.html").read_text()
    assert 'id="verdicts"' in html and "Refused instructions" in html
    assert (tmp_path / "corridor-swaps.csv").read_text().count("\n") == report["indicators"]["total"] + 1


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((REPO_ROOT / "corridor.toml").read_text().replace("chain_id = 48802", "chain_id = 48801"))
    result = _corridor("--config", str(bad), "demo")
    assert result.returncode == 2
    assert "ledgers.B.chain_id" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_ledgers_up_detached_then_down(tmp_path: Path, reaper: None) -> None:
    env = {**os.environ, "CORRIDOR_STATE_DIR": str(tmp_path)}
    up = _corridor("ledgers", "up", "--detach", env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "chain id 48801" in up.stdout and "chain id 48802" in up.stdout
    assert (tmp_path / "ledgers.json").is_file()
    again = _corridor("ledgers", "up", "--detach", env=env)
    assert again.returncode == 2 and "already started" in again.stdout + again.stderr
    down = _corridor("ledgers", "down", env=env)
    assert down.returncode == 0
    assert "stopped: A, B" in down.stdout
    assert not (tmp_path / "ledgers.json").exists()


def test_up_serves_a_network_banks_can_use_and_keeps_state(tmp_path: Path, reaper: None) -> None:
    """`corridor up`: endpoints, addresses and keys in a JSON file; a bank transacts through the
    bridge; Ctrl-C stops everything; --state brings back the same ledgers, deployment and swaps."""
    import signal
    import time

    from bridge.sdk.client import BridgeClient
    from corridor.config import load_settings
    from corridor.keys import KeyRing
    from corridor.ledgers import free_port

    state, info_file, port = tmp_path / "state", tmp_path / "info.json", free_port()
    keys = KeyRing(load_settings())

    def start() -> subprocess.Popen[str]:
        info_file.unlink(missing_ok=True)
        process = subprocess.Popen([sys.executable, "-m", "apps.cli", "up", "--state", str(state), "--port", str(port),
                                    "--heartbeat", "1", "--info", str(info_file)], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "COLUMNS": "60"})  # a narrow terminal  # fmt: skip
        deadline = time.monotonic() + 120
        while not info_file.exists():
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "corridor up did not come up"
            time.sleep(0.2)
        return process

    def stop(process: subprocess.Popen[str]) -> str:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        return output

    first = start()
    info = json.loads(info_file.read_text())
    assert {"bridge", "ledgers", "currencies", "accounts"} <= set(info)
    assert info["accounts"]["yangtze"]["address"] == keys.address("yangtze")
    assert info["accounts"]["yangtze"]["private_key"].startswith("0x")
    bank = BridgeClient(info["bridge"]["url"], "yangtze", keys.account("yangtze"))
    first_round = bank.rate("CNY", "HKD")["round"]
    deadline = time.monotonic() + 30
    while bank.rate("CNY", "HKD")["round"] == first_round:  # the oracle heartbeat republishes
        assert time.monotonic() < deadline, "no heartbeat round"
        time.sleep(0.3)
    rate = int(bank.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    now = int(time.time())
    swap = bank.submit_pvp(counterparty=keys.address("harbour"), sell="CNY", sell_amount=10_00, buy="HKD", rate=rate, deadline=now + 900)
    bank.close()
    written = subprocess.run([sys.executable, "-m", "apps.cli", "report", "--url", info["bridge"]["url"], "--out",
                              str(tmp_path / "report")], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert written.returncode == 0, written.stdout + written.stderr
    assert swap["id"] in (tmp_path / "report" / "corridor-report.json").read_text()
    output = stop(first)
    assert "Development accounts" in output
    # Each key printed whole on its account's line, however narrow the terminal.
    line = next(line for line in output.splitlines() if info["accounts"]["yangtze"]["address"] in line)
    assert info["accounts"]["yangtze"]["private_key"] in line
    _assert_ledgers_down(info)

    second = start()
    try:
        bank = BridgeClient(json.loads(info_file.read_text())["bridge"]["url"], "yangtze", keys.account("yangtze"))
        assert [s["id"] for s in bank.swaps()["items"]] == [swap["id"]]
        bank.close()
    finally:
        output = stop(second)
    assert "restored" in output
    _assert_ledgers_down(json.loads(info_file.read_text()))


def _assert_ledgers_down(info: dict) -> None:
    """The ledgers this `corridor up` started no longer answer (their anvils are gone)."""
    import httpx

    for ledger in info["ledgers"].values():
        with pytest.raises(httpx.HTTPError):
            httpx.post(ledger["rpc_url"], json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=2)


def test_bridge_serve_starts_its_own_network(tmp_path: Path, reaper: None) -> None:
    """`corridor bridge serve` without a deployment starts, deploys and serves the embedded network."""
    import time

    import httpx

    from corridor.ledgers import free_port

    port = free_port()
    env = {**os.environ, "CORRIDOR_STATE_DIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "apps.cli", "bridge", "serve", "--port", str(port),
                                "--database", f"sqlite:///{tmp_path / 'bridge.db'}"], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).json()
                if health["ok"] is True:  # health is truthful: right after start a probe may not have run yet
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "bridge serve did not come up healthy"
            time.sleep(0.2)
        assert health["ok"] is True
        assert all(ledger["oracle"]["fresh"] for ledger in health["ledgers"].values())
        assert (tmp_path / "deployment.json").is_file() and (tmp_path / "network.json").is_file()
    finally:
        process.terminate()
        process.wait(timeout=30)

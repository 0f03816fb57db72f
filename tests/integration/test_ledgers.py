"""The ledger launcher against real anvil processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from corridor.errors import LedgerError
from corridor.ledgers import LedgerLauncher, LedgerSpec, _is_anvil, embedded_ledgers, read_pidfile, stop_detached, write_pidfile

pytestmark = pytest.mark.integration


def _chain_id(url: str) -> int:
    answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).json()
    return int(answer["result"], 16)


def test_two_ledgers_answer_with_their_own_chain_ids() -> None:
    with embedded_ledgers([LedgerSpec("X", 900001), LedgerSpec("Y", 900002)]) as running:
        assert running["X"].port != running["Y"].port
        assert _chain_id(running["X"].rpc_url) == 900001
        assert _chain_id(running["Y"].rpc_url) == 900002
        pids = [ledger.pid for ledger in running.values()]
    assert not any(_is_anvil(pid) for pid in pids)


def test_duplicate_chain_id_is_refused_before_anything_starts() -> None:
    with pytest.raises(LedgerError, match="chain_id"), LedgerLauncher() as launcher:
        launcher.start([LedgerSpec("X", 900003), LedgerSpec("Y", 900003)])


def test_taken_fixed_port_fails_clearly_and_stops_what_started() -> None:
    with embedded_ledgers([LedgerSpec("X", 900004)]) as running:
        port = running["X"].port
        launcher = LedgerLauncher(start_timeout=5)
        with pytest.raises(LedgerError):
            launcher.start([LedgerSpec("Z", 900005), LedgerSpec("W", 900006, port=port)])
        assert launcher.running == {}


def test_ledger_dies_with_its_launcher(tmp_path: Path, reaper: None) -> None:
    """A launcher killed with SIGKILL (a crashed test run) leaves no anvil behind."""
    pidfile = tmp_path / "pid"
    script = textwrap.dedent(f"""
        import time
        from corridor.ledgers import LedgerLauncher, LedgerSpec
        launcher = LedgerLauncher()
        running = launcher.start([LedgerSpec("K", 900007)])
        open({str(pidfile)!r}, "w").write(str(running["K"].pid))
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "launcher did not start anvil"
        time.sleep(0.05)
    anvil_pid = int(pidfile.read_text())
    assert _is_anvil(anvil_pid)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _is_anvil(anvil_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _is_anvil(anvil_pid)


def test_state_file_keeps_the_chain_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "ledger.json"
    spec = LedgerSpec("S", 900008, state_file=state)
    payload = {"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}
    with embedded_ledgers([spec]) as running:
        for _ in range(3):
            httpx.post(running["S"].rpc_url, json=payload)
    assert state.is_file()
    with embedded_ledgers([spec]) as running:
        block = httpx.post(running["S"].rpc_url, json={**payload, "method": "eth_blockNumber"}).json()["result"]
        assert int(block, 16) == 3


def test_detached_ledgers_are_stopped_by_pidfile(tmp_path: Path) -> None:
    pidfile = tmp_path / "ledgers.json"
    launcher = LedgerLauncher(detach=True)
    running = launcher.start([LedgerSpec("D", 900009)])
    write_pidfile(pidfile, running)
    assert read_pidfile(pidfile)["D"].pid == running["D"].pid
    assert stop_detached(pidfile) == ["D"]
    assert not _is_anvil(running["D"].pid)
    assert not pidfile.exists()

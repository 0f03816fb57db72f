"""Fault injection on real ledgers.

- :class:`FaultLedgers`: the embedded anvils of a test module, each of which can be stopped and
  started again on the same port from its state file (``anvil --state``: a ledger restart), frozen
  with SIGSTOP and thawed with SIGCONT (a hung node), or have its clock moved alone
  (``evm_increaseTime`` / ``evm_setNextBlockTimestamp``: clocks that diverge).
- :func:`running_bridge`: the bridge in this process with short probe, RPC and reconcile intervals,
  so an outage shows in health within a second and tests stay short.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bridge.api.app import create_app
from bridge.server import ServerThread
from corridor.artifacts import build
from corridor.chain import ErrorDecoder, LedgerClient
from corridor.config import Settings
from corridor.keys import KeyRing
from corridor.ledgers import LedgerLauncher
from corridor.network import Network, ledger_specs
from tests.integration.bridge.conftest import approve_all, publish_rates




class FaultLedgers:
    """Embedded ledgers that can be restarted (same port, same state), frozen, and clocked apart."""

    def __init__(self, settings: Settings, state_dir: Path) -> None:
        self.launcher = LedgerLauncher()
        running = self.launcher.start(ledger_specs(settings, state_dir))
        # each ledger keeps its port across restarts: the bridge's clients reach it at the same URL
        self.specs = {spec.name: replace(spec, port=running[spec.name].port) for spec in ledger_specs(settings, state_dir)}
        self.frozen: set[str] = set()

    def url(self, name: str) -> str:
        return self.launcher.running[name].rpc_url

    def pid(self, name: str) -> int:
        return self.launcher.running[name].pid

    def stop(self, name: str) -> None:
        """SIGINT: anvil writes its state file and exits."""
        self.thaw(name)
        self.launcher.stop(name)

    def start(self, name: str) -> None:
        self.launcher.start([self.specs[name]])

    def freeze(self, name: str) -> None:
        os.kill(self.pid(name), signal.SIGSTOP)
        self.frozen.add(name)

    def thaw(self, name: str) -> None:
        if name in self.frozen:
            os.kill(self.pid(name), signal.SIGCONT)
            self.frozen.discard(name)

    def close(self) -> None:
        for name in list(self.frozen):
            self.thaw(name)
        self.launcher.stop_all()


@contextmanager
def fault_network(settings: Settings, state_dir: Path) -> Iterator[tuple[Network, FaultLedgers]]:
    """The default network deployed on :class:`FaultLedgers`, banks' approvals in place."""
    ledgers = FaultLedgers(settings, state_dir)
    try:
        artifacts = build()
        decoder = ErrorDecoder(artifacts.all_abis())
        clients = {name: LedgerClient.connect(name, ledgers.url(name), decoder=decoder) for name in ledgers.specs}
        network = Network(settings=settings, keys=KeyRing(settings), build=artifacts, clients=clients)
        network.deploy()
        approve_all(network)
        publish_rates(network)
        yield network, ledgers
    finally:
        ledgers.close()


@contextmanager
def running_bridge(network: Network, database: str, **options: Any) -> Iterator[tuple[FastAPI, str]]:
    """The bridge in this process: probes every 0.25 s, any RPC call at most 1 s, reconciliation every 2 s."""
    settings = {"worker_interval": 0.05, "probe_interval": 0.25, "rpc_timeout": 1.0, "reconcile_interval": 2.0, **options}
    app = create_app(network, database, **settings)
    with ServerThread(app) as server:
        yield app, server.url


def health(url: str) -> tuple[float, dict[str, Any]]:
    """(seconds the answer took, the answer)."""
    started = time.monotonic()
    answer = httpx.get(f"{url}/v1/health", timeout=10).json()
    return time.monotonic() - started, answer


def wait_until(condition: Callable[[], Any], *, timeout: float, every: float = 0.05) -> float:
    """Seconds until ``condition()`` is truthy; fails the test after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(every)
    return time.monotonic() - started


def metric(url: str, name: str, **labels: str) -> float | None:
    """The value of one sample of ``/metrics`` (None when absent)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match.group(1) == name and ",".join(sorted((match.group(2) or "").split(","))) == wanted:
            return float(match.group(3))
    return None


def move_clock(network: Network, ledger: str, seconds: int) -> int:
    """Moves one ledger's clock ``seconds`` ahead (and mines a block there); its new time."""
    w3 = network.clients[ledger].w3
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return network.clients[ledger].clock()


def sync_clocks(network: Network) -> int:
    """Brings every ledger's clock to the one furthest ahead; that time."""
    target = max(client.clock() for client in network.clients.values()) + 1
    network.set_time(target)
    return target

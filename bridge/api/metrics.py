"""Prometheus metrics: swaps by state, settlement latency, RPC errors, pending transactions."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bridge.domain.swap import Swap, SwapState
from bridge.store.swaps import SwapRepository

PENDING = {SwapState.SETTLING, SwapState.LOCKING_A, SwapState.LOCKING_B, SwapState.CLAIMING_A, SwapState.CLAIMING_B,
           SwapState.REFUNDING}  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.swaps = Gauge("corridor_swaps", "Swaps by state", ["state"], registry=self.registry)
        self.pending = Gauge("corridor_pending_transactions", "Swaps with a transaction in flight", registry=self.registry)
        self.latency = Histogram("corridor_settlement_seconds", "Instruction to final settlement", ["model"],
                                 buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=self.registry)  # fmt: skip
        self.rpc_errors = Counter("corridor_rpc_errors", "Failed ledger calls", ["ledger"], registry=self.registry)
        self._started: dict[str, float] = {}

    def observe(self, swap: Swap) -> None:
        if swap.state is SwapState.PROPOSED:
            self._started.setdefault(swap.id, time.monotonic())
        elif swap.state is SwapState.SETTLED and swap.id in self._started:
            self.latency.labels(model=swap.model.value).observe(time.monotonic() - self._started.pop(swap.id))

    def refresh(self, repo: SwapRepository) -> None:
        counts = repo.count_by_state()
        for state in SwapState:
            self.swaps.labels(state=state.value).set(counts.get(state.value, 0))
        self.pending.set(sum(counts.get(s.value, 0) for s in PENDING))

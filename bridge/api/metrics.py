"""Prometheus metrics: swaps by state, settlement latency, RPC errors, pending transactions, and every
oracle pair's state and age on every ledger (read from the chain at each scrape):

- ``corridor_oracle_pair_state{ledger,pair,state}``  1 for the pair's state (fresh, stale, halted,
  no_data, not_listed), 0 for the others;
- ``corridor_oracle_pair_available{ledger,pair}``    1 when a read of the pair returns a usable rate;
- ``corridor_oracle_pair_age_seconds{ledger,pair}``  seconds since its latest round's fixing, at the
  ledger's time (absent for a pair that never had one);
- ``corridor_oracle_pair_round{ledger,pair}``        its latest round.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.domain.swap import Swap, SwapState
from bridge.store.swaps import SwapRepository
from corridor.errors import ChainError
from corridor.network import Network
from oracle.status import PairState, PairStatus, read_statuses

logger = logging.getLogger(__name__)

PENDING = {SwapState.SETTLING, SwapState.LOCKING_A, SwapState.LOCKING_B, SwapState.CLAIMING_A, SwapState.CLAIMING_B,
           SwapState.REFUNDING}  # fmt: skip


def oracle_statuses(network: Network) -> Callable[[], list[PairStatus]]:
    """Reads every configured pair's status on every reachable ledger (an unreachable one is skipped)."""
    settings = network.settings.oracle

    def read() -> list[PairStatus]:
        statuses: list[PairStatus] = []
        for ledger, client in network.clients.items():
            try:
                statuses += read_statuses(client, network.contract(ledger, "oracle"), settings.base_currency, list(settings.pairs))
            except ChainError as exc:
                logger.warning("oracle state unreadable ledger=%s: %s", ledger, exc)
        return statuses

    return read


class OracleCollector(Collector):
    """The ``corridor_oracle_pair_*`` gauges, from the chain at scrape time."""

    def __init__(self, read: Callable[[], list[PairStatus]]) -> None:
        self._read = read

    def describe(self) -> list[Metric]:
        return []  # no chain read when the collector is registered

    def collect(self) -> Iterator[Metric]:
        labels = ["ledger", "pair"]
        state = GaugeMetricFamily("corridor_oracle_pair_state", "1 for the oracle pair's state (fresh, stale, halted, "
                                  "no_data, not_listed)", labels=[*labels, "state"])  # fmt: skip
        available = GaugeMetricFamily("corridor_oracle_pair_available", "1 when a read of the pair returns a usable rate", labels=labels)
        age = GaugeMetricFamily("corridor_oracle_pair_age_seconds", "Seconds since the pair's latest fixing, at the ledger's time", labels=labels)
        latest = GaugeMetricFamily("corridor_oracle_pair_round", "The pair's latest round", labels=labels)
        for status in self._read():
            for name in PairState:
                state.add_metric([status.ledger, status.pair, name.value], 1.0 if status.state is name else 0.0)
            available.add_metric([status.ledger, status.pair], 1.0 if status.available else 0.0)
            if status.age_seconds is not None:
                age.add_metric([status.ledger, status.pair], float(status.age_seconds))
            latest.add_metric([status.ledger, status.pair], float(status.round))
        yield from (state, available, age, latest)


class Metrics:
    def __init__(self, oracle: Callable[[], list[PairStatus]] | None = None) -> None:
        self.registry = CollectorRegistry()
        if oracle is not None:
            self.registry.register(OracleCollector(oracle))
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

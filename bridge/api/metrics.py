"""Prometheus metrics. Swaps by state and settlement latency as before; everything live (ledgers up,
their head and clock, RPC errors by kind, circuit breakers, the worker's lanes, the database, the
reconciler, open alerts) is read from the running machinery at scrape time, so it cannot drift; every
oracle pair's state and age on every ledger is read from the chain at each scrape.

=========================================================  ======================================================
metric                                                     meaning
=========================================================  ======================================================
corridor_swaps{state}                                      swaps in each state
corridor_settlement_seconds{model}                         instruction to final settlement (histogram)
corridor_pending_transactions{ledger}                      transactions sent and not yet confirmed (from the journal)
corridor_rpc_errors_total{ledger,kind}                     failed ledger calls: connection, timeout, http, circuit_open
corridor_ledger_up{ledger}                                 1 while the ledger answers its probes
corridor_ledger_state_since_timestamp_seconds{ledger}      when the ledger last went up or down
corridor_ledger_head_block{ledger}                         latest block seen
corridor_ledger_head_lag_seconds{ledger}                   wall clock minus the latest block's time (an idle
                                                           automining ledger reads high; a stalled producer too)
corridor_ledger_clock_offset_seconds{ledger}               the ledger's clock minus the bridge's
corridor_ledger_clock_skew_seconds                         the largest difference between two ledgers' clocks
corridor_ledger_circuit_open{ledger}                       1 while calls to the ledger fail fast
corridor_swaps_waiting_for_ledger{ledger}                  swaps whose next step waits for that ledger
corridor_steps_deferred_total{ledger}                      steps not tried because that ledger was down
corridor_worker_up                                         1 while every lane is alive and progressing
corridor_worker_lane_up{lane}                              the same, per lane
corridor_worker_last_success_timestamp_seconds{lane}       last successful pass
corridor_worker_errors_total{lane}                         failed passes (the lane backs off)
corridor_worker_step_errors_total{lane}                    swaps' steps that failed unexpectedly (retried next pass)
corridor_background_restarts_total{loop}                   threads restarted by the supervisor
corridor_database_up                                       1 while the database takes writes
corridor_reconciler_last_run_timestamp_seconds             last reconciliation
corridor_reconciler_corrections_total                      swaps recorded from the chain against the journal
corridor_alerts_open{kind,severity}                        alerts waiting for the supervisor
corridor_alerts_unacknowledged{kind,severity}              open alerts the regulator has not acknowledged
corridor_alerts_raised_total{kind}                         alerts raised by this process since it started
corridor_oracle_pair_state{ledger,pair,state}              1 for the pair's state (fresh, stale, halted, no_data,
                                                           not_listed), 0 for the others
corridor_oracle_pair_available{ledger,pair}                1 when a read of the pair returns a usable rate
corridor_oracle_pair_age_seconds{ledger,pair}              seconds since its latest round's fixing, at the ledger's
                                                           time (absent for a pair that never had one)
corridor_oracle_pair_round{ledger,pair}                    its latest round
=========================================================  ======================================================
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.domain.swap import Swap, SwapState
from bridge.engine.operations import Operations
from bridge.store.swaps import SwapRepository
from corridor.errors import ChainError
from corridor.network import Network
from oracle.status import PairState, PairStatus, read_statuses

logger = logging.getLogger(__name__)


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
    def __init__(self, operations: Operations | None = None, *, oracle: Callable[[], list[PairStatus]] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.swaps = Gauge("corridor_swaps", "Swaps by state", ["state"], registry=self.registry)
        self.pending = Gauge("corridor_pending_transactions", "Transactions sent and not yet confirmed", ["ledger"], registry=self.registry)
        self.latency = Histogram("corridor_settlement_seconds", "Instruction to final settlement", ["model"],
                                 buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=self.registry)  # fmt: skip
        self._started: dict[str, float] = {}
        self.operations = operations
        if operations is not None:
            self.registry.register(_Live(operations))
        if oracle is not None:
            self.registry.register(OracleCollector(oracle))

    def observe(self, swap: Swap) -> None:
        if swap.state is SwapState.PROPOSED:
            self._started.setdefault(swap.id, time.monotonic())
        elif swap.state is SwapState.SETTLED and swap.id in self._started:
            self.latency.labels(model=swap.model.value).observe(time.monotonic() - self._started.pop(swap.id))

    def refresh(self, repo: SwapRepository) -> None:
        """The figures read from the database; left as they were while it cannot be read."""
        try:
            counts = repo.count_by_state()
            pending = repo.pending_transactions()
        except Exception as exc:  # corridor_database_up says so
            logger.debug("metrics: database not readable: %s", exc)
            return
        for state in SwapState:
            self.swaps.labels(state=state.value).set(counts.get(state.value, 0))
        ledgers = set(pending) | (set(self.operations.coordinator.network.clients) if self.operations else set())
        for ledger in ledgers:
            self.pending.labels(ledger=ledger).set(pending.get(ledger, 0))


class _Live(Collector):
    """Reads the machinery's state at each scrape."""

    def __init__(self, operations: Operations) -> None:
        self.ops = operations

    def collect(self) -> Iterator[Any]:
        ops, now = self.ops, time.time()
        network = ops.coordinator.network
        up = GaugeMetricFamily("corridor_ledger_up", "1 while the ledger answers its probes", labels=["ledger"])
        since = GaugeMetricFamily("corridor_ledger_state_since_timestamp_seconds", "When the ledger last went up or down", labels=["ledger"])
        head = GaugeMetricFamily("corridor_ledger_head_block", "Latest block seen", labels=["ledger"])
        lag = GaugeMetricFamily("corridor_ledger_head_lag_seconds", "Wall clock minus the latest block's timestamp", labels=["ledger"])
        offset = GaugeMetricFamily("corridor_ledger_clock_offset_seconds", "Ledger clock minus the bridge's clock", labels=["ledger"])
        circuit = GaugeMetricFamily("corridor_ledger_circuit_open", "1 while calls to the ledger fail fast", labels=["ledger"])
        errors = CounterMetricFamily("corridor_rpc_errors", "Failed ledger calls by kind", labels=["ledger", "kind"])
        waiting = GaugeMetricFamily("corridor_swaps_waiting_for_ledger", "Swaps whose next step waits for the ledger", labels=["ledger"])
        deferred = CounterMetricFamily("corridor_steps_deferred", "Steps not tried because a ledger they need was down", labels=["ledger"])
        waiting_now = ops.worker.waiting_by_ledger()
        for name, probe in ops.ledgers.status().items():
            up.add_metric([name], 1.0 if probe.up else 0.0)
            since.add_metric([name], probe.since)
            if probe.block is not None:
                head.add_metric([name], float(probe.block))
            if probe.head_time is not None:
                lag.add_metric([name], now - probe.head_time)
            if probe.offset is not None:
                offset.add_metric([name], probe.offset)
            breaker = network.clients[name].breaker
            circuit.add_metric([name], 1.0 if breaker is not None and breaker.is_open else 0.0)
            for kind in ("connection", "timeout", "http", "circuit_open", "chain_id", "probe"):
                errors.add_metric([name, kind], float(breaker.errors.get(kind, 0)) if breaker is not None else 0.0)
            waiting.add_metric([name], float(waiting_now.get(name, 0)))
            deferred.add_metric([name], float(ops.worker.deferred.get(name, 0)))
        yield from (up, since, head, lag, offset, circuit, errors, waiting, deferred)
        skew = GaugeMetricFamily("corridor_ledger_clock_skew_seconds", "Largest difference between two ledgers' clocks")
        if ops.ledgers.skew is not None:
            skew.add_metric([], ops.ledgers.skew)
        yield skew
        lanes = ops.worker.liveness()
        yield GaugeMetricFamily("corridor_worker_up", "1 while every lane is alive and progressing",
                                value=1.0 if all(s.healthy for s in lanes.values()) else 0.0)  # fmt: skip
        lane_up = GaugeMetricFamily("corridor_worker_lane_up", "1 while the lane is alive and progressing", labels=["lane"])
        last = GaugeMetricFamily("corridor_worker_last_success_timestamp_seconds", "Last successful pass", labels=["lane"])
        failed = CounterMetricFamily("corridor_worker_errors", "Failed passes", labels=["lane"])
        steps = CounterMetricFamily("corridor_worker_step_errors", "Swaps' steps that failed unexpectedly (retried)", labels=["lane"])
        for ledger, status in lanes.items():
            lane_up.add_metric([ledger], 1.0 if status.healthy else 0.0)
            if status.last_success is not None:
                last.add_metric([ledger], status.last_success)
            failed.add_metric([ledger], float(status.errors))
            steps.add_metric([ledger], float(ops.worker.step_errors.get(ledger, 0)))
        yield from (lane_up, last, failed, steps)
        restarts = CounterMetricFamily("corridor_background_restarts", "Threads restarted by the supervisor", labels=["loop"])
        for name, status in ops.supervisor.status().items():
            restarts.add_metric([name], float(status.restarts))
        yield restarts
        yield GaugeMetricFamily("corridor_database_up", "1 while the database takes writes", value=1.0 if ops.database.status()["writable"] else 0.0)
        run = ops.reconciler.last_run
        reconciled = GaugeMetricFamily("corridor_reconciler_last_run_timestamp_seconds", "Last reconciliation")
        if run is not None:
            reconciled.add_metric([], run.at)
        yield reconciled
        yield CounterMetricFamily("corridor_reconciler_corrections", "Swaps recorded from the chain against the journal",
                                  value=float(ops.reconciler.corrections))  # fmt: skip
        alerts = GaugeMetricFamily("corridor_alerts_open", "Alerts waiting for the supervisor", labels=["kind", "severity"])
        for (kind, severity), count in ops.database.open_alerts.items():
            alerts.add_metric([kind, severity], float(count))
        yield alerts
        unacknowledged = GaugeMetricFamily("corridor_alerts_unacknowledged", "Open alerts the regulator has not acknowledged",
                                           labels=["kind", "severity"])  # fmt: skip
        for (kind, severity), count in ops.database.unacknowledged_alerts.items():
            unacknowledged.add_metric([kind, severity], float(count))
        yield unacknowledged
        raised = CounterMetricFamily("corridor_alerts_raised", "Alerts raised by this process since it started", labels=["kind"])
        for kind, count in sorted(ops.alerts.raised_total.items()):
            raised.add_metric([kind], float(count))
        yield raised

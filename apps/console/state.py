"""What the console keeps while the bridge runs: the sessions, the model cache, the network's names, and a
change feed for what is not a swap (alerts, the audit trail, a rebuilt model), which wakes the pages'
live streams as the swap feed does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from fastapi import FastAPI, Request

from apps.console.model_cache import CURVE_POINTS, LISTED, Built, ModelCache, ProcessBuilder
from bridge.api.changes import ChangeFeed
from bridge.store.journal_reader import JournalReader
from bridge.store.web_sessions import WebSessionRepository
from corridor.config import ConsoleConfig
from supervision.assemble import model_for
from supervision.chain import ChainHistory, network_facts
from supervision.inputs import Evidence, NetworkFacts

# topics of the console's own change feed
ALERTS, ACTIONS, MODEL = "alerts", "actions", "model"


@dataclass
class ConsoleState:
    config: ConsoleConfig
    sessions: WebSessionRepository
    cache: ModelCache
    names: NetworkFacts  # participants, currencies, ledgers (no head read)
    feed: ChangeFeed
    reader: JournalReader
    builder: ProcessBuilder | None = None
    streams: int = 0  # live streams open now
    streams_by_session: dict[str, int] = field(default_factory=dict)  # the same, per session (id hash)
    counts_seconds: float | None = None  # the CPU time the live counts panel last took to count and render


class ConsoleCollector(Collector):
    """``/metrics`` for the console: open live streams, model rebuilds and how long the last took."""

    def __init__(self, state: ConsoleState) -> None:
        self.state = state

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        cache = self.state.cache
        yield GaugeMetricFamily("corridor_console_streams", "Console live streams open now", value=float(self.state.streams))
        yield CounterMetricFamily("corridor_console_model_builds", "Rebuilds of the supervision model behind the console", value=float(cache.builds))
        yield CounterMetricFamily("corridor_console_model_build_failures", "Rebuilds that failed (the last model stays)", value=float(cache.failures))
        counts = GaugeMetricFamily("corridor_console_counts_seconds", "CPU time the live counts panel last took to count and render")
        if self.state.counts_seconds is not None:
            counts.add_metric([], self.state.counts_seconds)
        yield counts
        latest = cache.latest
        seconds = GaugeMetricFamily("corridor_console_model_build_seconds", "How long the last rebuild took")
        if latest is not None:
            seconds.add_metric([], latest.seconds)
        yield seconds


def console_state(request: Request) -> ConsoleState:
    state: ConsoleState | None = getattr(request.app.state, "console", None)
    if state is None:
        raise RuntimeError("the console is not started")
    return state


def start(app: FastAPI, *, evidence: Evidence | None = None, opening: dict[str, int] | None = None) -> ConsoleState:
    """Builds the console's state once the bridge's services are up (an ``on_start`` hook)."""
    network = app.state.coordinator.network
    config: ConsoleConfig = network.settings.console
    feed = ChangeFeed()
    reader = JournalReader(app.state.sessions, database_url=app.state.database_url)
    repo = app.state.repo

    builder = ProcessBuilder(network.settings, network.deployment, app.state.database_url) if config.model_process else None
    history = ChainHistory()  # the in-thread builder's, like the process builder's own: builds read only newer blocks

    def build() -> Any:
        if builder is not None:
            return builder(_evidence(app, evidence), _opening(app, opening))
        return model_for(network, reader.facts(), evidence=_evidence(app, evidence), opening=_opening(app, opening), limit=LISTED,
                         curve_points=CURVE_POINTS, history=history)

    def built(_: Built) -> None:
        feed.publish(MODEL)

    cache = ModelCache(build, repo.last_seq, min_interval=config.model_refresh_seconds, cpu_share=config.model_cpu_share, on_built=built)
    sessions = WebSessionRepository(app.state.sessions, idle=timedelta(minutes=config.session_minutes),
                                    lifetime=timedelta(hours=config.session_max_hours),
                                    challenge_ttl=timedelta(seconds=config.challenge_seconds))  # fmt: skip
    state = ConsoleState(config=config, sessions=sessions, cache=cache, names=network_facts(network, read_heads=False), feed=feed,
                         reader=reader, builder=builder)  # fmt: skip
    if builder is not None:
        builder.start()
    app.state.alerts.listen(lambda *_: feed.publish(ALERTS))
    app.state.actions.listen(lambda *_: feed.publish(ACTIONS))
    app.state.console = state
    app.state.metrics.registry.register(ConsoleCollector(state))
    cache.start()
    return state


def stop(app: FastAPI) -> None:
    state: ConsoleState | None = getattr(app.state, "console", None)
    if state is not None:
        state.cache.stop()
        if state.builder is not None:
            state.builder.close()


def _evidence(app: FastAPI, given: Evidence | None) -> Evidence | None:
    found = getattr(app.state, "evidence", None)
    return found if isinstance(found, Evidence) else given


def _opening(app: FastAPI, given: dict[str, int] | None) -> dict[str, int] | None:
    found = getattr(app.state, "opening", None)
    return found if isinstance(found, dict) else given

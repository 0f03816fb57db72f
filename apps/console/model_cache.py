"""The supervision model behind the console's figures, rebuilt in the background after changes.

A rebuild reads the journal and the chains for the whole period (``supervision.assemble.model_for``,
the report's own function), so it is kept off the request path and bounded: after a change it waits
at least ``min_interval`` since the last build began and so long that rebuilding never takes more than
``cpu_share`` of the time (a build of 0.5 s with a share of 5 % waits 10 s). It runs in a process of
its own at a low priority (:class:`ProcessBuilder`): not under the bridge's GIL, and on a busy machine
only with the CPU the bridge leaves. Pages render the latest model with the time it was built; each
build is announced (``on_built``) so open pages refresh. What must be live within a second (counts,
the journal feed, alerts, one swap) does not wait for this: the console computes those with the
model's own functions on each change.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from supervision.chain import ChainHistory
from supervision.model import SupervisionModel

PARENT_CHECK_SECONDS = 1.0  # how soon a builder process notices its bridge is gone
# The model's per-swap listings (indicators, timelines, movements) are not shown by the console (its swap
# pages read the journal): it keeps their first page only. Every figure still covers every swap; a full
# listing would grow with the period and cost the bridge a parse of it, holding its GIL, after each build.
LISTED = 100
# Each bank's position curves have a point per step of the period (four per swap): on a long period
# hundreds of thousands, which the bridge would parse after each build (holding its interpreter lock all
# the while) and the liquidity page would draw. The console keeps about this many per curve, each
# stretch's lowest and highest (so every peak); the peaks and every figure come from every point.
CURVE_POINTS = 400

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built:
    model: SupervisionModel
    version: int
    started_at: float  # wall clock
    seconds: float  # how long the build took
    journal_seq: int  # the journal's position it covers


class ModelCache:
    def __init__(self, build: Callable[[], SupervisionModel], journal_seq: Callable[[], int], *, min_interval: float = 2.0,
                 cpu_share: float = 0.05, on_built: Callable[[Built], None] | None = None) -> None:  # fmt: skip
        self._build, self._journal_seq = build, journal_seq
        self.min_interval, self.cpu_share = min_interval, cpu_share
        self.on_built = on_built
        self._latest: Built | None = None
        self._first = threading.Event()  # set once a model exists
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one build at a time
        self._thread: threading.Thread | None = None
        self._last_start = 0.0
        self.builds = 0
        self.failures = 0
        self.last_error: str | None = None

    # ─── reading ─────────────────────────────────────────────────────────────────────────

    @property
    def latest(self) -> Built | None:
        return self._latest

    def get(self, *, wait: float = 0.0) -> Built | None:
        """The latest model, asking for a newer one if the journal moved since. None while the first build
        (the background builder's, after the bridge started) has not finished within ``wait`` seconds: on a
        long journal it takes a minute or more, which no page waits for (it shows its figures as being
        built, and the ``model`` event brings them)."""
        latest = self._latest
        if latest is None:
            self.want()
            self._first.wait(wait)
            return self._latest
        if latest.journal_seq != self._journal_seq():
            self.want()
        return latest

    def want(self) -> None:
        """Something changed: rebuild when the bounds allow."""
        self._dirty.set()

    def refresh(self) -> Built:
        """Rebuilds now (a regulator's explicit refresh, tests) and returns the result."""
        with self._lock:
            return self._run()

    # ─── the background builder ──────────────────────────────────────────────────────────

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="console-model", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _delay(self) -> float:
        latest = self._latest
        spent = latest.seconds if latest is not None else 0.0
        gap = max(self.min_interval, spent / self.cpu_share)
        return max(0.0, self._last_start + gap - time.monotonic())

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            delay = self._delay()
            if delay and self._stop.wait(delay):
                return
            self._dirty.clear()
            try:
                with self._lock:
                    if self._latest is not None and self._latest.journal_seq == self._journal_seq() and not self._forced():
                        continue
                    self._run()
            except Exception as exc:  # a failed build (or journal read) keeps the last model; the next change tries again
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                logger.warning("console model rebuild failed: %s", self.last_error, exc_info=True)
                self._stop.wait(min(30.0, self.min_interval * 2**min(self.failures, 5)))  # not a storm of retries

    def _forced(self) -> bool:
        """Chain-only changes (an oracle round, a block) do not move the journal: rebuild at least every
        30 s while something asks."""
        latest = self._latest
        return latest is None or time.time() - latest.started_at >= 30.0

    def _run(self) -> Built:
        self._last_start = time.monotonic()
        started, seq = time.time(), self._journal_seq()
        model = self._build()
        seconds = time.monotonic() - self._last_start
        built = Built(model=model, version=(self._latest.version + 1) if self._latest else 1, started_at=started,
                      seconds=round(seconds, 3), journal_seq=seq)  # fmt: skip
        self._latest = built
        self._first.set()
        self.builds += 1
        if self.on_built is not None:
            self.on_built(built)
        return built


# ─── building in a process of its own ─────────────────────────────────────────────────────

_CHILD: dict[str, Any] = {}


def _start_child(settings: Any, deployment: Any, database_url: str, nice: int, parent: int) -> None:
    """In the builder process: leave with the bridge, lower its priority, connect to the ledgers and the
    database once."""
    from bridge.store.db import make_engine, session_factory
    from bridge.store.journal_reader import JournalReader
    from corridor.network import connect_network

    threading.Thread(target=_exit_with, args=(parent,), name="builder-parent-watch", daemon=True).start()
    if nice:
        os.nice(nice)
    _CHILD["network"] = connect_network(settings, deployment)
    _CHILD["history"] = ChainHistory()  # each build reads only the blocks since the last
    _CHILD["reader"] = JournalReader(session_factory(make_engine(database_url)), database_url=database_url)


def _exit_with(parent: int) -> None:
    """Ends the builder process once the bridge that spawned it is gone (killed, crashed): a pool worker
    whose parent died would otherwise wait on its queue for ever."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _build_in_child(evidence: Any, opening: Any) -> str:
    from supervision.assemble import model_for

    model = model_for(_CHILD["network"], _CHILD["reader"].facts(), evidence=evidence, opening=opening, limit=LISTED, curve_points=CURVE_POINTS,
                      history=_CHILD["history"])  # fmt: skip
    return model.model_dump_json()


def _ready() -> bool:
    return "network" in _CHILD


class ProcessBuilder:
    """Builds the model in one worker process (spawned, so it shares nothing with the bridge's threads),
    niced by ``nice``; the parent only parses the result."""

    def __init__(self, settings: Any, deployment: Any, database_url: str, *, nice: int = 19) -> None:
        self._args = (settings, deployment, database_url, nice, os.getpid())
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Spawns the worker and lets it connect in the background (the first page does not wait for that)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_child,
                                             initargs=self._args)  # fmt: skip
            self._pool.submit(_ready)

    def __call__(self, evidence: Any, opening: Any) -> SupervisionModel:
        self.start()
        assert self._pool is not None
        try:
            payload = self._pool.submit(_build_in_child, evidence, opening).result(timeout=600)
        except Exception:
            self.close()  # a broken worker is replaced on the next build
            raise
        return SupervisionModel.model_validate_json(payload)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

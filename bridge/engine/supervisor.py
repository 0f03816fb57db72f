"""Background loops that survive their own failures, and a watchdog that restarts a loop whose thread
died anyway.

A :class:`Loop` runs one step every ``interval`` seconds. A step that raises is counted, logged once
per distinct failure (not once per pass: :class:`~corridor.statelog.StateLog`), and retried after an
exponential back-off; the loop goes on. Only something that escapes ``Exception`` (a bug that kills
the thread) ends it, and the :class:`Supervisor` then starts it again within ``check_every`` seconds.
Each loop's liveness (last successful step, errors, restarts) is what health and ``/metrics`` show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corridor.statelog import StateLog, describe

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopStatus:
    name: str
    alive: bool  # its thread runs
    healthy: bool  # alive, and a step succeeded recently (or it is paused)
    paused: bool
    last_success: float | None  # wall-clock time of the last successful step
    last_success_age: float | None
    busy_for: float | None  # seconds the current step has been running
    passes: int
    errors: int
    consecutive_errors: int
    restarts: int
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Loop:
    """One supervised loop: ``step`` every ``interval`` seconds (at once when ``wake`` is set), held
    while ``gate`` is cleared, backing off up to ``max_backoff`` seconds while steps fail."""

    def __init__(self, name: str, step: Callable[[], None], *, interval: float, wake: threading.Event | None = None,
                 gate: threading.Event | None = None, max_backoff: float = 5.0, stale_after: float | None = None) -> None:  # fmt: skip
        self.name = name
        self.step = step
        self.interval = interval
        self.wake = wake or threading.Event()
        self.gate = gate
        self.max_backoff = max_backoff
        # a loop that has not completed a step for this long is unhealthy (stalled or failing)
        self.stale_after = stale_after if stale_after is not None else max(10.0, 20 * interval, 2 * max_backoff)
        self.thread: threading.Thread | None = None
        self.passes = self.errors = self.consecutive_errors = self.restarts = 0
        self.last_success: float | None = None
        self.last_error: str | None = None
        self._last_success_mono: float | None = None
        self._started_mono = time.monotonic()
        self._busy_since: float | None = None
        self._log = StateLog(logger, remind_every=60.0)

    @property
    def busy(self) -> bool:
        return self._busy_since is not None

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self.gate is not None and not self.gate.is_set():
                self.gate.wait(0.5)
                continue
            started = time.monotonic()
            self._busy_since = started
            try:
                self.step()
            except Exception as exc:
                delay = self._failed(exc)
            else:
                self._succeeded()
                delay = max(0.0, self.interval - (time.monotonic() - started))
            finally:
                self._busy_since = None
            if stop.is_set():
                return
            self.wake.wait(delay)
            self.wake.clear()

    def _succeeded(self) -> None:
        self.passes += 1
        self.last_success, self._last_success_mono = time.time(), time.monotonic()
        if self.consecutive_errors:
            self._log.cleared("failing", "%s steps succeed again after %d failures", self.name, self.consecutive_errors)
        self.consecutive_errors = 0

    def _failed(self, exc: Exception) -> float:
        self.errors += 1
        self.consecutive_errors += 1
        self.last_error = describe(exc)
        # one line (with its traceback) per distinct failure, then reminders: no traceback storms
        self._log.failing("failing", "%s step failed, retrying with back-off: %s", self.name, self.last_error, exc_info=True)
        return min(self.interval * 2**self.consecutive_errors, self.max_backoff)

    def status(self) -> LoopStatus:
        now = time.monotonic()
        alive = self.thread is not None and self.thread.is_alive()
        paused = self.gate is not None and not self.gate.is_set()
        since = self._last_success_mono if self._last_success_mono is not None else self._started_mono
        healthy = alive and (paused or now - since <= self.stale_after)
        busy = self._busy_since
        return LoopStatus(self.name, alive, healthy, paused, self.last_success,
                          None if self._last_success_mono is None else round(now - self._last_success_mono, 3),
                          None if busy is None else round(now - busy, 3), self.passes, self.errors, self.consecutive_errors,
                          self.restarts, self.last_error)  # fmt: skip


class Supervisor:
    """Starts loops on their own threads and restarts any whose thread dies (checked every
    ``check_every`` seconds by a watchdog thread, and on every :meth:`ensure_running`)."""

    def __init__(self, *, check_every: float = 0.5) -> None:
        self.check_every = check_every
        self.loops: dict[str, Loop] = {}
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._watchdog: threading.Thread | None = None
        self._started = False

    def add(self, loop: Loop) -> Loop:
        with self._guard:
            self.loops[loop.name] = loop
        if self._started:
            self.ensure_running()
        return loop

    def start(self) -> None:
        """Starts every loop not running yet, and the watchdog (idempotent)."""
        self._stop.clear()
        self._started = True
        self.ensure_running()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._started = False
        for loop in list(self.loops.values()):
            loop.wake.set()
            if loop.gate is not None:
                loop.gate.set()
        deadline = time.monotonic() + timeout
        for loop in list(self.loops.values()):
            if loop.thread is not None:
                loop.thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._watchdog is not None:
            self._watchdog.join(timeout=max(0.0, deadline - time.monotonic()))

    def ensure_running(self) -> None:
        """Restarts every loop whose thread is not alive (and the watchdog itself)."""
        if self._stop.is_set() or not self._started:
            return
        with self._guard:
            for loop in self.loops.values():
                if loop.thread is not None and loop.thread.is_alive():
                    continue
                if loop.thread is not None:
                    loop.restarts += 1
                    logger.error("background loop %s died; restarting it (restart %d)", loop.name, loop.restarts)
                loop.thread = threading.Thread(target=self._run, args=(loop,), name=f"bridge-{loop.name}", daemon=True)
                loop.thread.start()
            if self._watchdog is None or not self._watchdog.is_alive():
                self._watchdog = threading.Thread(target=self._watch, name="bridge-supervisor", daemon=True)
                self._watchdog.start()

    def _run(self, loop: Loop) -> None:
        try:
            loop.run(self._stop)
        except BaseException as exc:  # the thread dies: say so once; the watchdog restarts it
            logger.critical("background loop %s ended by %s: %s", loop.name, type(exc).__name__, exc, exc_info=True)
            raise

    def _watch(self) -> None:
        while not self._stop.wait(self.check_every):
            self.ensure_running()

    def status(self) -> dict[str, LoopStatus]:
        return {name: loop.status() for name, loop in list(self.loops.items())}

    @property
    def restarts(self) -> int:
        return sum(loop.restarts for loop in self.loops.values())

"""Each ledger's JSON-RPC transport: short timeouts and a circuit breaker.

Every HTTP request a :class:`~corridor.chain.LedgerClient` makes (web3 calls and raw JSON-RPC
batches alike) goes through that ledger's :class:`GuardedTransport`. A ledger that refuses
connections or stops answering (a crashed node, a frozen process) costs one short timeout; its
breaker then opens and every further call fails at once with :class:`LedgerUnavailable`, so a
thread working on the other ledger is never held up by this one::

    closed ──(failures: `threshold` in a row, or one timeout)──► open
      ▲                                                          │
      └──────── a probe or a trial call succeeds ◄───────────────┘

While a monitor probes the ledger (:meth:`CircuitBreaker.probed`), only its probes decide when the
circuit closes again; without one, a single trial call is let through every ``retry_after``
seconds (doubling up to ``max_retry_after``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters

from corridor.errors import LedgerUnavailable
from corridor.statelog import StateLog

logger = logging.getLogger(__name__)

_UNAVAILABLE_STATUS = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RpcTimeouts:
    """Seconds to wait for a ledger's TCP connection and for its answer."""

    connect: float = 2.0
    read: float = 10.0


class CircuitBreaker:
    """Whether one ledger is worth calling now. Thread-safe."""

    def __init__(self, ledger: str, *, threshold: int = 2, retry_after: float = 1.0, max_retry_after: float = 8.0,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.ledger = ledger
        self.threshold = threshold
        self.base_retry_after = retry_after
        self.max_retry_after = max_retry_after
        self._clock, self._wall = clock, wall
        self._guard = threading.Lock()
        self._open = False
        self._failures = 0  # in a row
        self._retry_after = retry_after
        self._next_trial = 0.0
        self._monitored_until = 0.0
        self.since: float = wall()  # wall-clock time of the last change between up and down
        self.last_error: str | None = None
        self.errors: Counter[str] = Counter()  # failed calls by kind: connection, timeout, http, circuit_open
        self._log = StateLog(logger, remind_every=60.0)

    # ─── reading ─────────────────────────────────────────────────────────────────────────

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def available(self) -> bool:
        """True when a call would be let through now (circuit closed, or a trial is due)."""
        with self._guard:
            return not self._open or self._trial_due()

    def retry_after(self) -> float:
        return self._retry_after

    def probed(self, interval: float) -> None:
        """A monitor probes this ledger every ``interval`` seconds: while it does, calls made while the
        circuit is open fail at once and the probes alone close it (no caller waits on a trial)."""
        with self._guard:
            self._monitored_until = self._clock() + 3 * interval

    # ─── the calls ───────────────────────────────────────────────────────────────────────

    def before_call(self) -> None:
        """Raises :class:`LedgerUnavailable` at once when the circuit is open (unless a trial is due)."""
        with self._guard:
            if not self._open:
                return
            if self._trial_due():
                self._next_trial = self._clock() + self._retry_after
                self._retry_after = min(self._retry_after * 2, self.max_retry_after)
                return
            self.errors["circuit_open"] += 1
            since, reason = self.since, self.last_error or "down"
        raise LedgerUnavailable(ledger=self.ledger, reason=f"circuit open after: {reason}", since=since,
                                retry_after=self._retry_after)  # fmt: skip

    def succeeded(self) -> None:
        with self._guard:
            self._failures = 0
            if not self._open:
                return
            self._open, self.since = False, self._wall()
            self._retry_after = self.base_retry_after
        self._log.cleared("down", "ledger %s reachable again; circuit closed", self.ledger)

    def failed(self, kind: str, reason: str) -> None:
        """A call failed for ``kind`` ("connection", "timeout", "http"): opens the circuit at the
        threshold, or at once on a timeout (each one costs a caller the whole read timeout)."""
        with self._guard:
            self.errors[kind] += 1
            self.last_error = f"{kind}: {reason}"
            self._failures += 1
            if self._open:
                return
            if self._failures < self.threshold and kind != "timeout":
                return
            self._open, self.since = True, self._wall()
            self._next_trial = self._clock() + self._retry_after
        self._log.failing("down", "ledger %s unavailable (%s: %s); circuit open, calls fail fast", self.ledger, kind, reason[:200])

    def _trial_due(self) -> bool:
        now = self._clock()
        return now >= self._monitored_until and now >= self._next_trial


class GuardedTransport(requests.adapters.HTTPAdapter):
    """A requests transport for one ledger: its timeouts on every request, its breaker around them."""

    def __init__(self, breaker: CircuitBreaker, timeouts: RpcTimeouts | None = None) -> None:
        super().__init__(pool_connections=4, pool_maxsize=64)
        self.breaker = breaker
        self.timeouts = timeouts or RpcTimeouts()

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> requests.Response:  # fmt: skip
        self.breaker.before_call()
        try:
            response = super().send(request, stream=stream, timeout=(self.timeouts.connect, self.timeouts.read),
                                    verify=verify, cert=cert, proxies=proxies)  # fmt: skip
        except requests.Timeout as exc:
            self._unavailable("timeout", exc)
        except requests.ConnectionError as exc:
            self._unavailable("connection", exc)
        if response.status_code in _UNAVAILABLE_STATUS:
            self.breaker.failed("http", f"HTTP {response.status_code}")
            raise LedgerUnavailable(ledger=self.breaker.ledger, reason=f"HTTP {response.status_code}", since=self.breaker.since,
                                    retry_after=self.breaker.retry_after())  # fmt: skip
        self.breaker.succeeded()
        return response

    def _unavailable(self, kind: str, exc: Exception) -> None:
        reason = _short(exc)
        self.breaker.failed(kind, reason)
        raise LedgerUnavailable(ledger=self.breaker.ledger, reason=f"{kind}: {reason}", since=self.breaker.since,
                                retry_after=self.breaker.retry_after()) from exc  # fmt: skip


def _short(exc: Exception) -> str:
    """The innermost reason of a requests error ("Connection refused", "Read timed out")."""
    text = str(exc)
    for marker in ("Connection refused", "Read timed out", "Connection reset", "Connection aborted", "timed out"):
        if marker in text:
            return marker
    return text[:200]

"""Probes of each ledger and of the database, cached for health and metrics.

Each ledger is probed on its own supervised loop (every ``interval`` seconds, one JSON-RPC batch with
a short timeout over a connection of its own): chain id, head block, the ledger's clock (its pending
block's time) and the oracle's latest round. A probe's outcome drives the ledger's circuit breaker,
so a ledger that comes back is used again within one interval, and the worker never has to spend a
timeout finding out. The clocks of all ledgers are compared on every probe: the skew between two of
them beyond half the safety margin raises a ``clock_skew`` alert (resolved when they agree again).

The database is probed the way requests use it, with a write (:meth:`SwapRepository.probe_write`).
Health reads only these cached results: it answers at once while a ledger or the database hangs.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from corridor.statelog import StateLog
from bridge.domain.timing import skew_alert_threshold
from bridge.engine.chain import ChainView
from bridge.store.alerts import AlertRepository
from bridge.store.swaps import SwapRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LedgerProbe:
    """What the last probes of one ledger found."""

    name: str
    up: bool = False
    since: float = field(default_factory=time.time)  # wall-clock time of the last change between up and down
    checked_at: float | None = None
    last_seen: float | None = None  # the last successful probe
    block: int | None = None
    head_time: int | None = None  # the latest block's timestamp
    clock: int | None = None  # the ledger's time as a transaction would see it now
    offset: float | None = None  # clock − the bridge's wall clock, seconds
    probe_seconds: float | None = None
    reason: str | None = None
    oracle: dict[str, Any] | None = None

    def as_dict(self, now: float) -> dict[str, Any]:
        return {"up": self.up, "reachable": self.up, "since": _iso(self.since), "down_since": None if self.up else _iso(self.since),
                "last_seen": _iso(self.last_seen), "checked_at": _iso(self.checked_at),
                "probe_age_seconds": None if self.checked_at is None else round(now - self.checked_at, 3),
                "block": self.block, "head_time": self.head_time,
                "head_lag_seconds": None if self.head_time is None or self.checked_at is None else round(self.checked_at - self.head_time, 1),
                "clock": self.clock, "clock_offset_seconds": None if self.offset is None else round(self.offset, 1),
                "probe_seconds": self.probe_seconds, "reason": self.reason, "oracle": self.oracle}  # fmt: skip


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class LedgerMonitor:
    """Probes every ledger (one loop each: :meth:`probe`) and keeps what it found."""

    def __init__(self, chain: ChainView, *, interval: float = 1.0, timeout: float = 1.0, margin: int = 600,
                 alerts: AlertRepository | None = None) -> None:  # fmt: skip
        self.chain = chain
        self.interval = interval
        self.timeout = timeout
        self.skew_threshold = skew_alert_threshold(margin)
        self.alerts = alerts
        self._probes = {name: LedgerProbe(name) for name in chain.network.clients}
        self._sessions = {name: _session() for name in chain.network.clients}
        self._guard = threading.Lock()
        self._skewed: bool = False
        self.skew: float | None = None
        self.skew_pair: tuple[str, str] | None = None
        self._log = StateLog(logger)
        settings = chain.network.settings
        self._oracle_pair = (settings.oracle.base_currency, settings.oracle.pairs[0]) if settings.oracle.pairs else None

    # ─── reading ─────────────────────────────────────────────────────────────────────────

    def status(self) -> dict[str, LedgerProbe]:
        with self._guard:
            return dict(self._probes)

    def clocks(self) -> dict[str, Any]:
        return {"skew_seconds": None if self.skew is None else round(self.skew, 1),
                "between": list(self.skew_pair) if self.skew_pair else None,
                "alert_above_seconds": self.skew_threshold, "alert": self._skewed}  # fmt: skip

    # ─── probing ─────────────────────────────────────────────────────────────────────────

    def probe(self, ledger: str) -> None:
        """One probe of ``ledger``; its outcome opens or closes the ledger's circuit."""
        client = self.chain.client(ledger)
        breaker = client.breaker
        if breaker is not None:
            breaker.probed(self.interval)
        calls: list[tuple[str, list[Any]]] = [("eth_chainId", []), ("eth_getBlockByNumber", ["latest", False]),
                                              ("eth_getBlockByNumber", ["pending", False])]  # fmt: skip
        if self._oracle_pair is not None:
            oracle = self.chain.contract(ledger, "oracle").address
            data = self.chain.abi("oracle", "latest").calldata(self._oracle_pair[0].encode(), self._oracle_pair[1].encode())
            calls.append(("eth_call", [{"to": oracle, "data": data}, "latest"]))
        payload = [{"jsonrpc": "2.0", "id": i, "method": method, "params": params} for i, (method, params) in enumerate(calls)]
        sent = time.time()
        try:
            response = self._sessions[ledger].post(client.rpc_url, json=payload, timeout=(self.timeout, self.timeout))
            received = time.time()
            response.raise_for_status()
            answers = {answer["id"]: answer for answer in response.json()}
            chain_id = int(answers[0]["result"], 16)
            latest = answers[1]["result"]
            pending = answers[2].get("result")
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            kind = "timeout" if isinstance(exc, requests.Timeout) else "connection" if isinstance(exc, requests.ConnectionError) else "probe"
            self._down(ledger, kind, _reason(exc))
            return
        if chain_id != client.chain_id:
            self._down(ledger, "chain_id", f"answers with chain id {chain_id}, expected {client.chain_id}")
            return
        head_time = int(latest["timestamp"], 16)
        clock = max(head_time, int(pending["timestamp"], 16)) if isinstance(pending, dict) and pending.get("timestamp") else head_time
        oracle_state = self._oracle(ledger, answers.get(3), clock) if self._oracle_pair is not None else None
        with self._guard:
            previous = self._probes[ledger]
            self._probes[ledger] = replace(previous, up=True, since=previous.since if previous.up else received, checked_at=received,
                                           last_seen=received, block=int(latest["number"], 16), head_time=head_time, clock=clock,
                                           offset=clock - (sent + received) / 2, probe_seconds=round(received - sent, 4),
                                           reason=None, oracle=oracle_state)  # fmt: skip
        if breaker is not None:
            breaker.succeeded()
        self._log.cleared(("down", ledger), "ledger %s answers probes again", ledger)
        self._check_skew()

    def _oracle(self, ledger: str, answer: dict[str, Any] | None, clock: int) -> dict[str, Any]:
        if answer is None or "error" in answer:
            error = (answer or {}).get("error", {})
            data = error.get("data") if isinstance(error, dict) else None
            name = self.chain.network.clients[ledger].decoder.decode(data)[0] if isinstance(data, str) else "no answer"
            return {"fresh": False, "reason": name}
        values = self.chain.abi("oracle", "latest").decode(bytes.fromhex(answer["result"][2:]))
        return {"fresh": True, "age_seconds": clock - int(values[4]), "round": str(values[6])}

    def _down(self, ledger: str, kind: str, reason: str) -> None:
        now = time.time()
        breaker = self.chain.client(ledger).breaker
        with self._guard:
            previous = self._probes[ledger]
            self._probes[ledger] = replace(previous, up=False, since=now if previous.up or previous.checked_at is None else previous.since,
                                           checked_at=now, reason=f"{kind}: {reason}")  # fmt: skip
        if breaker is not None:
            breaker.failed(kind, reason)
        self._log.failing(("down", ledger), "ledger %s does not answer probes (%s: %s)", ledger, kind, reason)

    def _check_skew(self) -> None:
        now = time.time()
        with self._guard:
            fresh = {name: p.offset for name, p in self._probes.items()
                     if p.up and p.offset is not None and p.checked_at is not None and now - p.checked_at <= 3 * self.interval + self.timeout}
        if len(fresh) < 2:
            return
        ahead, behind = max(fresh, key=lambda n: fresh[n] or 0.0), min(fresh, key=lambda n: fresh[n] or 0.0)
        skew = float((fresh[ahead] or 0.0) - (fresh[behind] or 0.0))
        self.skew, self.skew_pair = skew, (ahead, behind)
        if skew > self.skew_threshold and not self._skewed:
            detail = (f"ledger {ahead}'s clock is {skew:.0f}s ahead of ledger {behind}'s, beyond the {self.skew_threshold:.0f}s "
                      "tolerated (half the safety margin): linked-ledger swaps whose leg A would keep less than the margin refund")  # fmt: skip
            self._log.failing("skew", "%s", detail)
            if self._record(lambda: self.alerts.raise_alert("clock_skew", "clock_skew", detail, severity="warning")):  # type: ignore[union-attr]
                self._skewed = True
        elif skew <= self.skew_threshold and self._skewed:
            if self._record(lambda: self.alerts.resolve("clock_skew", f"clocks within {skew:.0f}s again")):  # type: ignore[union-attr]
                self._skewed = False
            self._log.cleared("skew", "ledger clocks agree again (skew %.0fs)", skew)

    def _record(self, write: Any) -> bool:
        if self.alerts is None:
            return True
        try:
            write()
            return True
        except Exception as exc:  # the database may be down too; tried again on the next probe
            self._log.failing("alert-write", "clock skew alert not recorded yet: %s", exc)
            return False


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Read timed out", "Connection reset", "timed out"):
        if marker in text:
            return marker
    return text[:200]


class DatabaseMonitor:
    """Probes the database with a write every ``interval`` seconds (a loop step: :meth:`probe`)."""

    def __init__(self, repo: SwapRepository, alerts: AlertRepository | None = None, *, stale_after: float = 3.0) -> None:
        self.repo = repo
        self.alerts = alerts
        self.stale_after = stale_after
        self.writable: bool | None = None
        self.since = time.time()
        self.checked_at: float | None = None
        self.reason: str | None = None
        self.probe_seconds: float | None = None
        self.open_alerts: dict[tuple[str, str], int] = {}
        self.unacknowledged_alerts: dict[tuple[str, str], int] = {}
        self._probing_since: float | None = None
        self._log = StateLog(logger)

    def probe(self) -> None:
        started = time.time()
        self._probing_since = time.monotonic()
        try:
            self.repo.probe_write()
            if self.alerts is not None:
                self.open_alerts = self.alerts.open_by_kind()
                self.unacknowledged_alerts = self.alerts.open_by_kind(unacknowledged=True)
        except Exception as exc:
            self._set(False, f"{type(exc).__name__}: {_db_reason(exc)}", started)
            self._log.failing("db", "database not writable: %s", self.reason)
            return
        finally:
            self._probing_since = None
        self._set(True, None, started)
        self._log.cleared("db", "database writable again")

    def _set(self, writable: bool, reason: str | None, started: float) -> None:
        now = time.time()
        if writable is not self.writable:
            self.since = now
        self.writable, self.reason, self.checked_at, self.probe_seconds = writable, reason, now, round(now - started, 4)

    def status(self) -> dict[str, Any]:
        now = time.time()
        writable, reason = bool(self.writable), self.reason
        probing = self._probing_since
        if probing is not None and time.monotonic() - probing > self.stale_after:
            writable, reason = False, f"a write has not completed for {time.monotonic() - probing:.1f}s (locked or hung)"
        return {"writable": writable, "reachable": writable, "since": _iso(self.since), "down_since": None if writable else _iso(self.since),
                "checked_at": _iso(self.checked_at), "probe_age_seconds": None if self.checked_at is None else round(now - self.checked_at, 3),
                "probe_seconds": self.probe_seconds, "reason": reason}  # fmt: skip


def _db_reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).splitlines()[0][:200]

"""The supervisor's early warnings: conditions checked every ``alerts.interval_seconds`` and kept as
alerts (:mod:`bridge.store.alerts`) for as long as they hold.

=====================  ========  ===========================================================================
kind                   severity  raised while
=====================  ========  ===========================================================================
breaker_tripped        critical  a pair or cross is halted by its circuit breaker (evidence: the trip's round,
                                 previous and new mid, jump and transaction, read from ``BreakerTripped``)
pair_stale             warning   a configured pair's latest fixing is older than its allowance
pair_unavailable       warning   a configured pair has no round, or is not listed on a ledger
currency_paused        warning   the regulator has paused a currency
bank_frozen            warning   the regulator has frozen a bank in a currency
swap_stuck             warning   a swap has waited in one state longer than ``alerts.stuck_seconds[state]``
lock_expiring          warning   an HTLC leg is locked, its counterpart is not, and the lock expires within
                                 ``alerts.lock_expiry_warning_seconds`` of its ledger's clock
ledger_unreachable     critical  a ledger does not answer the bridge's probes
ledger_lagging         warning   a ledger's head is older than ``alerts.ledger_lag_seconds`` while blocks are
                                 due (an interval-mining ledger, or transactions waiting on an automining one)
worker_stalled         critical  a worker lane has not completed a pass for ``alerts.worker_stall_seconds``
net_debit_high         warning   a bank's net debit in a currency since the day opened (UTC, the bridge's
                                 clock) is above ``alerts.net_debit_share`` of its opening balance (its
                                 balance at the first look of the day, kept in the database: every bridge
                                 process sharing it counts from the same opening)
=====================  ========  ===========================================================================

Each check reads what the bridge already caches (probes, lanes) or one JSON-RPC batch per ledger (the
oracle's pairs and crosses, the tokens' pause and freeze flags, the banks' balances). A condition that
is gone resolves its alert; a check that could not run (its ledger down) leaves its alerts as they were.
Knows the chains and the store; knows nothing of HTTP.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from bridge.domain.swap import Model, SwapState
from bridge.engine.chain import ChainView
from bridge.store.alerts import AlertRepository
from bridge.store.swaps import SwapRepository
from corridor.abi import AbiFunction
from corridor.config import AlertsConfig
from corridor.errors import ChainRejected
from corridor.statelog import StateLog
from oracle.rates import pair_id
from oracle.status import PairState, read_statuses
from supervision.units import duration_text, money

if TYPE_CHECKING:  # the worker imports the coordinator, which imports the worker: types only here
    from bridge.engine.monitor import LedgerMonitor
    from bridge.engine.worker import Worker

logger = logging.getLogger(__name__)

WATCHED_KINDS = ("breaker_tripped", "pair_stale", "pair_unavailable", "currency_paused", "bank_frozen", "swap_stuck", "lock_expiring",
                 "ledger_unreachable", "ledger_lagging", "worker_stalled", "net_debit_high")  # fmt: skip
_HTLC_ONE_SIDED = (SwapState.LOCKED_A, SwapState.LOCKING_B)  # leg A locked, leg B not (yet)


@dataclass(frozen=True)
class Condition:
    """One alert condition found holding by a check."""

    kind: str
    key: str
    severity: str
    detail: str
    evidence: dict[str, Any]
    ledger: str | None = None
    swap_id: str | None = None
    tx_hash: str | None = None


@dataclass
class Findings:
    """What one check found, and which keys it can speak for (prefixes): an open alert under a covered
    prefix whose condition was not found again is resolved."""

    conditions: list[Condition] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)

    def add(self, condition: Condition) -> None:
        self.conditions.append(condition)


class AlertWatch:
    """One pass (:meth:`run_once`) checks every condition and raises or resolves its alert."""

    def __init__(self, chain: ChainView, repo: SwapRepository, alerts: AlertRepository, ledgers: LedgerMonitor, worker: Worker,
                 config: AlertsConfig, *, lanes_started: Callable[[], set[str]] | None = None) -> None:  # fmt: skip
        self.chain = chain
        self.repo = repo
        self.alerts = alerts
        self.ledgers = ledgers
        self.worker = worker
        self.config = config
        self._lanes_started = lanes_started or (lambda: set(worker.lanes))
        self._day: date | None = None
        self._opening: dict[tuple[str, str], int] = {}  # (bank, currency) → its balance when the day opened
        self._abis: dict[str, AbiFunction] = {}
        self._log = StateLog(logger)
        self.last_run: float | None = None
        network = chain.network
        self._settings = network.settings
        self._banks = {name: network.keys.address(name) for name in network.settings.banks}

    # ─── one pass ────────────────────────────────────────────────────────────────────────

    def run_once(self) -> None:
        now = time.time()
        findings = [self._ledger_checks(now), self._worker_checks(), self._swap_checks(now)]
        for ledger in self.chain.network.clients:
            try:
                findings.append(self._chain_checks(ledger))
            except Exception as exc:  # that ledger's conditions stay as they were until it can be read
                self._log.failing(("chain", ledger), "alert checks of ledger %s skipped: %s", ledger, exc)
            else:
                self._log.cleared(("chain", ledger), "alert checks of ledger %s run again", ledger)
        found = {c.key: c for f in findings for c in f.conditions}
        for condition in found.values():
            self.alerts.raise_alert(condition.kind, condition.key, condition.detail, severity=condition.severity,
                                    ledger=condition.ledger, swap_id=condition.swap_id, tx_hash=condition.tx_hash,
                                    evidence=condition.evidence)  # fmt: skip
        covered = {prefix for f in findings for prefix in f.covered}
        for kind in WATCHED_KINDS:
            for key in self.alerts.open_keys(kind):
                if key not in found and any(key.startswith(prefix) for prefix in covered):
                    self.alerts.resolve(key, "the condition no longer holds")
        self.last_run = now

    # ─── the bridge's own machinery ──────────────────────────────────────────────────────

    def _ledger_checks(self, now: float) -> Findings:
        out = Findings(covered={"ledger_unreachable:", "ledger_lagging:"})
        pending = self.repo.pending_transactions()
        for name, probe in self.ledgers.status().items():
            if probe.checked_at is None:
                out.covered.discard("ledger_unreachable:")  # not probed yet: say nothing either way
                continue
            if not probe.up:
                out.add(Condition("ledger_unreachable", f"ledger_unreachable:{name}", "critical",
                                  f"ledger {name} has not answered the bridge's probes since {_iso(probe.since)}: {probe.reason}",
                                  {"ledger": name, "down_since": _iso(probe.since), "reason": probe.reason,
                                   "last_seen": _iso(probe.last_seen), "last_block": probe.block}, ledger=name))  # fmt: skip
                continue
            if probe.head_time is None:
                continue
            block_time = self._settings.ledgers[name].block_time
            lag = probe.checked_at - probe.head_time
            allowed = max(self.config.ledger_lag_seconds, 5.0 * block_time)
            waiting = pending.get(name, 0)
            if lag > allowed and (block_time > 0 or waiting > 0):
                why = f"blocks are due every {block_time}s" if block_time > 0 else f"{waiting} transaction(s) wait for a block"
                out.add(Condition("ledger_lagging", f"ledger_lagging:{name}", "warning",
                                  f"ledger {name}'s head (block {probe.block}) is {duration_text(lag)} old while {why} "
                                  f"(allowed {duration_text(allowed)})",
                                  {"ledger": name, "head_block": probe.block, "head_time": _iso(probe.head_time),
                                   "lag_seconds": round(lag, 1), "allowed_seconds": allowed, "block_time": block_time,
                                   "pending_transactions": waiting}, ledger=name))  # fmt: skip
        return out

    def _worker_checks(self) -> Findings:
        out = Findings(covered={"worker_stalled:"})
        started = self._lanes_started()
        for lane, status in self.worker.liveness().items():
            if lane not in started or status.paused:
                continue
            age = status.last_success_age
            stalled = not status.alive or (age is not None and age > self.config.worker_stall_seconds)
            if not stalled:
                continue
            why = "its thread is not running" if not status.alive else f"its last successful pass was {duration_text(age)} ago"
            out.add(Condition("worker_stalled", f"worker_stalled:{lane}", "critical",
                              f"the bridge's worker lane {lane} is stalled: {why}"
                              + (f" (last error: {status.last_error})" if status.last_error else ""),
                              {"lane": lane, "alive": status.alive, "last_success": _iso(status.last_success),
                               "last_success_age_seconds": age, "busy_for_seconds": status.busy_for, "errors": status.errors,
                               "consecutive_errors": status.consecutive_errors, "restarts": status.restarts,
                               "last_error": status.last_error, "allowed_seconds": self.config.worker_stall_seconds},
                              ledger=lane))  # fmt: skip
        return out

    # ─── swaps ───────────────────────────────────────────────────────────────────────────

    def _swap_checks(self, now: float) -> Findings:
        out = Findings(covered={"swap_stuck:", "lock_expiring:"})
        clocks = {name: probe.clock for name, probe in self.ledgers.status().items() if probe.up and probe.clock is not None}
        for swap, entered in self.repo.waiting():
            age = now - entered.timestamp()
            threshold = self.config.stuck_seconds.get(swap.state.value)
            parties = f"{self._name(swap.initiator)} → {self._name(swap.counterparty)}"
            if threshold is not None and age > threshold:
                out.add(Condition("swap_stuck", f"swap_stuck:{swap.id}", "warning",
                                  f"{swap.model.value} swap {swap.id[:10]}… ({parties}) has been {swap.state.value} for "
                                  f"{duration_text(age)}, beyond its {duration_text(threshold)} threshold",
                                  {"swap_id": swap.id, "model": swap.model.value, "state": swap.state.value,
                                   "since": entered.isoformat(), "age_seconds": round(age, 1), "threshold_seconds": threshold,
                                   "initiator": swap.initiator, "counterparty": swap.counterparty}, swap_id=swap.id))  # fmt: skip
            if swap.model is Model.HTLC and swap.state in _HTLC_ONE_SIDED and swap.leg_a.expiry is not None:
                clock = clocks.get(swap.leg_a.ledger)
                if clock is None:
                    continue
                left = swap.leg_a.expiry - clock
                if left <= self.config.lock_expiry_warning_seconds:
                    amount = money(swap.leg_a.amount, swap.leg_a.currency, self._settings.currencies[swap.leg_a.currency].decimals)
                    when = f"expires in {duration_text(left)}" if left > 0 else f"expired {duration_text(-left)} ago"
                    out.add(Condition("lock_expiring", f"lock_expiring:{swap.id}:A", "warning",
                                      f"leg A of swap {swap.id[:10]}… ({amount.display} locked by {self._name(swap.leg_a.payer)} on "
                                      f"ledger {swap.leg_a.ledger}) {when} and leg B is not locked: the swap will refund",
                                      {"swap_id": swap.id, "leg": "A", "ledger": swap.leg_a.ledger, "amount": amount.model_dump(),
                                       "expiry": swap.leg_a.expiry, "ledger_clock": clock, "seconds_left": left,
                                       "lock_tx": swap.leg_a.lock_tx, "state": swap.state.value},
                                      ledger=swap.leg_a.ledger, swap_id=swap.id, tx_hash=swap.leg_a.lock_tx))  # fmt: skip
        return out

    # ─── what a ledger holds: the oracle, the tokens' flags, the banks' balances ─────────

    def _abi(self, contract: str, function: str) -> AbiFunction:
        return self.chain.abi(contract, function)

    def _chain_checks(self, ledger: str) -> Findings:
        settings, client = self._settings, self.chain.client(ledger)
        out = Findings(covered={f"breaker_tripped:{ledger}:", f"pair_stale:{ledger}:", f"pair_unavailable:{ledger}:"})
        oracle = self.chain.contract(ledger, "oracle")
        base = settings.oracle.base_currency
        statuses = read_statuses(client, oracle, base, list(settings.oracle.pairs))
        codes = settings.currencies_on(ledger)
        reads: list[tuple[str, AbiFunction, tuple[Any, ...]]] = [(oracle.address, self._abi("oracle", "crosses"), ())]
        for code in codes:
            token = self.chain.token(code).address
            reads.append((token, self._abi("token", "paused"), ()))
            for bank, address in self._banks.items():
                reads.append((token, self._abi("token", "isFrozen"), (address,)))
                reads.append((token, self._abi("token", "balanceOf"), (address,)))
        _, results = client.snapshot(reads)
        crosses = [bytes(c) for c in results[0]] if not isinstance(results[0], ChainRejected) else []
        halted = {s.pair: s for s in statuses if s.state is PairState.HALTED}
        if crosses:
            _, states = client.snapshot([(oracle.address, self._abi("oracle", "pair"), (c,)) for c in crosses])
            for cross, state in zip(crosses, states, strict=True):
                if not isinstance(state, ChainRejected) and bool(state[4]):  # Pair.halted
                    halted.setdefault(f"{cross[:3].decode()}/{cross[3:].decode()}", None)  # type: ignore[arg-type]
        open_trips = self.alerts.open_keys("breaker_tripped")
        for pair, status in halted.items():
            key = f"breaker_tripped:{ledger}:{pair}"
            evidence: dict[str, Any] = {"ledger": ledger, "pair": pair}
            tx_hash = None
            if key not in open_trips:  # the trip's own event, read once when the alert is raised
                trip = self._last_trip(ledger, pair)
                evidence.update(trip)
                tx_hash = trip.get("tx_hash")
            if status is not None and status.halted_since:
                evidence["halted_since"] = status.halted_since.isoformat()
            jump = f" after a jump of {evidence['jump_bps']} bps" if evidence.get("jump_bps") is not None else ""
            out.add(Condition("breaker_tripped", key, "critical",
                              f"{pair} is halted by its circuit breaker on ledger {ledger}{jump}: settlements in it are refused "
                              "until the regulator resumes it", evidence, ledger=ledger, tx_hash=tx_hash))  # fmt: skip
        for status in statuses:
            if status.state is PairState.STALE:
                out.add(Condition("pair_stale", f"pair_stale:{ledger}:{status.pair}", "warning", status.detail,
                                  {**status.as_dict(), "observed_at": status.observed_at}, ledger=ledger))  # fmt: skip
            elif status.state in (PairState.NO_DATA, PairState.NOT_LISTED):
                out.add(Condition("pair_unavailable", f"pair_unavailable:{ledger}:{status.pair}", "warning", status.detail,
                                  status.as_dict(), ledger=ledger))  # fmt: skip
        self._roll_day()
        index = 1
        for code in codes:
            out.covered |= {f"currency_paused:{code}", f"bank_frozen:{code}:", f"net_debit_high:{code}:"}
            decimals = settings.currencies[code].decimals
            token = self.chain.token(code).address
            paused = results[index]
            index += 1
            if paused is True:
                out.add(Condition("currency_paused", f"currency_paused:{code}", "warning",
                                  f"the regulator has paused {code} on ledger {ledger}: nothing moves in it",
                                  {"currency": code, "ledger": ledger, "token": token}, ledger=ledger))  # fmt: skip
            for bank, address in self._banks.items():
                frozen, balance = results[index], results[index + 1]
                index += 2
                if frozen is True:
                    out.add(Condition("bank_frozen", f"bank_frozen:{code}:{bank}", "warning",
                                      f"the regulator has frozen {self._name(bank)} in {code}: its {code} payments are refused",
                                      {"bank": bank, "address": address, "currency": code, "ledger": ledger, "token": token},
                                      ledger=ledger))  # fmt: skip
                if isinstance(balance, ChainRejected):
                    continue
                if (bank, code) not in self._opening:
                    self._opening[(bank, code)] = self.alerts.day_opening(self._day.isoformat(), bank, code, int(balance))  # type: ignore[union-attr]
                opening = self._opening[(bank, code)]
                debit = opening - int(balance)
                if opening > 0 and debit > self.config.net_debit_share * opening:
                    share = 100 * debit / opening
                    out.add(Condition("net_debit_high", f"net_debit_high:{code}:{bank}", "warning",
                                      f"{self._name(bank)}'s net debit in {code} since the day opened is "
                                      f"{money(debit, code, decimals).display}, {share:.0f} % of its opening balance "
                                      f"{money(opening, code, decimals).display} (alert above {100 * self.config.net_debit_share:.0f} %)",
                                      {"bank": bank, "currency": code, "day": self._day.isoformat() if self._day else None,
                                       "opening": money(opening, code, decimals).model_dump(),
                                       "balance": money(int(balance), code, decimals).model_dump(),
                                       "net_debit": money(debit, code, decimals).model_dump(), "share": round(debit / opening, 4),
                                       "alert_above_share": self.config.net_debit_share}, ledger=ledger))  # fmt: skip
        return out

    def _roll_day(self) -> None:
        today = datetime.now(timezone.utc).date()
        if today != self._day:
            self._day, self._opening = today, {}

    def _last_trip(self, ledger: str, pair: str) -> dict[str, Any]:
        """The latest ``BreakerTripped`` of ``pair`` on ``ledger``: round, mids, jump, block and transaction."""
        oracle = self.chain.contract(ledger, "oracle")
        base, quote = pair.split("/")
        try:
            events = oracle.events.BreakerTripped().get_logs(from_block=0, argument_filters={"pair": pair_id(base, quote)})
        except Exception as exc:  # a node that limits log queries: the alert still says the pair is halted
            logger.warning("breaker events unavailable ledger=%s pair=%s: %s", ledger, pair, exc)
            return {}
        if not events:
            return {}
        last = events[-1]
        args = last["args"]
        round_ref = int(args["roundId"])
        return {"round": round_ref if round_ref < 2**128 else f"{round_ref >> 128} × {round_ref & (2**128 - 1)}",
                "previous_mid": f"{int(args['previousMid']) / 10**8:.4f}", "mid": f"{int(args['mid']) / 10**8:.4f}",
                "jump_bps": int(args["jumpBps"]), "block": int(last["blockNumber"]),
                "tx_hash": "0x" + bytes(last["transactionHash"]).hex()}  # fmt: skip

    def _name(self, participant: str) -> str:
        found = self._settings.participants.get(participant)
        return found.name if found else participant


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

"""The resilience building blocks on their own: the clock rule, the circuit breaker, condition
logging, the bank's order store, supervised loops, and the journal's view of pending transactions."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from bridge.domain.swap import Leg, Model, Swap, SwapState, TransitionRefused, check_correction
from bridge.domain.timing import leg_a_safe, reveal_check, skew_alert_threshold
from bridge.engine.supervisor import Loop, Supervisor
from bridge.sdk.store import OrderStore
from bridge.store.alerts import AlertRepository
from bridge.store.swaps import SwapRepository
from corridor.errors import LedgerUnavailable
from corridor.statelog import StateLog, describe
from corridor.transport import CircuitBreaker

# ─── the clock rule ──────────────────────────────────────────────────────────────────────


def test_the_secret_moves_only_while_leg_a_keeps_the_margin_on_its_own_clock() -> None:
    synced = reveal_check(expiry_a=10_000, clock_a=5_000, expiry_b=8_000, clock_b=5_000, margin=600, claim_safety=60)
    assert synced.allowed and synced.leg_a_left == 5_000
    # ledger A's clock 3,700 s ahead: leg A has 1,300 s left on A, leg B 3,000 s on B — still allowed
    assert reveal_check(expiry_a=10_000, clock_a=8_700, expiry_b=8_000, clock_b=5_000, margin=600).allowed
    ahead = reveal_check(expiry_a=10_000, clock_a=9_500, expiry_b=8_000, clock_b=5_000, margin=600)
    assert not ahead.allowed and "leg A has 500s left" in str(ahead.reason)
    late_b = reveal_check(expiry_a=10_000, clock_a=7_970, expiry_b=8_000, clock_b=7_970, margin=600, claim_safety=60)
    assert not late_b.allowed and "leg B" in str(late_b.reason)
    assert leg_a_safe(expiry_a=1_600, clock_a=1_000, margin=600) and not leg_a_safe(expiry_a=1_599, clock_a=1_000, margin=600)
    assert skew_alert_threshold(600) == 300


def test_only_a_settlement_the_chain_shows_corrects_a_recorded_outcome() -> None:
    check_correction("0x1", SwapState.FAILED, SwapState.SETTLED)
    check_correction("0x1", SwapState.REFUNDED, SwapState.SETTLED)
    for current, wanted in ((SwapState.SETTLED, SwapState.SETTLED), (SwapState.FAILED, SwapState.REFUNDED)):
        with pytest.raises(TransitionRefused):
            check_correction("0x1", current, wanted)


# ─── the circuit breaker ─────────────────────────────────────────────────────────────────


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_on_failures_fails_fast_and_closes_on_success() -> None:
    clock = _Clock()
    breaker = CircuitBreaker("B", threshold=2, retry_after=1.0, clock=clock)
    breaker.failed("connection", "Connection refused")
    assert not breaker.is_open  # one refused connection may be a blip
    breaker.failed("connection", "Connection refused")
    assert breaker.is_open and not breaker.available
    with pytest.raises(LedgerUnavailable) as refused:
        breaker.before_call()
    assert refused.value.ledger == "B" and refused.value.since is not None
    assert breaker.errors == {"connection": 2, "circuit_open": 1}
    clock.now += 1.5  # unmonitored: one trial call is let through after retry_after
    breaker.before_call()
    with pytest.raises(LedgerUnavailable):
        breaker.before_call()  # ... one, not several
    breaker.succeeded()
    assert not breaker.is_open and breaker.available


def test_a_timeout_opens_the_breaker_at_once_and_a_monitored_one_waits_for_its_probe() -> None:
    clock = _Clock()
    breaker = CircuitBreaker("A", threshold=5, retry_after=1.0, clock=clock)
    breaker.probed(interval=1.0)
    breaker.failed("timeout", "Read timed out")
    assert breaker.is_open
    clock.now += 2.0  # within 3 probe intervals: no caller trial, the probe decides
    assert not breaker.available
    breaker.succeeded()  # the probe answered
    assert breaker.available


# ─── condition logging ───────────────────────────────────────────────────────────────────


def test_a_condition_is_logged_when_it_starts_reminded_and_cleared_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = _Clock()
    log = StateLog(logging.getLogger("statelog.test"), remind_every=60, clock=clock)
    with caplog.at_level(logging.INFO, logger="statelog.test"):
        for _ in range(1_000):
            log.failing("B", "ledger %s down", "B")
        clock.now += 61
        log.failing("B", "ledger %s down", "B")
        log.cleared("B", "ledger B back")
        log.cleared("B", "ledger B back")
    assert [r.getMessage() for r in caplog.records] == ["ledger B down", "ledger B down (still; 999 repeats in the last 60s)",
                                                        "ledger B back (after 61.0s)"]  # fmt: skip


def test_describe_keeps_the_driver_reason_not_the_statement() -> None:
    class Wrapped(Exception):
        orig = OSError("database or disk is full")

    assert describe(Wrapped("[SQL: INSERT …] [parameters: (1, 2)]")) == "Wrapped: database or disk is full"


# ─── the bank's store ────────────────────────────────────────────────────────────────────


def test_the_store_keeps_records_merged_private_and_atomic(tmp_path: Path) -> None:
    store = OrderStore.for_bank("yangtze", tmp_path)
    swap_id = "0x" + "ab" * 32
    store.keep({"swap_id": swap_id, "role": "initiator", "secret": "0x" + "11" * 32})
    store.update(swap_id, recovered="settled")
    assert store.get(swap_id) == {"swap_id": swap_id, "role": "initiator", "secret": "0x" + "11" * 32, "recovered": "settled"}
    assert (store.path_of(swap_id).stat().st_mode & 0o777, store.folder.stat().st_mode & 0o777) == (0o600, 0o700)
    assert [p.name for p in store.swaps_folder.iterdir()] == [f"{swap_id}.json"]  # no temporary file left behind
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")
    store.keep_network({"ledgers": {}})
    assert store.network() == {"ledgers": {}} and len(store.all()) == 1


# ─── supervised loops ────────────────────────────────────────────────────────────────────


def test_a_failing_loop_backs_off_and_a_dead_one_is_restarted() -> None:
    calls = {"n": 0}
    done = threading.Event()

    class Killed(BaseException):
        pass

    def step() -> None:
        calls["n"] += 1
        if calls["n"] <= 3:
            raise RuntimeError("boom")
        if calls["n"] == 4:
            raise Killed()
        done.set()

    supervisor = Supervisor(check_every=0.05)
    loop = supervisor.add(Loop("test", step, interval=0.01, max_backoff=0.05))
    original = threading.excepthook
    threading.excepthook = lambda args: None  # the thread killed on purpose
    try:
        supervisor.start()
        assert done.wait(5)
    finally:
        supervisor.stop()
        threading.excepthook = original
    status = loop.status()
    assert status.errors == 3 and status.restarts == 1 and status.last_success is not None


# ─── the journal's pending transactions ──────────────────────────────────────────────────


def _swap() -> Swap:
    return Swap(id="0x" + "cd" * 32, model=Model.HTLC, state=SwapState.PROPOSED, initiator="yangtze", counterparty="chaophraya",
                initiator_address="0x" + "1" * 40, counterparty_address="0x" + "2" * 40,
                leg_a=Leg("CNY", "A", 100, "yangtze", "chaophraya", 2_000), leg_b=Leg("THB", "B", 480, "chaophraya", "yangtze", 1_000),
                rate=10**18, max_deviation_bps=50, deadline=900, nonce=1, terms={}, signature_a="0x00", hashlock="0x" + "00" * 32)  # fmt: skip


def test_a_transaction_is_pending_from_its_hash_journalled_to_its_confirmation(repo: SwapRepository) -> None:
    swap = repo.create(_swap())
    for state in (SwapState.ACCEPTED, SwapState.LOCKING_A):
        repo.transition(swap, state)
    assert repo.pending_transactions() == {}
    repo.record_tx(swap, ledger="A", tx_hash="0x" + "ee" * 32, detail="lock CNY sent")
    assert repo.pending_transactions() == {"A": 1}
    repo.transition(swap, SwapState.LOCKED_A, ledger="A", tx_hash="0x" + "ee" * 32, block=7)
    assert repo.pending_transactions() == {}
    repo.probe_write()  # the health probe writes and removes its row


def test_an_open_alert_is_counted_not_repeated_and_resolves(repo: SwapRepository) -> None:
    alerts = AlertRepository(repo._sessions)
    assert alerts.raise_alert("clock_skew", "clock_skew", "3700s apart", severity="warning")
    assert not alerts.raise_alert("clock_skew", "clock_skew", "3701s apart", severity="warning")
    [alert] = alerts.list(open_only=True)
    assert alert.occurrences == 2 and alert.detail == "3701s apart"
    assert alerts.open_by_kind() == {("clock_skew", "warning"): 1}
    assert alerts.resolve("clock_skew", "clocks agree")
    assert alerts.list(open_only=True) == [] and alerts.list()[0].resolution == "clocks agree"

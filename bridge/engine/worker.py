"""The settlement worker: one lane per ledger, each a supervised loop.

A lane takes the next step of every active swap whose step acts on its ledger (see
:meth:`Coordinator.lanes_of`): the steps several swaps share go first, as batches (netted PvP
settlement, HTLC locks, HTLC claims, the watch for revealed secrets), then every other swap's step on
its own. A step that also needs another ledger (locking or claiming leg B reads ledger A's clock)
waits while that ledger's circuit is open, without being tried; a lane whose own ledger is down
does nothing until it is back. So an outage of one ledger delays only the steps that need it:
same-ledger settlement and refunds on the other ledger go on.

A lane's pass that fails (the database is full, a bug) is logged once, counted and retried with
back-off; a lane whose thread dies is restarted by the :class:`Supervisor`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from functools import partial
from typing import TYPE_CHECKING

from corridor.errors import ChainError, LedgerUnavailable
from corridor.statelog import StateLog, describe
from bridge.domain.swap import Model, SwapState
from bridge.engine import coordinator as _coordinator
from bridge.engine.supervisor import Loop, LoopStatus, Supervisor

if TYPE_CHECKING:
    from bridge.engine.coordinator import Coordinator

logger = logging.getLogger(__name__)


class Worker:
    """Advances every active swap on a short poll per ledger, and at once when an instruction arrives."""

    def __init__(self, coordinator: Coordinator, *, interval: float = 0.2, batch_threshold: int = 2, max_batch: int = 100,
                 supervisor: Supervisor | None = None, max_backoff: float = 5.0) -> None:  # fmt: skip
        self.coordinator = coordinator
        self.interval = interval
        self.batch_threshold = batch_threshold  # ready same-ledger swaps settled together in one netted transaction
        # swaps per batch transaction: 100 netted PvP settlements or HTLC locks cost some 3-6M gas, a
        # fraction of a block (anvil: 30M); more ready swaps go in several batches
        self.max_batch = max_batch
        self.supervisor = supervisor or Supervisor()
        self._resumed = threading.Event()
        self._resumed.set()
        self._stop = threading.Event()
        self._next_proposed_scan: dict[str, float] = {}
        self.deferred: Counter[str] = Counter()  # steps not tried because a ledger they need is down, by that ledger
        self.step_errors: Counter[str] = Counter()  # swaps' steps that raised unexpectedly, by lane (the pass went on)
        self._waiting: dict[str, dict[str, int]] = {}  # by lane: swaps whose step waited in its last pass, by the ledger needed
        self._log = StateLog(logger)
        self.lanes: dict[str, Loop] = {}
        for ledger in coordinator.network.clients:
            self.lanes[ledger] = self.supervisor.add(Loop(f"lane-{ledger}", partial(self._lane_pass, ledger), interval=interval,
                                                          gate=self._resumed, max_backoff=max_backoff))  # fmt: skip

    # ─── control ─────────────────────────────────────────────────────────────────────────

    def start(self) -> None:
        """Starts every lane (resuming every unfinished swap from the database and the chains)."""
        self._stop.clear()
        self.supervisor.start()

    def stop(self) -> None:
        self._stop.set()
        self.supervisor.stop()

    def wake(self) -> None:
        for lane in self.lanes.values():
            lane.wake.set()

    def pause(self, timeout: float = 15.0) -> None:
        """Holds every lane after its current pass (operations drills, demos); swaps wait, nothing is lost."""
        self._resumed.clear()
        deadline = time.monotonic() + timeout
        while any(lane.busy for lane in self.lanes.values()) and time.monotonic() < deadline:
            time.sleep(0.02)

    def resume(self) -> None:
        self._resumed.set()
        self.wake()

    def liveness(self) -> dict[str, LoopStatus]:
        """Each lane's liveness (alive, last successful pass, errors, restarts); restarts a dead one."""
        self.supervisor.ensure_running()
        return {ledger: lane.status() for ledger, lane in self.lanes.items()}

    # ─── passes ──────────────────────────────────────────────────────────────────────────

    def run_once(self) -> None:
        """One pass of every lane, in this thread, over one reading of the active swaps: a swap one
        lane moves takes its next step in the next pass (where it can join a batch)."""
        proposed = self._proposed_due("*")
        active = self.coordinator.repo.active(proposed=proposed)
        for ledger in self.lanes:
            with self.coordinator.chain.one_clock_per_ledger():
                self._pass(ledger, active, proposed)

    def _lane_pass(self, ledger: str) -> None:
        proposed = self._proposed_due(ledger)
        with self.coordinator.chain.one_clock_per_ledger():
            self._pass(ledger, self.coordinator.repo.active(proposed=proposed), proposed)

    def _proposed_due(self, lane: str) -> bool:
        """A proposed swap needs the worker only once its acceptance deadline passes: those are read
        every few seconds, not every pass (a bank's file of proposals would otherwise be re-read on
        every wake-up until it is accepted)."""
        due = time.monotonic() >= self._next_proposed_scan.get(lane, 0.0)
        if due:
            self._next_proposed_scan[lane] = time.monotonic() + _coordinator.PROPOSED_SCAN_SECONDS
        return due

    def _pass(self, ledger: str, active: list, proposed: bool = True) -> None:  # type: ignore[type-arg]
        """``active``: the swaps to look at (``proposed``: including those awaiting acceptance)."""
        coordinator, chain = self.coordinator, self.coordinator.chain
        mine = [swap for swap in active if ledger in coordinator.lanes_of(swap)]
        waiting: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}  # by "is a proposal"
        ready = []
        for swap in mine:
            down = sorted(needed for needed in coordinator.needs(swap, ledger) if not chain.available(needed))
            if down:
                waiting[swap.state is SwapState.PROPOSED][down[0]] += 1
            else:
                ready.append(swap)
        self._waited(ledger, waiting, proposed)
        if not ready:
            return
        batched = self._batches(ledger, ready)
        for swap in ready:
            if self._stop.is_set():
                return
            if swap.id in batched:
                continue
            try:
                if swap.state is SwapState.PROPOSED and chain.clock(swap.leg_a.ledger) <= swap.deadline:
                    continue  # waiting for the counterparty; nothing to do until its deadline
                # a swap that moved since the pass began (an instruction, another step) waits for the
                # next pass, where it can join a batch; the worker was woken for it already
                coordinator.advance(swap.id, only_from=swap.state, lane=ledger)
            except LedgerUnavailable:  # went down during this pass: the next pass lets the swap wait
                continue
            except Exception as exc:  # a bad swap must not stop the others; it stays active and is retried
                self.step_errors[ledger] += 1
                logger.debug("step failed on lane %s swap=%s: %s", ledger, swap.id, exc)
                self._log.failing(("advance", ledger), "steps fail on lane %s: %s", ledger, describe(exc), exc_info=True)
                continue
            self._log.cleared(("advance", ledger), "steps on lane %s succeed again", ledger)

    def _waited(self, ledger: str, waiting: dict[bool, Counter[str]], proposed: bool) -> None:
        for counts in waiting.values():
            self.deferred.update(counts)
        self._waiting[f"{ledger}:active"] = dict(waiting[False])
        if proposed:  # proposals are not read on every pass: their count stands until the next reading
            self._waiting[f"{ledger}:proposed"] = dict(waiting[True])

    def waiting_by_ledger(self) -> dict[str, int]:
        """Swaps whose next step waited in the last pass, by the (unavailable) ledger it needs."""
        totals: Counter[str] = Counter()
        for waiting in list(self._waiting.values()):
            totals.update(waiting)
        return dict(totals)

    def _batches(self, ledger: str, ready: list) -> set[str]:  # type: ignore[type-arg]
        """The steps several swaps share on ``ledger``, as batch transactions; the swaps they moved."""
        coordinator = self.coordinator
        pvp: list[str] = []
        locks: list[str] = []
        claims: list[str] = []
        watched: list[str] = []
        for swap in ready:
            if swap.model is Model.PVP:
                if swap.state is SwapState.ACCEPTED:
                    pvp.append(swap.id)
            elif swap.state in (SwapState.ACCEPTED, SwapState.LOCKED_A):
                locks.append(swap.id)
            elif swap.state in (SwapState.CLAIMING_B, SwapState.CLAIMING_A):
                claims.append(swap.id)
            elif swap.state is SwapState.LOCKED_B:
                watched.append(swap.id)
        batched: set[str] = set()  # swaps a batch just moved; any other swap takes its own step
        for step, swap_ids in ((coordinator.settle_pvp_batch, pvp), (coordinator.lock_htlc_batch, locks),
                               (coordinator.claim_htlc_batch, claims), (coordinator.watch_locked_batch, watched)):  # fmt: skip
            if len(swap_ids) < self.batch_threshold:
                continue
            for start in range(0, len(swap_ids), self.max_batch):  # each batch well inside a block's gas limit
                try:
                    batched.update(step(ledger, swap_ids[start:start + self.max_batch]))
                except Exception as exc:  # the swaps stay active; the per-swap steps take over
                    self.step_errors[ledger] += 1
                    self._log.failing(("batch", ledger), "batch steps fail on lane %s: %s", ledger, describe(exc),
                                      exc_info=not isinstance(exc, ChainError))  # fmt: skip
                    coordinator.network.clients[ledger].reset_nonces()  # a send may have failed midway
        return batched

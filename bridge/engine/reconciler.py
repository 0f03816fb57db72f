"""The reconciler: compares what the chains show with what the journal says, and never lets a
difference pass silently.

On start and every ``interval`` seconds it reads, from each ledger's escrows, every event since the
last block it read (from the first block on start): PvP ``Settled``/``SettledInBatch`` and HTLC
``Locked``/``Claimed``/``Refunded``. Then, for every swap those events touch and every non-terminal
swap:

- a swap the chains show settled (the PvP settlement, or both HTLC legs claimed) is recorded
  SETTLED with its transaction, whatever the journal had; had the journal recorded another outcome
  (failed, expired, refunded), a ``journal_contradicted`` alert says so;
- an HTLC swap whose leg B was claimed while its leg A was refunded raises ``one_legged``;
- escrow activity for a swap id the journal does not know raises ``unknown_swap`` (a bank's swap
  the bridge lost, or another relayer on these contracts): the supervisor must look at it.

Alerts are rows (``GET /v1/regulator/alerts``), log lines and a metric; each condition once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from corridor.errors import LedgerUnavailable
from corridor.statelog import StateLog
from corridor.typed_data import lock_id_of
from bridge.domain.swap import Model, Swap, SwapState
from bridge.engine.coordinator import Coordinator
from bridge.errors import Conflict
from bridge.store.alerts import AlertRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Lock:
    swap_id: str
    ledger: str
    sender: str
    tx_hash: str


@dataclass(frozen=True)
class _Seen:
    ledger: str
    tx_hash: str
    block: int
    secret: bytes | None = None


@dataclass
class ReconcileRun:
    """What one run found."""

    at: float
    scanned_to: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # ledgers down: read again next run
    checked: int = 0
    corrected: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    one_legged: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Reconciler:
    def __init__(self, coordinator: Coordinator, alerts: AlertRepository, *, from_block: int = 0, chunk: int = 5_000) -> None:
        self.coordinator = coordinator
        self.chain = coordinator.chain
        self.repo = coordinator.repo
        self.alerts = alerts
        self.chunk = chunk
        self._next_block = dict.fromkeys(coordinator.network.clients, from_block)
        self._locks: dict[bytes, _Lock] = {}  # every HTLC lock seen, by lock id
        self._swaps_on_chain: dict[str, str] = {}  # swap id -> the first transaction that showed it
        self._pvp_settled: dict[str, _Seen] = {}
        self._claimed: dict[bytes, _Seen] = {}
        self._refunded: dict[bytes, _Seen] = {}
        self.last_run: ReconcileRun | None = None
        self.runs = 0
        self.corrections = 0
        self._log = StateLog(logger)

    # ─── a run ───────────────────────────────────────────────────────────────────────────

    def run_once(self) -> ReconcileRun:
        started = time.monotonic()
        run = ReconcileRun(at=time.time())
        touched: set[str] = set()
        for ledger in self._next_block:
            if not self.chain.available(ledger):
                run.skipped.append(ledger)
                continue
            try:
                touched |= self._scan(ledger, run)
            except LedgerUnavailable:
                run.skipped.append(ledger)
        candidates = touched | {swap.id for swap in self.repo.active()}
        known = self.repo.get_many(sorted(candidates))
        for swap_id in sorted(touched - set(known)):
            self._unknown(swap_id, run)
        for swap in known.values():
            run.checked += 1
            self._reconcile(swap, run)
        run.seconds = round(time.monotonic() - started, 3)
        self.last_run, self.runs = run, self.runs + 1
        if run.corrected or run.unknown or run.one_legged:
            logger.warning("reconciled checked=%d corrected=%s unknown=%s one_legged=%s", run.checked, run.corrected,
                           run.unknown, run.one_legged)  # fmt: skip
        return run

    def _scan(self, ledger: str, run: ReconcileRun) -> set[str]:
        """Reads the escrows' events on ``ledger`` since the last run; the swap ids they touch."""
        client = self.chain.client(ledger)
        pvp, htlc = self.chain.contract(ledger, "pvp"), self.chain.contract(ledger, "htlc")
        decoders = {event.topic: event for event in (pvp.events.Settled(), pvp.events.SettledInBatch(), htlc.events.Locked(),
                                                     htlc.events.Claimed(), htlc.events.Refunded())}  # fmt: skip
        head = int(client.w3.eth.block_number)
        touched: set[str] = set()
        start = self._next_block[ledger]
        while start <= head:
            end = min(head, start + self.chunk - 1)
            logs = client.w3.eth.get_logs({"address": [pvp.address, htlc.address], "fromBlock": start, "toBlock": end})
            for log in logs:
                topic = "0x" + bytes(log["topics"][0]).hex() if log["topics"] else ""
                event = decoders.get(topic)
                if event is None:
                    continue
                decoded = event.process_log(log)
                swap_id = self._remember(ledger, decoded)
                if swap_id is not None:
                    touched.add(swap_id)
            start = end + 1
            self._next_block[ledger] = start
        run.scanned_to[ledger] = head
        return touched

    def _remember(self, ledger: str, event: Any) -> str | None:
        args, name = event["args"], event["event"]
        tx_hash, block = "0x" + bytes(event["transactionHash"]).hex(), int(event["blockNumber"])
        if name in ("Settled", "SettledInBatch"):
            swap_id = "0x" + bytes(args["swapId"]).hex()
            self._pvp_settled.setdefault(swap_id, _Seen(ledger, tx_hash, block))
            self._swaps_on_chain.setdefault(swap_id, tx_hash)
            return swap_id
        if name == "Locked":
            swap_id = "0x" + bytes(args["swapId"]).hex()
            lock_id = lock_id_of(args["sender"], bytes(args["hashlock"]))
            self._locks[lock_id] = _Lock(swap_id, ledger, args["sender"], tx_hash)
            self._swaps_on_chain.setdefault(swap_id, tx_hash)
            return swap_id
        lock_id = bytes(args["lockId"])
        seen = _Seen(ledger, tx_hash, block, bytes(args["secret"]) if name == "Claimed" else None)
        (self._claimed if name == "Claimed" else self._refunded).setdefault(lock_id, seen)
        lock = self._locks.get(lock_id)
        return lock.swap_id if lock is not None else None

    # ─── comparing ───────────────────────────────────────────────────────────────────────

    def _reconcile(self, swap: Swap, run: ReconcileRun) -> None:
        if swap.model is Model.PVP:
            seen = self._pvp_settled.get(swap.id)
            if seen is not None and swap.state is not SwapState.SETTLED:
                self._settled(swap, seen, (seen.tx_hash, seen.tx_hash), "both legs settled on chain in one transaction", run)
            return
        if not swap.hashlock:
            return
        hashlock = bytes.fromhex(swap.hashlock[2:])
        lock_a, lock_b = lock_id_of(swap.initiator_address, hashlock), lock_id_of(swap.counterparty_address, hashlock)
        claimed_a, claimed_b = self._claimed.get(lock_a), self._claimed.get(lock_b)
        if claimed_a is not None and claimed_b is not None:
            if swap.state is not SwapState.SETTLED:
                self._settled(swap, claimed_a, (claimed_a.tx_hash, claimed_b.tx_hash), "both legs claimed on chain", run)
            return
        refunded_a = self._refunded.get(lock_a)
        if claimed_b is not None and refunded_a is not None:
            run.one_legged.append(swap.id)
            self._alert("one_legged", f"one_legged:{swap.id}",
                        f"leg B was claimed ({claimed_b.tx_hash}) but leg A was refunded ({refunded_a.tx_hash}): the counterparty "
                        f"{swap.counterparty} lost its principal", ledger=refunded_a.ledger, swap_id=swap.id, tx_hash=refunded_a.tx_hash)  # fmt: skip
        elif swap.state in (SwapState.PROPOSED, SwapState.CANCELLED, SwapState.EXPIRED) and (lock_a in self._locks or lock_b in self._locks):
            lock = self._locks.get(lock_a) or self._locks[lock_b]
            self._alert("journal_contradicted", f"journal_contradicted:{swap.id}",
                        f"recorded {swap.state} but a leg is locked on ledger {lock.ledger} ({lock.tx_hash}): the journal lost the "
                        "swap's later steps; the locked leg is refunded at its expiry by its sender (escape hatch)",
                        ledger=lock.ledger, swap_id=swap.id, tx_hash=lock.tx_hash)  # fmt: skip

    def _settled(self, swap: Swap, seen: _Seen, settle_txs: tuple[str, str], detail: str, run: ReconcileRun) -> None:
        try:
            done = self.coordinator.settled_on_chain(swap.id, ledger=seen.ledger, tx_hash=seen.tx_hash, block=seen.block, detail=detail,
                                                     settle_txs=settle_txs)  # fmt: skip
        except Conflict:  # it moved meanwhile; the next run looks again
            return
        if done is not None:
            self.corrections += 1
            run.corrected.append(swap.id)
            logger.warning("reconciled swap=%s: recorded settled from the chain (tx %s)", swap.id, seen.tx_hash)

    def _unknown(self, swap_id: str, run: ReconcileRun) -> None:
        run.unknown.append(swap_id)
        tx_hash = self._swaps_on_chain.get(swap_id)
        ledger = next((lock.ledger for lock in self._locks.values() if lock.swap_id == swap_id), None)
        if ledger is None and swap_id in self._pvp_settled:
            ledger = self._pvp_settled[swap_id].ledger
        self._alert("unknown_swap", f"unknown_swap:{swap_id}",
                    f"the escrow on ledger {ledger} shows swap {swap_id} (tx {tx_hash}) but the journal has no such swap",
                    ledger=ledger, swap_id=swap_id, tx_hash=tx_hash)  # fmt: skip

    def _alert(self, kind: str, key: str, detail: str, **where: Any) -> None:
        self.alerts.raise_alert(kind, key, detail, **where)

    def status(self) -> dict[str, Any]:
        run = self.last_run
        return {"runs": self.runs, "corrections": self.corrections,
                "last_run": None if run is None else {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.at)),
                                                      "age_seconds": round(time.time() - run.at, 1), "checked": run.checked,
                                                      "skipped_ledgers": run.skipped, "corrected": len(run.corrected),
                                                      "unknown": len(run.unknown), "seconds": run.seconds}}  # fmt: skip


"""Checks banks' instructions and drives each swap, one idempotent step at a time.

:meth:`Coordinator.advance` is the only place that touches the ledgers. Each step records the
state it moves to *before* acting (so a crash right after is resumed from that state), sends the
transaction, journals its hash, and confirms. A resumed step first re-derives the truth from the
chain (is the lock open, was the authorisation or nonce used, did a claim reveal the secret), so
nothing is ever locked, claimed or paid twice.

Each step reads only the ledgers it needs (:meth:`Coordinator.needs`): a refund on ledger A never
waits for ledger B. The clock rule (:mod:`bridge.domain.timing`) is checked before leg B is locked,
while the watchtower waits for the secret, and right before leg B is claimed: the secret moves only
while leg A has the safety margin left on ledger A's own clock; otherwise the swap refunds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eth_utils import decode_hex
from web3.logs import DISCARD as _DISCARD

from corridor.chain import PreparedCall, events_in
from corridor.errors import ChainError, ChainRejected, LedgerUnavailable
from corridor.keys import RELAYER
from corridor.network import Network
from corridor.statelog import StateLog
from corridor.typed_data import Swap as PvPSwap
from corridor.typed_data import lock_authorisation, lock_id_of, compact_signature, relayed_lock
from oracle.quotes import QuoteService
from bridge.domain.swap import ALLOWED, TERMINAL, Leg, Model, Swap, SwapState, failure
from bridge.domain.timing import RevealCheck, leg_a_safe, reveal_check
from bridge.engine.chain import ChainView, pvp_rejection
from bridge.engine.intake import Intake, Policy, pvp_terms
from bridge.engine.quotes import QuoteDesk
from bridge.errors import Conflict, Forbidden
from bridge.store.alerts import AlertRepository
from bridge.store.swaps import SwapRepository

logger = logging.getLogger(__name__)

# Gas limit of a batch transaction: generous ceilings (a netted settlement, relayed lock or claim
# costs 40-60k per item on SettlementToken), checked by simulating the batch at that limit first.
BATCH_BASE_GAS = 150_000
BATCH_ITEM_GAS = 150_000
PROPOSED_SCAN_SECONDS = 5.0  # how often the worker looks for proposals whose acceptance deadline passed


class Coordinator:
    def __init__(self, network: Network, repo: SwapRepository, *, policy: Policy | None = None,
                 on_change: Callable[[Swap], None] | None = None, alerts: AlertRepository | None = None) -> None:  # fmt: skip
        self.network = network
        self.chain = ChainView(network)
        self.repo = repo
        self.policy = policy or Policy()
        self.relayer = network.keys.account(RELAYER)
        self.alerts = alerts
        self._on_change = on_change or (lambda swap: None)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.intake = Intake(self.chain, repo, self.policy, self._on_change)
        self.log = StateLog(logger)
        oracle = network.settings.oracle
        self.quotes = QuoteDesk(self.chain, repo, QuoteService(
            self.relayer, spread_bps=oracle.quote_spread_bps, validity_seconds=oracle.quote_validity_seconds))  # fmt: skip

    # ─── participants ────────────────────────────────────────────────────────────────────

    def participant_address(self, name: str) -> str:
        return self.network.keys.address(name)

    # ─── instructions (checked and recorded by the intake; see bridge.engine.intake) ─────

    def submit_pvp(self, participant: str, ledger: str, terms: dict[str, Any], signature: str) -> Swap:
        """A same-ledger swap on ``ledger``: ``terms`` is the PvPEscrow ``Swap`` the initiator signed."""
        return self.intake.submit(participant, [{"model": "pvp", "ledger": ledger, "terms": terms, "signature": signature}])[0]

    def submit_htlc(self, participant: str, order_json: dict[str, Any], signature: str,
                    lock_signature: str, lock_nonce: int) -> Swap:  # fmt: skip
        """A linked-ledger swap: the initiator's signed order and its authorisation to lock leg A."""
        instruction = {"model": "htlc", "order": order_json, "signature": signature, "lock_signature": lock_signature,
                       "lock_nonce": lock_nonce}  # fmt: skip
        return self.intake.submit(participant, [instruction])[0]

    def accept(self, participant: str, swap_id: str, signature: str, lock_signature: str | None = None,
               lock_nonce: int | None = None) -> Swap:  # fmt: skip
        acceptance = {"id": swap_id, "signature": signature, "lock_signature": lock_signature, "lock_nonce": lock_nonce}
        return self.intake.accept(participant, [acceptance])[0]

    def reveal(self, participant: str, swap_id: str, secret: str) -> Swap:
        return self.intake.reveal(participant, [{"id": swap_id, "secret": secret}])[0]

    def cancel(self, participant: str, swap_id: str) -> Swap:
        swap = self.repo.get(swap_id)
        if swap.party_of(participant) is None:
            raise Forbidden("not a party to this swap", field="participant")
        if swap.state not in (SwapState.PROPOSED, SwapState.ACCEPTED):
            raise Conflict(f"swap is {swap.state}; only a swap with nothing locked can be cancelled", field="state")
        self.repo.transition(swap, SwapState.CANCELLED, detail=f"cancelled by {participant}")
        self.repo.after_commit(lambda: self._on_change(swap))
        return swap

    # ─── driving ─────────────────────────────────────────────────────────────────────────

    def _swap_lock(self, swap_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(swap_id, threading.Lock())

    @contextmanager
    def _holding(self, swap_ids: list[str]) -> Iterator[list[Swap]]:
        """Holds the locks of several swaps (in a fixed order, so batches never deadlock) and yields
        them as the database has them now."""
        locks = [self._swap_lock(swap_id) for swap_id in sorted(set(swap_ids))]
        for lock in locks:
            lock.acquire()
        try:
            found = self.repo.get_many(sorted(set(swap_ids)))
            yield [found[swap_id] for swap_id in sorted(found)]
        finally:
            for lock in reversed(locks):
                lock.release()

    # ─── which ledgers a step needs (the worker's lanes) ─────────────────────────────────

    @staticmethod
    def lanes_of(swap: Swap) -> tuple[str, ...]:
        """The ledgers whose lane takes ``swap``'s next step: the ledger that step acts on (a refund,
        both: each lane refunds its own leg)."""
        a, b = swap.leg_a.ledger, swap.leg_b.ledger
        if swap.model is Model.PVP:
            return (a,)
        if swap.state in (SwapState.LOCKED_A, SwapState.LOCKING_B, SwapState.LOCKED_B, SwapState.CLAIMING_B):
            return (b,)
        if swap.state is SwapState.REFUNDING:
            return (b, a)
        return (a,)

    @staticmethod
    def needs(swap: Swap, lane: str) -> set[str]:
        """Every ledger ``swap``'s next step in ``lane`` reads or writes: it waits while any is down.
        Locking and claiming leg B read ledger A's clock (the clock rule); the watchtower reads it too
        when it can, but does not wait for it."""
        if swap.model is Model.HTLC and swap.state in (SwapState.LOCKED_A, SwapState.CLAIMING_B):
            return {swap.leg_a.ledger, swap.leg_b.ledger}
        return {lane}

    def advance(self, swap_id: str, *, only_from: SwapState | None = None, lane: str | None = None) -> Swap:
        """Takes the next step of ``swap_id`` (no-op when it waits for a party or is finished, or when
        it is no longer in state ``only_from``). ``lane``: only the part of the step on that ledger
        (a refunding swap's leg there); None takes the whole step."""
        with self._swap_lock(swap_id):
            swap = self.repo.get(swap_id)
            if only_from is not None and swap.state is not only_from:
                return swap
            before = swap.state
            try:
                if swap.model is Model.PVP:
                    self._advance_pvp(swap)
                else:
                    self._advance_htlc(swap, lane)
            except LedgerUnavailable as exc:  # the ledger's own state is logged by its breaker and monitor
                self.log.failing(("step", exc.ledger), "steps on ledger %s wait: %s", exc.ledger, exc.reason)
                self.network.clients[exc.ledger].reset_nonces()  # a send may or may not have arrived
                swap = self.repo.get(swap_id)  # the step may have stopped between its journal entries
            except ChainError as exc:
                self.log.failing(("swap", swap.id, str(exc)), "step failed swap=%s state=%s: %s", swap.id, swap.state, exc)
                client = self.network.clients.get(exc.ledger)
                for reset in [client] if client is not None else self.network.clients.values():
                    reset.reset_nonces()
                swap = self.repo.get(swap_id)
            else:
                for ledger in {swap.leg_a.ledger, swap.leg_b.ledger}:
                    self.log.cleared(("step", ledger), "steps on ledger %s go on", ledger)
            if swap.state is not before:
                self._on_change(swap)
            return swap

    def settle_pvp_batch(self, ledger: str, swap_ids: list[str]) -> set[str]:
        """Settles accepted same-ledger swaps on ``ledger`` in one netted ``settleBatch`` transaction;
        returns the ids of the swaps it sent (every batch step does, so the worker leaves them be).

        Each swap is moved to SETTLING (journalled) first. Swaps the escrow skips are marked FAILED
        with its reason; if the whole batch is refused (a net debtor cannot pay), the swaps stay in
        SETTLING and the ordinary per-swap step settles or fails each one on its own.
        """
        with self._holding(swap_ids) as held:
            swaps = [s for s in held if s.model is Model.PVP and s.state is SwapState.ACCEPTED and s.leg_a.ledger == ledger]
            if not swaps:
                return set()
            client, pvp = self.chain.client(ledger), self.chain.contract(ledger, "pvp")
            # A party may have relayed a swap itself: its nonce is used and the batch would skip it.
            # Such swaps take their own step, which records the settlement that landed.
            terms = [pvp_terms(s.terms) for s in swaps]
            _, used = client.snapshot([(pvp.address, self.chain.abi("pvp", "nonceUsed"), (t.partyA, t.nonce)) for t in terms])
            swaps = [swap for swap, nonce_used in zip(swaps, used, strict=True) if nonce_used is False]
            if not swaps:
                return set()
            with self.repo.together([swap.id for swap in swaps]):
                for swap in swaps:
                    self.repo.transition(swap, SwapState.SETTLING, ledger=ledger, detail=f"batched with {len(swaps) - 1} other swaps")
            call = PreparedCall(pvp.address, self.chain.abi("pvp", "settleBatch").calldata(
                [pvp_terms(s.terms).as_tuple() for s in swaps], [compact_signature(decode_hex(s.signature_a)) for s in swaps],
                [compact_signature(decode_hex(s.signature_b or "")) for s in swaps]))  # fmt: skip
            tx_hash = self._send_batch(client, call, f"settlement batch of {len(swaps)}", len(swaps))
            if tx_hash is None:
                return set()
            with self.repo.together([swap.id for swap in swaps]):
                for swap in swaps:
                    swap.leg_a.settle_tx = swap.leg_b.settle_tx = tx_hash
                    self.repo.record_tx(swap, ledger=ledger, tx_hash=tx_hash, detail="settleBatch sent")
            receipt = client.wait(tx_hash)
            settled = {"0x" + bytes(e["args"]["swapId"]).hex() for e in events_in(receipt, pvp.events.SettledInBatch())}
            rejected = {"0x" + bytes(e["args"]["swapId"]).hex(): e["args"]["reason"]
                        for e in events_in(receipt, pvp.events.BatchSwapRejected())}  # fmt: skip
            with self.repo.together([swap.id for swap in swaps]):
                for swap in swaps:
                    if swap.id in settled:
                        self.repo.transition(swap, SwapState.SETTLED, ledger=ledger, tx_hash=tx_hash, block=receipt["blockNumber"],
                                             detail="both legs settled, netted within the batch")  # fmt: skip
                    elif swap.id in rejected:
                        reason = pvp_rejection(rejected[swap.id])
                        swap.failure = failure(step=swap.state, reason=f"the PvP escrow skipped it in a netted batch ({reason}); nothing moved",
                                               ledger=ledger, error=reason, error_args={"reason": rejected[swap.id]}, tx_hash=tx_hash)  # fmt: skip
                        self.repo.transition(swap, SwapState.FAILED, ledger=ledger, tx_hash=tx_hash,
                                             detail=f"escrow skipped it in the batch (reason {rejected[swap.id]}); nothing moved")  # fmt: skip
            for swap in swaps:
                self._on_change(swap)
            return {swap.id for swap in swaps}

    def _send_batch(self, client: Any, call: PreparedCall, what: str, size: int) -> str | None:
        """Sends a batch of ``size`` items from the relayer; None when the escrow would refuse it (nothing
        was sent, and its swaps then take their per-swap steps, each failing with the escrow's own reason)."""
        try:
            return str(client.send_simulated(self.relayer, call, gas=BATCH_BASE_GAS + size * BATCH_ITEM_GAS))
        except ChainRejected as exc:
            logger.warning("%s refused on %s (%s); going one by one", what, client.name, exc.error)
            return None

    def lock_htlc_batch(self, ledger: str, swap_ids: list[str]) -> set[str]:
        """Locks the next leg of several linked-ledger swaps on ``ledger`` in one ``lockForBatch``.

        Each swap is journalled as LOCKING_A / LOCKING_B first and the transaction hash after
        sending, exactly as a single lock. If the escrow would refuse the batch (an authorisation no
        longer valid, a party frozen, ...) nothing was sent: the swaps stay in LOCKING_* and the
        per-swap step locks each on its own, or fails it with the escrow's own reason.
        """
        with self._holding(swap_ids) as swaps:
            now = self.chain.now(ledger)
            legs: list[tuple[Swap, Leg, SwapState, SwapState]] = []
            for swap in swaps:
                if swap.model is not Model.HTLC:
                    continue
                if swap.state is SwapState.ACCEPTED and swap.leg_a.ledger == ledger:
                    legs.append((swap, swap.leg_a, SwapState.LOCKING_A, SwapState.LOCKED_A))
                elif (swap.state is SwapState.LOCKED_A and swap.leg_b.ledger == ledger
                      and now + self.policy.claim_safety < swap.leg_b.expiry and self._leg_a_safe(swap)):  # fmt: skip
                    legs.append((swap, swap.leg_b, SwapState.LOCKING_B, SwapState.LOCKED_B))
            if len(legs) < 2:
                return set()  # a lone lock takes the ordinary per-swap step
            client, htlc = self.chain.client(ledger), self.chain.contract(ledger, "htlc")
            batch = f"batch of {len(legs)}"
            with self.repo.together([swap.id for swap, *_ in legs]):
                for swap, _, locking, _ in legs:
                    self.repo.transition(swap, locking, ledger=ledger, detail=f"locking in a {batch}")
            # Ordered by payer and token: the escrow pulls each run of one payer's locks in one token in one transfer.
            items = sorted(((self.chain.request_for(leg, swap), swap, leg) for swap, leg, _, _ in legs),
                           key=lambda item: (item[0].terms.sender.lower(), item[0].terms.token.lower()))  # fmt: skip
            call = PreparedCall(htlc.address, self.chain.abi("htlc", "lockForBatch").calldata([
                relayed_lock(request, self.chain.quote_proof(swap), leg.lock_nonce, decode_hex(leg.authorisation or ""))
                for request, swap, leg in items]))  # fmt: skip
            tx_hash = self._send_batch(client, call, f"lock {batch}", len(legs))
            if tx_hash is None:
                return set()
            with self.repo.together([swap.id for swap, *_ in legs]):
                for swap, leg, _, _ in legs:
                    leg.lock_tx = tx_hash
                    self.repo.record_tx(swap, ledger=ledger, tx_hash=tx_hash, detail=f"lock {leg.currency} sent in a {batch}")
            receipt = client.wait(tx_hash)  # all or nothing: a mined batch locked every leg
            with self.repo.together([swap.id for swap, *_ in legs]):
                for swap, leg, _, locked in legs:
                    leg.lock_block = int(receipt["blockNumber"])
                    self.repo.transition(swap, locked, ledger=ledger, tx_hash=tx_hash, block=receipt["blockNumber"],
                                         detail=f"{leg.currency} {leg.amount} locked until {leg.expiry} ({batch})")  # fmt: skip
            for swap, _, _, _ in legs:
                self._on_change(swap)
            return {swap.id for swap, _, _, _ in legs}

    def claim_htlc_batch(self, ledger: str, swap_ids: list[str]) -> set[str]:
        """Claims the legs of several linked-ledger swaps on ``ledger`` in one ``claimBatch``.

        Only legs whose claim was never sent and whose expiry is not near are batched; the escrow
        skips a lock settled meanwhile, and such a swap is left to the per-swap step, which reads
        from the chain whether it was claimed or refunded.
        """
        with self._holding(swap_ids) as swaps:
            now = self.chain.now(ledger)
            clocks: dict[str, int] = {}  # each ledger's clock read fresh, once for the batch (the clock rule)
            legs: list[tuple[Swap, Leg, SwapState]] = []
            for swap in swaps:
                if swap.model is not Model.HTLC or not swap.secret:
                    continue
                if swap.state is SwapState.CLAIMING_B and swap.leg_b.ledger == ledger:
                    if not self._reveal_check(swap, clocks=clocks).allowed:
                        continue  # its own step sends it to refunds
                    leg, done = swap.leg_b, SwapState.CLAIMING_A
                elif swap.state is SwapState.CLAIMING_A and swap.leg_a.ledger == ledger:
                    leg, done = swap.leg_a, SwapState.SETTLED
                else:
                    continue
                if leg.settle_tx is None and now + self.policy.claim_safety < leg.expiry:
                    legs.append((swap, leg, done))
            if len(legs) < 2:
                return set()
            client, htlc = self.chain.client(ledger), self.chain.contract(ledger, "htlc")
            batch = f"batch of {len(legs)}"
            # Ordered by token and receiver: the escrow pays each run of one receiver's locks in one token in one transfer.
            terms = [self.chain.request_for(leg, swap).terms for swap, leg, _ in legs]
            claims = sorted(((t, decode_hex(swap.secret or "")) for t, (swap, _, _) in zip(terms, legs, strict=True)),
                            key=lambda item: (item[0].token.lower(), item[0].receiver.lower()))  # fmt: skip
            call = PreparedCall(htlc.address, self.chain.abi("htlc", "claimBatch").calldata(
                [t.claim_tuple() for t, _ in claims], [secret for _, secret in claims]))
            tx_hash = self._send_batch(client, call, f"claim {batch}", len(legs))
            if tx_hash is None:
                return set()
            with self.repo.together([swap.id for swap, *_ in legs]):
                for swap, leg, _ in legs:
                    leg.settle_tx = tx_hash
                    self.repo.record_tx(swap, ledger=ledger, tx_hash=tx_hash, detail=f"claim {leg.currency} sent in a {batch}")
            receipt = client.wait(tx_hash)
            claimed = {bytes(e["args"]["lockId"]) for e in htlc.events.Claimed().process_receipt(receipt, errors=_DISCARD)}
            held = {bytes(e["args"]["lockId"]) for e in htlc.events.ClaimHeld().process_receipt(receipt, errors=_DISCARD)}
            moved = []
            with self.repo.together([swap.id for swap, *_ in legs]):
                for (swap, leg, done), lock_terms in zip(legs, terms, strict=True):
                    lock_id = lock_id_of(lock_terms.sender, lock_terms.hashlock)
                    if lock_id in claimed:
                        leg.outcome = "claimed"
                        self._finish_claims(swap, leg, done, tx_hash=tx_hash, block=receipt["blockNumber"],
                                            detail=f"{leg.currency} {leg.amount} paid to {leg.receiver} ({batch})")  # fmt: skip
                        moved.append(swap)
                    elif lock_id in held:  # held by the token policy: the receiver's once the hold lifts
                        self._held(swap, leg, tx_hash)
                        if leg is swap.leg_b:
                            self.repo.transition(swap, SwapState.CLAIMING_A, ledger=ledger, tx_hash=tx_hash,
                                                 detail=f"{leg.currency} claim held; the secret is public: claiming leg A")  # fmt: skip
                        moved.append(swap)
            for swap in moved:
                self._on_change(swap)
            return {swap.id for swap, _, _ in legs}

    def watch_locked_batch(self, ledger: str, swap_ids: list[str]) -> set[str]:
        """The watchtower for every swap whose leg B is locked on ``ledger``: one log query finds any
        secret revealed on chain for any of them; each then moves on as in the per-swap step."""
        with self._holding(swap_ids) as swaps:
            watched = {}
            for swap in swaps:
                if swap.model is Model.HTLC and swap.state is SwapState.LOCKED_B and swap.leg_b.ledger == ledger:
                    terms = self.chain.request_for(swap.leg_b, swap).terms
                    watched[lock_id_of(terms.sender, terms.hashlock)] = swap
            if not watched:
                return set()
            from_block = min(swap.leg_b.lock_block or 0 for swap in watched.values())
            revealed = self.chain.revealed_secrets(ledger, list(watched), from_block=from_block)
            now = self.chain.now(ledger)
            for lock_id, swap in watched.items():
                before = swap.state
                self._watched(swap, revealed.get(lock_id), now, self._leg_a_left(swap))
                if swap.state is not before:
                    self._on_change(swap)
            return {swap.id for swap in watched.values()}

    # ─── same ledger ─────────────────────────────────────────────────────────────────────

    def _advance_pvp(self, swap: Swap) -> None:
        ledger = swap.leg_a.ledger
        client, pvp = self.chain.client(ledger), self.chain.contract(ledger, "pvp")
        terms = pvp_terms(swap.terms)
        if swap.state is SwapState.PROPOSED:
            # the ledger's clock as its next block will read it: a proposal expires on time even while no block is mined
            if self.chain.clock(ledger) > swap.deadline:
                self.repo.transition(swap, SwapState.EXPIRED, detail="the counterparty did not accept before the deadline")
        elif swap.state is SwapState.ACCEPTED:
            if self._nonce_used(swap, pvp, terms):  # relayed by a party itself while the bridge was away
                return
            self.repo.transition(swap, SwapState.SETTLING, ledger=ledger)
            self._settle_pvp(swap, client, pvp, terms)
        elif swap.state is SwapState.SETTLING:
            if self._nonce_used(swap, pvp, terms):  # it landed before a crash, or a party relayed it
                return
            if self.chain.now(ledger) > swap.deadline:
                self.repo.transition(swap, SwapState.EXPIRED, ledger=ledger, detail="deadline passed unsettled; nothing moved")
            else:
                self._settle_pvp(swap, client, pvp, terms)

    def _nonce_used(self, swap: Swap, pvp: Any, terms: PvPSwap) -> bool:
        """Whether party A's nonce of this swap is used on chain; if so, records what used it: this
        swap's own settlement (whoever relayed it) as SETTLED with its transaction, or another
        instruction (FAILED: this swap can never settle; an alert, as a bank's nonce was reused)."""
        if not pvp.functions.nonceUsed(terms.partyA, terms.nonce).call():
            return False
        ledger = swap.leg_a.ledger
        found = self.chain.pvp_settlement(ledger, swap.id)
        if found is not None:
            tx_hash, block = found
            ours = tx_hash in (swap.leg_a.settle_tx, swap.leg_b.settle_tx)
            swap.leg_a.settle_tx = swap.leg_b.settle_tx = tx_hash
            self.repo.transition(swap, SwapState.SETTLED, ledger=ledger, tx_hash=tx_hash, block=block,
                                 detail="both legs settled in one transaction" + ("" if ours else " relayed by another party"))  # fmt: skip
            return True
        detail = f"party A's nonce {terms.nonce} was used on chain by another instruction: this swap can never settle; nothing moved"
        self.repo.transition(swap, SwapState.FAILED, ledger=ledger, detail=detail)
        self._alert("nonce_reused", f"nonce_reused:{swap.id}", detail, ledger=ledger, swap_id=swap.id)
        return True

    def _settle_pvp(self, swap: Swap, client: Any, pvp: Any, terms: PvPSwap) -> None:
        call = pvp.functions.settle(terms.as_tuple(), compact_signature(decode_hex(swap.signature_a)),
                                    compact_signature(decode_hex(swap.signature_b or "")))  # fmt: skip
        try:
            tx_hash = client.send(self.relayer, call)
        except ChainRejected as exc:
            if exc.error == "PvPNonceUsed" and self._nonce_used(swap, pvp, terms):  # settled meanwhile by a party
                return
            swap.failure = failure(step=swap.state, reason="the PvP escrow refused the settlement; nothing moved",
                                   ledger=swap.leg_a.ledger, error=exc.error, error_args=exc.args_by_name)  # fmt: skip
            self.repo.transition(swap, SwapState.FAILED, ledger=swap.leg_a.ledger,
                                 detail=f"escrow refused, nothing moved: {exc.error} {exc.args_by_name}")  # fmt: skip
            return
        swap.leg_a.settle_tx = swap.leg_b.settle_tx = tx_hash
        self.repo.record_tx(swap, ledger=swap.leg_a.ledger, tx_hash=tx_hash, detail="settle sent")
        receipt = client.wait(tx_hash)
        self.repo.transition(swap, SwapState.SETTLED, ledger=swap.leg_a.ledger, tx_hash=tx_hash,
                             block=receipt["blockNumber"], detail="both legs settled in one transaction")  # fmt: skip

    # ─── linked ledgers ──────────────────────────────────────────────────────────────────

    def _advance_htlc(self, swap: Swap, lane: str | None = None) -> None:
        """One step; each state reads only the ledgers it needs (see :meth:`needs`)."""
        state, leg_a, leg_b = swap.state, swap.leg_a, swap.leg_b
        if state is SwapState.PROPOSED:
            if self.chain.clock(leg_a.ledger) > swap.deadline:  # on time even while no block is mined
                self.repo.transition(swap, SwapState.EXPIRED, detail="the counterparty did not accept before the deadline")
        elif state is SwapState.ACCEPTED:
            self.repo.transition(swap, SwapState.LOCKING_A, ledger=leg_a.ledger)
            self._lock(swap, leg_a, SwapState.LOCKED_A, fresh=True)
        elif state is SwapState.LOCKING_A:
            self._lock(swap, leg_a, SwapState.LOCKED_A)
        elif state is SwapState.LOCKED_A:
            if self.chain.now(leg_b.ledger) + self.policy.claim_safety >= leg_b.expiry:
                self.repo.transition(swap, SwapState.REFUNDING, detail="too late to lock leg B safely")
            elif not self._leg_a_safe(swap):
                self.repo.transition(swap, SwapState.REFUNDING, ledger=leg_a.ledger,
                                     detail=f"leg B not locked: {self._rule_detail(swap)}")  # fmt: skip
            else:
                self.repo.transition(swap, SwapState.LOCKING_B, ledger=leg_b.ledger)
                self._lock(swap, leg_b, SwapState.LOCKED_B, fresh=True)
        elif state is SwapState.LOCKING_B:
            self._lock(swap, leg_b, SwapState.LOCKED_B)
        elif state is SwapState.LOCKED_B:
            self._watch_locked(swap)
        elif state is SwapState.CLAIMING_B:
            self._claim(swap, leg_b, SwapState.CLAIMING_A)
        elif state is SwapState.CLAIMING_A:
            self._claim(swap, leg_a, SwapState.SETTLED)
        elif state is SwapState.REFUNDING:
            self._refund(swap, lane)

    # ─── the clock rule ──────────────────────────────────────────────────────────────────

    def _reveal_check(self, swap: Swap, *, fresh: bool = False, clocks: dict[str, int] | None = None) -> RevealCheck:
        """The clock rule (:func:`bridge.domain.timing.reveal_check`) on both ledgers' own clocks
        (``clocks``: read fresh once per ledger into this dict and reused, for a batch)."""

        def clock(ledger: str) -> int:
            if clocks is None:
                return self.chain.clock(ledger, fresh=fresh)
            if ledger not in clocks:
                clocks[ledger] = self.chain.clock(ledger, fresh=True)
            return clocks[ledger]

        return reveal_check(expiry_a=swap.leg_a.expiry or 0, clock_a=clock(swap.leg_a.ledger), expiry_b=swap.leg_b.expiry or 0,
                            clock_b=clock(swap.leg_b.ledger), margin=self.policy.expiry_margin, claim_safety=self.policy.claim_safety)  # fmt: skip

    def _leg_a_safe(self, swap: Swap, *, fresh: bool = False) -> bool:
        return leg_a_safe(expiry_a=swap.leg_a.expiry or 0, clock_a=self.chain.clock(swap.leg_a.ledger, fresh=fresh),
                          margin=self.policy.expiry_margin)  # fmt: skip

    def _leg_a_left(self, swap: Swap) -> int | None:
        """Seconds leg A has left on ledger A's clock; None while ledger A cannot be read (the
        watchtower then goes on without the early refund the rule would allow)."""
        if not self.chain.available(swap.leg_a.ledger):
            return None
        try:
            return (swap.leg_a.expiry or 0) - self.chain.clock(swap.leg_a.ledger)
        except LedgerUnavailable:
            return None

    def _rule_detail(self, swap: Swap) -> str:
        left = (swap.leg_a.expiry or 0) - self.chain.clock(swap.leg_a.ledger)
        return (f"leg A has {left}s left on ledger {swap.leg_a.ledger}'s clock, under the {self.policy.expiry_margin}s safety margin "
                "(are the ledgers' clocks apart?); both legs refund at their expiries")  # fmt: skip

    def _lock(self, swap: Swap, leg: Leg, locked: SwapState, *, fresh: bool = False) -> None:
        """Locks ``leg``. A resumed step (``fresh`` False: the state was journalled before a restart
        or a failed attempt) first asks the chain whether the lock already landed."""
        client, htlc = self.chain.client(leg.ledger), self.chain.contract(leg.ledger, "htlc")
        request = self.chain.request_for(leg, swap)
        payer = request.terms.sender
        if not fresh and (self.chain.authorisation_used(leg.ledger, payer, leg.lock_nonce) or self.chain.lock_open(leg.ledger, request.terms)):
            self.repo.transition(swap, locked, ledger=leg.ledger, tx_hash=leg.lock_tx, detail="lock confirmed on chain")
            return
        try:
            tx_hash = client.send(self.relayer, htlc.functions.lockFor(request.params_tuple(), self.chain.quote_proof(swap).as_tuple(),
                                                                       lock_authorisation(payer, leg.lock_nonce, decode_hex(leg.authorisation or ""))))  # fmt: skip
        except ChainRejected as exc:
            failed = SwapState.FAILED if leg is swap.leg_a else SwapState.REFUNDING
            detail = f"lock refused on {leg.ledger}: {exc.error} {exc.args_by_name}"
            swap.failure = failure(step=swap.state, reason=f"the {leg.currency} lock was refused by the escrow on ledger {leg.ledger}" + (
                "; nothing was locked" if failed is SwapState.FAILED else "; leg A is refunded at its expiry"),
                ledger=leg.ledger, error=exc.error, error_args=exc.args_by_name)  # fmt: skip
            self.repo.transition(swap, failed, ledger=leg.ledger, detail=detail + (
                "; nothing was locked" if failed is SwapState.FAILED else "; leg A will be refunded at its expiry"))  # fmt: skip
            return
        leg.lock_tx = tx_hash
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, detail=f"lock {leg.currency} sent")
        receipt = client.wait(tx_hash)
        leg.lock_block = int(receipt["blockNumber"])
        self.repo.transition(swap, locked, ledger=leg.ledger, tx_hash=tx_hash, block=receipt["blockNumber"],
                             detail=f"{leg.currency} {leg.amount} locked until {leg.expiry}")  # fmt: skip

    def _watch_locked(self, swap: Swap) -> None:
        """Both legs locked: the watchtower picks up a secret revealed on chain, refunds at expiry, and
        refunds early once the clock rule says the secret may no longer move."""
        request_b = self.chain.request_for(swap.leg_b, swap)
        claimed = self.chain.claimed_event(swap.leg_b.ledger, request_b.terms, from_block=swap.leg_b.lock_block or 0)
        self._watched(swap, bytes(claimed["args"]["secret"]) if claimed else None, self.chain.now(swap.leg_b.ledger),
                      self._leg_a_left(swap))  # fmt: skip

    def _watched(self, swap: Swap, revealed: bytes | None, now_b: int, leg_a_left: int | None) -> None:
        if revealed is not None:  # leg B is claimed already: claiming leg A protects the counterparty
            swap.secret = "0x" + revealed.hex()
            self.repo.transition(swap, SwapState.CLAIMING_B, ledger=swap.leg_b.ledger, detail="secret seen on chain")
        elif now_b >= (swap.leg_b.expiry or 0):
            self.repo.transition(swap, SwapState.REFUNDING, detail="the initiator never revealed the secret")
        elif leg_a_left is not None and leg_a_left < self.policy.expiry_margin:
            self.repo.transition(swap, SwapState.REFUNDING, ledger=swap.leg_a.ledger,
                                 detail=f"the secret may no longer move: {self._rule_detail(swap)}")  # fmt: skip

    def _claim(self, swap: Swap, leg: Leg, done: SwapState) -> None:
        """Claims ``leg``. A claim the token policy holds (a party frozen or suspended, a currency paused)
        becomes pending on chain: the funds are the receiver's and the refund is closed, so the swap
        waits (the leg's outcome ``held``) and the claim is sent again each pass until the hold lifts,
        expiry or not. A held leg B has published the secret all the same: leg A is claimed meanwhile."""
        if leg is swap.leg_a and swap.leg_b.outcome == "held" and not self._claim_held(swap, swap.leg_b):
            if leg.outcome == "claimed":
                return  # leg A paid; leg B still held for the initiator: the swap waits
        if leg.outcome == "claimed":
            self._finish_claims(swap, leg, done)
            return
        client, htlc = self.chain.client(leg.ledger), self.chain.contract(leg.ledger, "htlc")
        terms = self.chain.request_for(leg, swap).terms
        # Leg B unclaimable: nothing was paid, both legs go back. Leg A unclaimable: the initiator
        # already has leg B, so refunding would not be a way out; fail loudly for the operator.
        unclaimable = SwapState.REFUNDING if leg is swap.leg_b else SwapState.FAILED
        if not self.chain.lock_open(leg.ledger, terms):
            claimed = self.chain.claimed_event(leg.ledger, terms, from_block=leg.lock_block or 0)
            if claimed is not None:
                leg.settle_tx = "0x" + bytes(claimed["transactionHash"]).hex()  # the claim that landed, whoever sent it
                leg.outcome = "claimed"
                self._finish_claims(swap, leg, done, detail=f"{leg.currency} leg claimed")
            else:
                self._unclaimable(swap, leg, unclaimable, f"{leg.currency} leg was refunded before it was claimed")
            return
        if self.chain.claim_pending(leg.ledger, terms):
            self._claim_held(swap, leg)
            if leg.outcome == "claimed":
                self._finish_claims(swap, leg, done)
            return
        if leg is swap.leg_b:  # the secret is about to go public: only while leg A has the margin left
            check = self._reveal_check(swap, fresh=True)
            if not check.allowed:
                self.repo.transition(swap, SwapState.REFUNDING, ledger=swap.leg_a.ledger,
                                     detail=f"leg B not claimed: {check.reason} (ledger {swap.leg_a.ledger}, ledger {swap.leg_b.ledger})")  # fmt: skip
                return
        if self.chain.now(leg.ledger) >= (leg.expiry or 0):
            self._unclaimable(swap, leg, unclaimable, f"{leg.currency} leg expired before its claim")
            return
        tx_hash = client.send(self.relayer, htlc.functions.claim(terms.claim_tuple(), decode_hex(swap.secret or "")))
        leg.settle_tx = tx_hash
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, detail=f"claim {leg.currency} sent")
        receipt = client.wait(tx_hash)
        if htlc.events.ClaimHeld().process_receipt(receipt, errors=_DISCARD):
            self._held(swap, leg, tx_hash)
            if leg is swap.leg_b:  # the secret is public now: leg A is claimed for the counterparty meanwhile
                self.repo.transition(swap, SwapState.CLAIMING_A, ledger=leg.ledger, tx_hash=tx_hash,
                                     detail=f"{leg.currency} claim held; the secret is public: claiming leg A")  # fmt: skip
            return
        leg.outcome = "claimed"
        self._finish_claims(swap, leg, done, tx_hash=tx_hash, block=receipt["blockNumber"],
                            detail=f"{leg.currency} {leg.amount} paid to {leg.receiver}")  # fmt: skip

    def _finish_claims(self, swap: Swap, leg: Leg, done: SwapState, **journal: Any) -> None:
        """Moves to ``done`` once ``leg`` is paid, unless it is leg A and leg B is still held (the swap
        is final only when both legs reached their receivers)."""
        if done is SwapState.SETTLED and swap.leg_b.outcome == "held":
            self.repo.save(swap)
            return
        self.repo.transition(swap, done, ledger=leg.ledger, **{"tx_hash": leg.settle_tx, **journal})

    def _held(self, swap: Swap, leg: Leg, tx_hash: str | None) -> None:
        leg.outcome, leg.settle_tx = "held", None
        detail = (f"{leg.currency} claim held by the token policy on ledger {leg.ledger} ({leg.payer} or {leg.receiver} "
                  f"frozen or suspended, or {leg.currency} paused): the funds are {leg.receiver}'s, paid when the hold lifts")  # fmt: skip
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, detail=detail)
        self._alert("claim_held", f"claim_held:{swap.id}:{leg.ledger}", detail, severity="warning", ledger=leg.ledger,
                    swap_id=swap.id, tx_hash=tx_hash)  # fmt: skip

    def _claim_held(self, swap: Swap, leg: Leg) -> bool:
        """Sends the claim of a pending (held) lock again; True once it paid. While the hold lasts the
        escrow refuses with HtlcClaimHeld and nothing is sent."""
        client, htlc = self.chain.client(leg.ledger), self.chain.contract(leg.ledger, "htlc")
        terms = self.chain.request_for(leg, swap).terms
        if not self.chain.lock_open(leg.ledger, terms):  # paid by someone else's claim meanwhile
            claimed = self.chain.claimed_event(leg.ledger, terms, from_block=leg.lock_block or 0)
            leg.outcome = "claimed" if claimed is not None else leg.outcome
            if claimed is not None:
                leg.settle_tx = "0x" + bytes(claimed["transactionHash"]).hex()
                self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=leg.settle_tx, detail=f"{leg.currency} held claim paid")
            return leg.outcome == "claimed"
        leg.outcome = "held"
        try:
            tx_hash = client.send(self.relayer, htlc.functions.claim(terms.claim_tuple(), decode_hex(swap.secret or "")))
        except ChainRejected as exc:
            if exc.error == "HtlcClaimHeld":
                self.repo.save(swap)
                return False  # the hold is still in force: tried again next pass
            raise
        receipt = client.wait(tx_hash)
        leg.outcome, leg.settle_tx = "claimed", tx_hash
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, block=int(receipt["blockNumber"]),
                            detail=f"{leg.currency} {leg.amount} paid to {leg.receiver}: the hold was lifted")  # fmt: skip
        return True

    def _unclaimable(self, swap: Swap, leg: Leg, to: SwapState, detail: str) -> None:
        self.repo.transition(swap, to, ledger=leg.ledger, detail=detail)
        if to is SwapState.FAILED:
            self._alert("one_legged", f"one_legged:{swap.id}",
                        f"{detail}: leg B was paid to the initiator, leg A cannot reach the counterparty ({swap.counterparty})",
                        ledger=leg.ledger, swap_id=swap.id)  # fmt: skip

    # ─── refunds, one leg per ledger ─────────────────────────────────────────────────────

    def _refund(self, swap: Swap, lane: str | None) -> None:
        """Refunds each locked leg once its expiry passes on its own ledger, leg by leg (``lane``: only
        the leg on that ledger, so a refund never waits for the other ledger). A leg B found claimed
        meanwhile means the secret is public: leg A is then claimed for the counterparty instead. The
        swap is REFUNDED once both legs' outcomes are known."""
        for leg in (swap.leg_b, swap.leg_a):
            if leg.outcome is not None or (lane is not None and leg.ledger != lane):
                continue
            if self._refund_leg(swap, leg):
                return  # the swap moved on (leg B was claimed)
        outcomes = {swap.leg_a.outcome, swap.leg_b.outcome}
        if None in outcomes:
            return
        if outcomes <= {"unlocked", "refunded"}:
            self.repo.transition(swap, SwapState.REFUNDED, detail="every locked leg returned to its payer")
        elif outcomes == {"claimed"}:
            self.repo.transition(swap, SwapState.SETTLED, detail="both legs were claimed on chain")
        else:
            detail = f"leg A {swap.leg_a.outcome}, leg B {swap.leg_b.outcome}: one leg claimed, the other returned"
            self.repo.transition(swap, SwapState.FAILED, detail=detail)
            self._alert("one_legged", f"one_legged:{swap.id}", detail, swap_id=swap.id)

    def _refund_leg(self, swap: Swap, leg: Leg) -> bool:
        """Settles what can be settled of one leg now; True when the swap moved to another state."""
        terms = self.chain.request_for(leg, swap).terms
        now = self.chain.now(leg.ledger)
        if leg.lock_nonce is None or not self.chain.authorisation_used(leg.ledger, terms.sender, leg.lock_nonce):
            if leg.lock_tx is None or now >= (leg.expiry or 0):  # never sent, or can no longer land
                leg.outcome = "unlocked"
                self.repo.save(swap)
            return False
        if not self.chain.lock_open(leg.ledger, terms):
            events = self.chain.htlc_events(leg.ledger, lock_id_of(terms.sender, terms.hashlock), from_block=leg.lock_block or 0)
            if "Claimed" in events and leg is swap.leg_b and swap.leg_a.outcome is None:
                swap.secret = "0x" + bytes(events["Claimed"]["args"]["secret"]).hex()
                leg.settle_tx = "0x" + bytes(events["Claimed"]["transactionHash"]).hex()
                self.repo.transition(swap, SwapState.CLAIMING_A, ledger=leg.ledger,
                                     detail="leg B was claimed: claiming leg A for the counterparty")  # fmt: skip
                return True
            leg.outcome = "claimed" if "Claimed" in events else "refunded"
            self.repo.save(swap)
            return False
        if self.chain.claim_pending(leg.ledger, terms):
            # A claim made during a hold: the secret is public and this leg is its receiver's (the escrow
            # refuses the refund for good). Leg A is claimed for the counterparty; a held leg B pays the
            # initiator when its hold lifts.
            held = self.chain.htlc_events(leg.ledger, lock_id_of(terms.sender, terms.hashlock), from_block=leg.lock_block or 0)
            if "ClaimHeld" in held:
                swap.secret = "0x" + bytes(held["ClaimHeld"]["args"]["secret"]).hex()
            leg.outcome = "held"
            self.repo.transition(swap, SwapState.CLAIMING_A, ledger=leg.ledger,
                                 detail=f"{leg.currency} claim held on chain (the secret is public): no refund; claiming")  # fmt: skip
            return True
        if now < (leg.expiry or 0):
            return False
        client, htlc = self.chain.client(leg.ledger), self.chain.contract(leg.ledger, "htlc")
        tx_hash = client.send(self.relayer, htlc.functions.refund(terms.as_tuple()))
        leg.refund_tx = tx_hash
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, detail=f"refund {leg.currency} sent")
        receipt = client.wait(tx_hash)
        leg.outcome = "refunded"
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, block=int(receipt["blockNumber"]),
                            detail=f"{leg.currency} {leg.amount} refunded to {leg.payer}")  # fmt: skip
        return False

    # ─── what the chains show (the reconciler) ───────────────────────────────────────────

    def settled_on_chain(self, swap_id: str, *, ledger: str, tx_hash: str, block: int | None, detail: str,
                         settle_txs: tuple[str | None, str | None]) -> Swap | None:  # fmt: skip
        """Records ``swap_id`` SETTLED, as the chains show it (``settle_txs``: leg A's and leg B's
        settling transactions), from whatever state the journal has; an alert when the journal had
        recorded another outcome. None when it was recorded settled already."""
        with self._swap_lock(swap_id):
            swap = self.repo.get(swap_id)
            if swap.state is SwapState.SETTLED:
                return None
            previous = swap.state
            swap.leg_a.settle_tx = settle_txs[0] or swap.leg_a.settle_tx
            swap.leg_b.settle_tx = settle_txs[1] or swap.leg_b.settle_tx
            correction = SwapState.SETTLED not in ALLOWED.get(previous, frozenset())
            self.repo.transition(swap, SwapState.SETTLED, ledger=ledger, tx_hash=tx_hash, block=block, detail=detail, correction=correction)
            if previous in TERMINAL:
                self._alert("journal_contradicted", f"journal_contradicted:{swap.id}",
                            f"recorded {previous} but the chain shows it settled in {tx_hash}: {detail}; corrected",
                            ledger=ledger, swap_id=swap.id, tx_hash=tx_hash)  # fmt: skip
        self._on_change(swap)
        return swap

    def _alert(self, kind: str, key: str, detail: str, **where: Any) -> None:
        if self.alerts is None:
            logger.error("alert kind=%s key=%s: %s", kind, key, detail)
            return
        try:
            self.alerts.raise_alert(kind, key, detail, **where)
        except Exception:  # the alert must not undo the step; it is logged at least
            logger.exception("alert could not be recorded kind=%s key=%s: %s", kind, key, detail)


from bridge.engine.worker import Worker  # noqa: E402  (the worker lives in its own module; imported here too for callers)

__all__ = ["BATCH_BASE_GAS", "BATCH_ITEM_GAS", "PROPOSED_SCAN_SECONDS", "Coordinator", "Worker"]

"""Checks banks' instructions and drives each swap, one idempotent step at a time.

:meth:`Coordinator.advance` is the only place that touches the ledgers. Each step records the
state it moves to *before* acting (so a crash right after is resumed from that state), sends the
transaction, journals its hash, and confirms. A resumed step first re-derives the truth from the
chain (is the lock open, was the authorisation or nonce used, did a claim reveal the secret), so
nothing is ever locked, claimed or paid twice.
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

from corridor.chain import PreparedCall
from corridor.errors import ChainError, ChainRejected
from corridor.keys import RELAYER
from corridor.network import Network
from corridor.typed_data import Swap as PvPSwap
from corridor.typed_data import lock_id_of
from oracle.quotes import QuoteService
from bridge.domain.swap import Leg, Model, Swap, SwapState
from bridge.engine.chain import ChainView
from bridge.engine.intake import Intake, Policy, pvp_terms
from bridge.engine.quotes import QuoteDesk
from bridge.errors import Conflict, Forbidden
from bridge.store.swaps import SwapRepository

logger = logging.getLogger(__name__)

# Gas limit of a batch transaction: generous ceilings (a netted settlement, relayed lock or claim
# costs 40-60k per item on SettlementToken), checked by simulating the batch at that limit first.
BATCH_BASE_GAS = 150_000
BATCH_ITEM_GAS = 150_000
PROPOSED_SCAN_SECONDS = 5.0  # how often the worker looks for proposals whose acceptance deadline passed


class Coordinator:
    def __init__(self, network: Network, repo: SwapRepository, *, policy: Policy | None = None,
                 on_change: Callable[[Swap], None] | None = None) -> None:  # fmt: skip
        self.network = network
        self.chain = ChainView(network)
        self.repo = repo
        self.policy = policy or Policy()
        self.relayer = network.keys.account(RELAYER)
        self._on_change = on_change or (lambda swap: None)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.intake = Intake(self.chain, repo, self.policy, self._on_change)
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

    def advance(self, swap_id: str, *, only_from: SwapState | None = None) -> Swap:
        """Takes the next step of ``swap_id`` (no-op when it waits for a party or is finished, or when
        it is no longer in state ``only_from``)."""
        with self._swap_lock(swap_id):
            swap = self.repo.get(swap_id)
            if only_from is not None and swap.state is not only_from:
                return swap
            before = swap.state
            try:
                if swap.model is Model.PVP:
                    self._advance_pvp(swap)
                else:
                    self._advance_htlc(swap)
            except ChainError as exc:
                logger.warning("step failed swap=%s state=%s: %s", swap.id, swap.state, exc)
                for client in self.network.clients.values():
                    client.reset_nonces()
                swap = self.repo.get(swap_id)  # the step may have stopped between its journal entries
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
            with self.repo.together([swap.id for swap in swaps]):
                for swap in swaps:
                    self.repo.transition(swap, SwapState.SETTLING, ledger=ledger, detail=f"batched with {len(swaps) - 1} other swaps")
            call = PreparedCall(pvp.address, self.chain.abi("pvp", "settleBatch").calldata(
                [pvp_terms(s.terms).as_tuple() for s in swaps], [decode_hex(s.signature_a) for s in swaps],
                [decode_hex(s.signature_b or "") for s in swaps]))  # fmt: skip
            tx_hash = self._send_batch(client, call, f"settlement batch of {len(swaps)}", len(swaps))
            if tx_hash is None:
                return set()
            with self.repo.together([swap.id for swap in swaps]):
                for swap in swaps:
                    swap.leg_a.settle_tx = swap.leg_b.settle_tx = tx_hash
                    self.repo.record_tx(swap, ledger=ledger, tx_hash=tx_hash, detail="settleBatch sent")
            receipt = client.wait(tx_hash)
            settled = {"0x" + bytes(e["args"]["swapId"]).hex() for e in pvp.events.SettledInBatch().process_receipt(receipt, errors=_DISCARD)}
            rejected = {"0x" + bytes(e["args"]["swapId"]).hex(): e["args"]["reason"]
                        for e in pvp.events.BatchSwapRejected().process_receipt(receipt, errors=_DISCARD)}  # fmt: skip
            with self.repo.together([swap.id for swap in swaps]):
                for swap in swaps:
                    if swap.id in settled:
                        self.repo.transition(swap, SwapState.SETTLED, ledger=ledger, tx_hash=tx_hash, block=receipt["blockNumber"],
                                             detail="both legs settled, netted within the batch")  # fmt: skip
                    elif swap.id in rejected:
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
                      and now + self.policy.claim_safety < swap.leg_b.expiry):  # fmt: skip
                    legs.append((swap, swap.leg_b, SwapState.LOCKING_B, SwapState.LOCKED_B))
            if len(legs) < 2:
                return set()  # a lone lock takes the ordinary per-swap step
            client, htlc = self.chain.client(ledger), self.chain.contract(ledger, "htlc")
            batch = f"batch of {len(legs)}"
            with self.repo.together([swap.id for swap, *_ in legs]):
                for swap, _, locking, _ in legs:
                    self.repo.transition(swap, locking, ledger=ledger, detail=f"locking in a {batch}")
            requests = [self.chain.request_for(leg, swap) for swap, leg, _, _ in legs]
            call = PreparedCall(htlc.address, self.chain.abi("htlc", "lockForBatch").calldata(
                [r.as_tuple() for r in requests], [self.chain.quote_proof(swap).as_tuple() for swap, *_ in legs],
                [leg.lock_nonce for _, leg, _, _ in legs], [decode_hex(leg.authorisation or "") for _, leg, _, _ in legs]))  # fmt: skip
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
            legs: list[tuple[Swap, Leg, SwapState]] = []
            for swap in swaps:
                if swap.model is not Model.HTLC or not swap.secret:
                    continue
                if swap.state is SwapState.CLAIMING_B and swap.leg_b.ledger == ledger:
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
            terms = [self.chain.request_for(leg, swap).terms for swap, leg, _ in legs]
            call = PreparedCall(htlc.address, self.chain.abi("htlc", "claimBatch").calldata(
                [t.as_tuple() for t in terms], [decode_hex(swap.secret or "") for swap, _, _ in legs]))
            tx_hash = self._send_batch(client, call, f"claim {batch}", len(legs))
            if tx_hash is None:
                return set()
            with self.repo.together([swap.id for swap, *_ in legs]):
                for swap, leg, _ in legs:
                    leg.settle_tx = tx_hash
                    self.repo.record_tx(swap, ledger=ledger, tx_hash=tx_hash, detail=f"claim {leg.currency} sent in a {batch}")
            receipt = client.wait(tx_hash)
            claimed = {bytes(e["args"]["lockId"]) for e in htlc.events.Claimed().process_receipt(receipt, errors=_DISCARD)}
            moved = []
            with self.repo.together([swap.id for swap, *_ in legs]):
                for (swap, leg, done), lock_terms in zip(legs, terms, strict=True):
                    if lock_id_of(lock_terms.sender, lock_terms.hashlock) in claimed:
                        self.repo.transition(swap, done, ledger=ledger, tx_hash=tx_hash, block=receipt["blockNumber"],
                                             detail=f"{leg.currency} {leg.amount} paid to {leg.receiver} ({batch})")  # fmt: skip
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
                self._watched(swap, revealed.get(lock_id), now)
                if swap.state is not before:
                    self._on_change(swap)
            return {swap.id for swap in watched.values()}

    def _advance_pvp(self, swap: Swap) -> None:
        ledger = swap.leg_a.ledger
        client, pvp = self.chain.client(ledger), self.chain.contract(ledger, "pvp")
        terms = pvp_terms(swap.terms)
        now = self.chain.now(ledger)
        if swap.state is SwapState.PROPOSED and now > swap.deadline:
            self.repo.transition(swap, SwapState.EXPIRED, detail="the counterparty did not accept before the deadline")
        elif swap.state is SwapState.ACCEPTED:
            self.repo.transition(swap, SwapState.SETTLING, ledger=ledger)
            self._settle_pvp(swap, client, pvp, terms)
        elif swap.state is SwapState.SETTLING:
            if pvp.functions.nonceUsed(terms.partyA, terms.nonce).call():  # it landed before a crash
                self.repo.transition(swap, SwapState.SETTLED, ledger=ledger, detail="found settled on chain after a restart")
            elif now > swap.deadline:
                self.repo.transition(swap, SwapState.EXPIRED, ledger=ledger, detail="deadline passed unsettled; nothing moved")
            else:
                self._settle_pvp(swap, client, pvp, terms)

    def _settle_pvp(self, swap: Swap, client: Any, pvp: Any, terms: PvPSwap) -> None:
        call = pvp.functions.settle(terms.as_tuple(), decode_hex(swap.signature_a), decode_hex(swap.signature_b or ""))
        try:
            tx_hash = client.send(self.relayer, call)
        except ChainRejected as exc:
            self.repo.transition(swap, SwapState.FAILED, ledger=swap.leg_a.ledger,
                                 detail=f"escrow refused, nothing moved: {exc.error} {exc.args_by_name}")  # fmt: skip
            return
        swap.leg_a.settle_tx = swap.leg_b.settle_tx = tx_hash
        self.repo.record_tx(swap, ledger=swap.leg_a.ledger, tx_hash=tx_hash, detail="settle sent")
        receipt = client.wait(tx_hash)
        self.repo.transition(swap, SwapState.SETTLED, ledger=swap.leg_a.ledger, tx_hash=tx_hash,
                             block=receipt["blockNumber"], detail="both legs settled in one transaction")  # fmt: skip

    def _advance_htlc(self, swap: Swap) -> None:
        state = swap.state
        now_b = self.chain.now(swap.leg_b.ledger)
        now_a = self.chain.now(swap.leg_a.ledger)
        if state is SwapState.PROPOSED and now_a > swap.deadline:
            self.repo.transition(swap, SwapState.EXPIRED, detail="the counterparty did not accept before the deadline")
        elif state is SwapState.ACCEPTED:
            self.repo.transition(swap, SwapState.LOCKING_A, ledger=swap.leg_a.ledger)
            self._lock(swap, swap.leg_a, SwapState.LOCKED_A, fresh=True)
        elif state is SwapState.LOCKING_A:
            self._lock(swap, swap.leg_a, SwapState.LOCKED_A)
        elif state is SwapState.LOCKED_A:
            if now_b + self.policy.claim_safety >= swap.leg_b.expiry:
                self.repo.transition(swap, SwapState.REFUNDING, detail="too late to lock leg B safely")
            else:
                self.repo.transition(swap, SwapState.LOCKING_B, ledger=swap.leg_b.ledger)
                self._lock(swap, swap.leg_b, SwapState.LOCKED_B, fresh=True)
        elif state is SwapState.LOCKING_B:
            self._lock(swap, swap.leg_b, SwapState.LOCKED_B)
        elif state is SwapState.LOCKED_B:
            self._watch_locked(swap, now_b)
        elif state is SwapState.CLAIMING_B:
            self._claim(swap, swap.leg_b, SwapState.CLAIMING_A)
        elif state is SwapState.CLAIMING_A:
            self._claim(swap, swap.leg_a, SwapState.SETTLED)
        elif state is SwapState.REFUNDING:
            self._refund_all(swap, now_a, now_b)

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
            tx_hash = client.send(self.relayer, htlc.functions.lockFor(request.as_tuple(), self.chain.quote_proof(swap).as_tuple(),
                                                                       leg.lock_nonce, decode_hex(leg.authorisation or "")))  # fmt: skip
        except ChainRejected as exc:
            failed = SwapState.FAILED if leg is swap.leg_a else SwapState.REFUNDING
            detail = f"lock refused on {leg.ledger}: {exc.error} {exc.args_by_name}"
            self.repo.transition(swap, failed, ledger=leg.ledger, detail=detail + (
                "; nothing was locked" if failed is SwapState.FAILED else "; leg A will be refunded at its expiry"))  # fmt: skip
            return
        leg.lock_tx = tx_hash
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, detail=f"lock {leg.currency} sent")
        receipt = client.wait(tx_hash)
        leg.lock_block = int(receipt["blockNumber"])
        self.repo.transition(swap, locked, ledger=leg.ledger, tx_hash=tx_hash, block=receipt["blockNumber"],
                             detail=f"{leg.currency} {leg.amount} locked until {leg.expiry}")  # fmt: skip

    def _watch_locked(self, swap: Swap, now_b: int) -> None:
        """Both legs locked: the watchtower picks up a secret revealed on chain, or refunds at expiry."""
        request_b = self.chain.request_for(swap.leg_b, swap)
        claimed = self.chain.claimed_event(swap.leg_b.ledger, request_b.terms, from_block=swap.leg_b.lock_block or 0)
        self._watched(swap, bytes(claimed["args"]["secret"]) if claimed else None, now_b)

    def _watched(self, swap: Swap, revealed: bytes | None, now_b: int) -> None:
        if revealed is not None:
            swap.secret = "0x" + revealed.hex()
            self.repo.transition(swap, SwapState.CLAIMING_B, ledger=swap.leg_b.ledger, detail="secret seen on chain")
        elif now_b >= swap.leg_b.expiry:
            self.repo.transition(swap, SwapState.REFUNDING, detail="the initiator never revealed the secret")

    def _claim(self, swap: Swap, leg: Leg, done: SwapState) -> None:
        client, htlc = self.chain.client(leg.ledger), self.chain.contract(leg.ledger, "htlc")
        terms = self.chain.request_for(leg, swap).terms
        # Leg B unclaimable: nothing was paid, both legs go back. Leg A unclaimable: the initiator
        # already has leg B, so refunding would not be a way out; fail loudly for the operator.
        unclaimable = SwapState.REFUNDING if leg is swap.leg_b else SwapState.FAILED
        if not self.chain.lock_open(leg.ledger, terms):
            claimed = self.chain.claimed_event(leg.ledger, terms, from_block=leg.lock_block or 0)
            if claimed is not None:
                leg.settle_tx = "0x" + bytes(claimed["transactionHash"]).hex()  # the claim that landed, whoever sent it
                self.repo.transition(swap, done, ledger=leg.ledger, tx_hash=leg.settle_tx, detail=f"{leg.currency} leg claimed")
            else:
                self.repo.transition(swap, unclaimable, ledger=leg.ledger, detail=f"{leg.currency} leg was refunded before it was claimed")
            return
        if self.chain.now(leg.ledger) >= leg.expiry:
            self.repo.transition(swap, unclaimable, ledger=leg.ledger, detail=f"{leg.currency} leg expired before its claim")
            return
        tx_hash = client.send(self.relayer, htlc.functions.claim(terms.as_tuple(), decode_hex(swap.secret or "")))
        leg.settle_tx = tx_hash
        self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, detail=f"claim {leg.currency} sent")
        receipt = client.wait(tx_hash)
        self.repo.transition(swap, done, ledger=leg.ledger, tx_hash=tx_hash, block=receipt["blockNumber"],
                             detail=f"{leg.currency} {leg.amount} paid to {leg.receiver}")  # fmt: skip

    def _refund_all(self, swap: Swap, now_a: int, now_b: int) -> None:
        """Refunds each locked leg once its expiry passes; a leg claimed meanwhile is left alone, and if
        the counterparty's leg was claimed (secret public) the initiator's leg is claimed, not refunded."""
        pending = False
        for leg, now in ((swap.leg_b, now_b), (swap.leg_a, now_a)):
            terms = self.chain.request_for(leg, swap).terms
            if leg.lock_nonce is None or not self.chain.authorisation_used(leg.ledger, terms.sender, leg.lock_nonce):
                continue  # never locked
            if not self.chain.lock_open(leg.ledger, terms):
                claimed = self.chain.claimed_event(leg.ledger, terms, from_block=leg.lock_block or 0) if leg is swap.leg_b else None
                if claimed is not None:
                    swap.secret = "0x" + bytes(claimed["args"]["secret"]).hex()
                    self.repo.transition(swap, SwapState.CLAIMING_A, detail="leg B was claimed: claiming leg A for the counterparty")
                    return
                continue  # already refunded
            if now < leg.expiry:
                pending = True
                continue
            client, htlc = self.chain.client(leg.ledger), self.chain.contract(leg.ledger, "htlc")
            tx_hash = client.send(self.relayer, htlc.functions.refund(terms.as_tuple()))
            leg.refund_tx = tx_hash
            self.repo.record_tx(swap, ledger=leg.ledger, tx_hash=tx_hash, detail=f"refund {leg.currency} sent")
            client.wait(tx_hash)
        if not pending:
            self.repo.transition(swap, SwapState.REFUNDED, detail="every locked leg returned to its payer")


class Worker:
    """Advances every active swap on a short poll, and at once when an instruction arrives."""

    def __init__(self, coordinator: Coordinator, *, interval: float = 0.2, batch_threshold: int = 2, max_batch: int = 100) -> None:
        self.coordinator = coordinator
        self.interval = interval
        self.batch_threshold = batch_threshold  # ready same-ledger swaps settled together in one netted transaction
        # swaps per batch transaction: 100 netted PvP settlements or HTLC locks cost some 3-6M gas, a
        # fraction of a block (anvil: 30M); more ready swaps go in several batches
        self.max_batch = max_batch
        self._next_proposed_scan = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._resumed = threading.Event()
        self._resumed.set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bridge-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def pause(self) -> None:
        """Holds the worker after its current pass (operations drills, demos); swaps wait, nothing is lost."""
        self._resumed.clear()
        time.sleep(2 * self.interval + 0.1)  # let a pass in progress finish

    def resume(self) -> None:
        self._resumed.set()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._resumed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_once(self) -> None:
        """One pass: first the steps several swaps share on one ledger, as batches (netted PvP
        settlement, HTLC locks, HTLC claims, the watch for revealed secrets), then every other swap's
        next step on its own. A swap moved by a batch takes its next step in the next pass, so that
        step can be batched too. Each ledger's clock is read once per pass."""
        with self.coordinator.chain.one_clock_per_ledger():
            self._pass()

    def _pass(self) -> None:
        # A proposed swap needs the worker only once its acceptance deadline passes: those are read
        # every few seconds, not every pass (a bank's file of proposals would otherwise be re-read
        # on every wake-up until it is accepted).
        proposed = time.monotonic() >= self._next_proposed_scan
        if proposed:
            self._next_proposed_scan = time.monotonic() + PROPOSED_SCAN_SECONDS
        active = self.coordinator.repo.active(proposed=proposed)
        pvp: dict[str, list[str]] = {}
        locks: dict[str, list[str]] = {}
        claims: dict[str, list[str]] = {}
        watched: dict[str, list[str]] = {}
        for swap in active:
            if swap.model is Model.PVP:
                if swap.state is SwapState.ACCEPTED:
                    pvp.setdefault(swap.leg_a.ledger, []).append(swap.id)
            elif swap.state in (SwapState.ACCEPTED, SwapState.LOCKED_A):
                leg = swap.leg_a if swap.state is SwapState.ACCEPTED else swap.leg_b
                locks.setdefault(leg.ledger, []).append(swap.id)
            elif swap.state in (SwapState.CLAIMING_B, SwapState.CLAIMING_A):
                leg = swap.leg_b if swap.state is SwapState.CLAIMING_B else swap.leg_a
                claims.setdefault(leg.ledger, []).append(swap.id)
            elif swap.state is SwapState.LOCKED_B:
                watched.setdefault(swap.leg_b.ledger, []).append(swap.id)
        batched: set[str] = set()  # swaps a batch just moved; any other swap takes its own step below
        for step, ready in ((self.coordinator.settle_pvp_batch, pvp), (self.coordinator.lock_htlc_batch, locks),
                            (self.coordinator.claim_htlc_batch, claims), (self.coordinator.watch_locked_batch, watched)):  # fmt: skip
            for ledger, swap_ids in ready.items():
                if len(swap_ids) < self.batch_threshold:
                    continue
                for start in range(0, len(swap_ids), self.max_batch):  # each batch well inside a block's gas limit
                    try:
                        batched.update(step(ledger, swap_ids[start:start + self.max_batch]))
                    except Exception:  # the swaps stay active; the per-swap steps take over
                        logger.exception("batch step failed ledger=%s", ledger)
                        self.coordinator.network.clients[ledger].reset_nonces()  # a send may have failed midway
        chain = self.coordinator.chain
        for swap in active:
            if self._stop.is_set():
                return
            if swap.id in batched:
                continue
            if swap.state is SwapState.PROPOSED and chain.now(swap.leg_a.ledger) <= swap.deadline:
                continue  # waiting for the counterparty; nothing to do until its deadline
            try:
                # a swap that moved since the pass began (an instruction, another step) waits for the
                # next pass, where it can join a batch; the worker was woken for it already
                self.coordinator.advance(swap.id, only_from=swap.state)
            except Exception:  # a bad swap must not stop the others; it stays active and is retried
                logger.exception("advance failed swap=%s", swap.id)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._resumed.wait()
            started = time.monotonic()
            self.run_once()
            self._wake.wait(max(0.0, self.interval - (time.monotonic() - started)))
            self._wake.clear()

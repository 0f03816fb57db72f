"""The bridge's view of the ledgers: contracts by ledger and currency, and the on-chain facts the
engine re-derives after a restart (is a lock open, was a nonce used, what did a claim reveal)."""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_utils import decode_hex
from web3.contract import Contract

from corridor.abi import AbiFunction
from corridor.artifacts import SOURCES_DIR
from corridor.chain import LedgerClient
from corridor.network import CONTRACT_ARTIFACTS, Network
from corridor.typed_data import LockRequest, LockTerms, QuoteProof, lock_id_of
from bridge.domain.timing import next_block_time


ACTIVE_CACHE_SECONDS = 2.0


@dataclass
class ChainView:
    network: Network
    _active_until: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)
    _pass: threading.local = field(default_factory=threading.local, repr=False)
    _abis: dict[tuple[str, str], AbiFunction] = field(default_factory=dict, repr=False)

    def client(self, ledger: str) -> LedgerClient:
        return self.network.clients[ledger]

    def contract(self, ledger: str, name: str) -> Contract:
        return self.network.contract(ledger, name)

    def token(self, currency: str) -> Contract:
        return self.network.token(currency)

    def ledger_of(self, currency: str) -> str:
        return self.network.settings.currency_ledger(currency)

    def now(self, ledger: str) -> int:
        """The ledger's latest block time (read once per ledger inside :meth:`one_clock_per_ledger`)."""
        clock: dict[str, int] | None = getattr(self._pass, "clock", None)
        if clock is not None and ledger in clock:
            return clock[ledger]
        timestamp = int(self.client(ledger).w3.eth.get_block("latest")["timestamp"])
        if clock is not None:
            clock[ledger] = timestamp
        return timestamp

    def clock(self, ledger: str, *, fresh: bool = False) -> int:
        """The ledger's time as its next transaction will see it (:meth:`LedgerClient.clock`): what
        the clock rule is checked against. Read once per pass inside :meth:`one_clock_per_ledger`
        unless ``fresh`` (right before the secret moves)."""
        cache: dict[str, int] | None = getattr(self._pass, "clock", None)
        key = f"clock:{ledger}"
        if not fresh and cache is not None and key in cache:
            return cache[key]
        timestamp = self.client(ledger).clock()
        if cache is not None:
            cache[key] = timestamp
        return timestamp

    def next_block_time(self, ledger: str) -> int:
        """When the ledger's next block will be (:func:`bridge.domain.timing.next_block_time`): what a
        quote's validity starts from and what intake judges deadlines and expiries against."""
        client = self.client(ledger)
        return next_block_time(ledger_clock=client.clock(), wall_clock=time.time(), live_pending=client.live_pending)

    def available(self, ledger: str) -> bool:
        """Whether ``ledger`` is worth calling now (its circuit breaker is closed, or a trial is due)."""
        breaker = self.client(ledger).breaker
        return breaker is None or breaker.available

    @contextmanager
    def one_clock_per_ledger(self) -> Iterator[None]:
        """Within this context, in this thread (one worker pass), each ledger's time is read once. A
        time read at the start of the pass is at most one pass old: an expiry is then acted on one
        pass later, and a claim sent too late is refused by the escrow itself (claims also keep a
        safety margin before expiry)."""
        self._pass.clock = {}
        try:
            yield
        finally:
            self._pass.clock = None

    def abi(self, contract: str, function: str) -> AbiFunction:
        """``function`` of ``contract`` ("oracle", "pvp", "htlc", "registry", "token") for direct encoding."""
        key = (contract, function)
        if key not in self._abis:
            artifact = {"token": "SettlementToken", **CONTRACT_ARTIFACTS}[contract]
            self._abis[key] = AbiFunction.of(self.network.build[artifact].abi, function)
        return self._abis[key]

    def is_active(self, ledger: str, address: str) -> bool:
        """Whether the registry on ``ledger`` lists ``address`` as active. A "yes" is remembered for
        :data:`ACTIVE_CACHE_SECONDS` (a "no" never is): a suspension reaches the API that much later at
        worst, while the tokens and escrows consult the registry themselves before any money moves."""
        if self.known_active(ledger, address):
            return True
        active = bool(self.contract(ledger, "registry").functions.isActiveParticipant(address).call())
        if active:
            self.remember_active(ledger, address)
        else:
            self._active_until.pop((ledger, address.lower()), None)
        return active

    def known_active(self, ledger: str, address: str) -> bool:
        """True while a recent "yes" from the registry is remembered (see :meth:`is_active`)."""
        return self._active_until.get((ledger, address.lower()), 0.0) > time.monotonic()

    def remember_active(self, ledger: str, address: str) -> None:
        self._active_until[(ledger, address.lower())] = time.monotonic() + ACTIVE_CACHE_SECONDS

    def settlement_rate(self, ledger: str, base: str, quote: str) -> tuple[int, int]:
        """(mid 1e18, round) from the oracle on ``ledger``; raises ChainRejected when halted or stale."""
        oracle = self.contract(ledger, "oracle")
        mid, round_ref = self.client(ledger).call(oracle.functions.settlementRate(base.encode(), quote.encode()))
        return int(mid), int(round_ref)

    # ─── HTLC facts ──────────────────────────────────────────────────────────────────────

    def lock_open(self, ledger: str, terms: LockTerms) -> bool:
        return bool(self.contract(ledger, "htlc").functions.isOpen(lock_id_of(terms.sender, terms.hashlock)).call())

    def authorisation_used(self, ledger: str, sender: str, nonce: int) -> bool:
        return bool(self.contract(ledger, "htlc").functions.authorisationUsed(sender, nonce).call())

    def claimed_event(self, ledger: str, terms: LockTerms, from_block: int = 0) -> dict[str, Any] | None:
        """The ``Claimed`` event of this lock (it carries the preimage), if it was claimed on chain."""
        logs = self.contract(ledger, "htlc").events.Claimed().get_logs(
            from_block=from_block, argument_filters={"lockId": lock_id_of(terms.sender, terms.hashlock)})
        return dict(logs[-1]) if logs else None

    def revealed_secrets(self, ledger: str, lock_ids: list[bytes], from_block: int = 0) -> dict[bytes, bytes]:
        """The preimages revealed for any of ``lock_ids``: by a ``Claimed`` event, or by a ``ClaimHeld`` (a claim
        the token policy held: its preimage is public all the same)."""
        htlc = self.contract(ledger, "htlc")
        revealed: dict[bytes, bytes] = {}
        for event in (htlc.events.Claimed, htlc.events.ClaimHeld):
            for log in event().get_logs(from_block=from_block, argument_filters={"lockId": lock_ids}):
                revealed[bytes(log["args"]["lockId"])] = bytes(log["args"]["secret"])
        return revealed

    def claim_pending(self, ledger: str, terms: LockTerms) -> bool:
        """Whether a claim of this lock is pending: made during a hold, the funds are the receiver's, the
        refund is closed, and the next claim after the hold lifts pays them."""
        return bool(self.contract(ledger, "htlc").functions.isClaimPending(lock_id_of(terms.sender, terms.hashlock)).call())

    def htlc_events(self, ledger: str, lock_id: bytes, *, from_block: int = 0) -> dict[str, dict[str, Any]]:
        """The ``Claimed``, ``ClaimHeld`` and ``Refunded`` events of one lock (each at most once), by name."""
        htlc = self.contract(ledger, "htlc")
        found: dict[str, dict[str, Any]] = {}
        for name in ("Claimed", "ClaimHeld", "Refunded"):
            logs = getattr(htlc.events, name)().get_logs(from_block=from_block, argument_filters={"lockId": lock_id})
            if logs:
                found[name] = dict(logs[-1])
        return found

    # ─── PvP facts ───────────────────────────────────────────────────────────────────────

    def pvp_settlement(self, ledger: str, swap_id: str) -> tuple[str, int] | None:
        """(tx hash, block) of the transaction that settled PvP swap ``swap_id`` on ``ledger``, whoever
        sent it (``settle`` or ``settleBatch``); None when it never settled there."""
        pvp = self.contract(ledger, "pvp")
        raw = bytes.fromhex(swap_id[2:])
        for event in (pvp.events.Settled(), pvp.events.SettledInBatch()):
            logs = event.get_logs(from_block=0, argument_filters={"swapId": raw})
            if logs:
                return "0x" + bytes(logs[-1]["transactionHash"]).hex(), int(logs[-1]["blockNumber"])
        return None

    def request_for(self, leg: Any, swap: Any) -> LockRequest:
        """The LockRequest a leg's payer authorised."""
        hashlock = bytes.fromhex(swap.hashlock[2:])
        terms = LockTerms(self.token(leg.currency).address, _address(swap, leg.payer), _address(swap, leg.receiver),
                          leg.amount, hashlock, leg.expiry)  # fmt: skip
        return LockRequest(terms, bytes.fromhex(swap.id[2:]), bytes.fromhex(swap.quote_hash[2:]), swap.quote_valid_until)

    @staticmethod
    def quote_proof(swap: Any) -> QuoteProof:
        """The swap's quote as the escrow checks it on chain: the quote's terms hash, its validity and the
        service's signature (recorded with the swap when the intake found the quote it cites); the escrow
        recomputes the quote hash from them."""
        return QuoteProof(decode_hex(swap.quote_terms_hash or "0x" + "00" * 32), swap.quote_valid_until,
                          decode_hex(swap.quote_signature or "0x"))  # fmt: skip


def _address(swap: Any, participant: str) -> str:
    return swap.initiator_address if participant == swap.initiator else swap.counterparty_address


@functools.cache
def pvp_rejections() -> tuple[str, ...]:
    """The names of ``IPvPEscrow.Rejection``, read from the interface's source (an ABI carries enums
    as bare uint8): what ``BatchSwapRejected(…, reason)`` means."""
    source = (SOURCES_DIR / "interfaces" / "IPvPEscrow.sol").read_text()
    found = re.search(r"enum\s+Rejection\s*\{([^}]*)\}", source)
    return tuple(name.strip() for name in found.group(1).split(",") if name.strip()) if found else ()


def pvp_rejection(reason: int) -> str:
    """``IPvPEscrow.Rejection`` ``reason`` by name (``RateOutsideTolerance``), or its number when unknown."""
    names = pvp_rejections()
    return names[reason] if 0 <= reason < len(names) else f"Rejection({reason})"

"""The escape hatch: a bank finishes or refunds its HTLC legs directly on the ledgers with its own key,
with no bridge running. Everything it needs is what its SDK kept (:mod:`bridge.sdk.store`: the orders
and acceptances it signed, the initiator's secret, the network description) and the chains.

- :func:`claim` / :func:`refund`: one leg. Claiming leg B publishes the secret, so it obeys the clock
  rule (:mod:`bridge.domain.timing`) like every other path: refused unless leg A keeps the safety
  margin on ledger A's own clock.
- :func:`revealed_secret`: the secret of a swap, read from the ``Claimed`` event on whichever
  ledger it was published (the counterparty's way to learn it).
- :func:`recover`: every swap in a bank's store, each taken as far as the chains allow now — leg B
  claimed with the initiator's secret (clock rule permitting), leg A claimed with the secret read
  from ledger B, each expired leg refunded — and what is left to wait for.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from bridge.domain.orders import SwapOrder
from bridge.domain.timing import reveal_check
from bridge.sdk.signer import NetworkInfo
from bridge.sdk.store import OrderStore
from corridor.artifacts import build
from corridor.chain import ErrorDecoder, LedgerClient
from corridor.errors import ChainRejected, CorridorError
from corridor.typed_data import LockTerms, lock_id_of

logger = logging.getLogger(__name__)


class EscapeRefused(CorridorError):
    """The escape hatch refuses an action that could cost a party its principal (names why)."""


def leg_terms(order: SwapOrder, network: NetworkInfo, leg: str) -> tuple[str, LockTerms]:
    """(ledger, terms) of leg "a" (the initiator's) or "b" (the counterparty's)."""
    if leg == "a":
        ledger = network.ledger_of(order.sellCurrency)
        return ledger.name, LockTerms(network.token(order.sellCurrency), order.initiator, order.counterparty,
                                      order.sellAmount, order.hashlock, order.initiatorExpiry)  # fmt: skip
    if leg == "b":
        ledger = network.ledger_of(order.buyCurrency)
        return ledger.name, LockTerms(network.token(order.buyCurrency), order.counterparty, order.initiator,
                                      order.buyAmount, order.hashlock, order.counterpartyExpiry)  # fmt: skip
    raise ValueError("leg must be 'a' or 'b'")


class _Ledgers:
    """A client and the HTLC escrow of each ledger, connected once."""

    def __init__(self, network: NetworkInfo) -> None:
        self.network = network
        self._artifacts = build()
        self._decoder = ErrorDecoder(self._artifacts.all_abis())
        self._open: dict[str, tuple[LedgerClient, Any]] = {}

    def htlc(self, ledger: str) -> tuple[LedgerClient, Any]:
        if ledger not in self._open:
            info = self.network.ledgers[ledger]
            client = LedgerClient.connect(ledger, info.rpc_url, decoder=self._decoder, chain_id=info.chain_id)
            self._open[ledger] = client, client.contract(self._artifacts["HashedTimelockEscrow"], info.htlc)
        return self._open[ledger]


def _htlc(network: NetworkInfo, ledger: str) -> tuple[LedgerClient, Any]:
    return _Ledgers(network).htlc(ledger)


def check_clock_rule(order: SwapOrder, network: NetworkInfo, ledgers: _Ledgers | None = None) -> None:
    """Raises :class:`EscapeRefused` unless the secret may move now: leg A keeps the safety margin on
    ledger A's clock and leg B can still be claimed on ledger B's (read from both ledgers now)."""
    ledgers = ledgers or _Ledgers(network)
    name_a, _ = leg_terms(order, network, "a")
    name_b, _ = leg_terms(order, network, "b")
    check = reveal_check(expiry_a=order.initiatorExpiry, clock_a=ledgers.htlc(name_a)[0].clock(), expiry_b=order.counterpartyExpiry,
                         clock_b=ledgers.htlc(name_b)[0].clock(), margin=network.safety_margin, claim_safety=network.claim_safety)  # fmt: skip
    if not check.allowed:
        raise EscapeRefused(f"not claiming leg B (it would publish the secret): {check.reason}")


def refund(account: LocalAccount, order: SwapOrder, network: NetworkInfo, leg: str) -> str:
    """Refunds ``leg`` to its sender (allowed from its expiry on); returns the tx hash."""
    ledger, terms = leg_terms(order, network, leg)
    client, htlc = _htlc(network, ledger)
    receipt = client.transact(account, htlc.functions.refund(terms.as_tuple()))
    return Web3.to_hex(receipt["transactionHash"])


def claim(account: LocalAccount, order: SwapOrder, network: NetworkInfo, leg: str, secret: bytes) -> str:
    """Claims ``leg`` for its receiver with the preimage (before its expiry, or any time once a claim is
    pending); returns the tx hash. Leg B only under the clock rule (:func:`check_clock_rule`): claiming it
    publishes the secret (unless a held claim already did). A claim the token policy holds (a party
    frozen or suspended, a currency paused) is recorded pending on chain and paid by a later claim."""
    ledgers = _Ledgers(network)
    ledger, terms = leg_terms(order, network, leg)
    client, htlc = ledgers.htlc(ledger)
    if leg == "b" and not htlc.functions.isClaimPending(lock_id_of(terms.sender, terms.hashlock)).call():
        check_clock_rule(order, network, ledgers)
    receipt = client.transact(account, htlc.functions.claim(terms.claim_tuple(), secret))
    return Web3.to_hex(receipt["transactionHash"])


@dataclass(frozen=True)
class Revealed:
    secret: bytes
    ledger: str
    tx_hash: str


def revealed_secret(network: NetworkInfo, swap_id: str, ledgers: _Ledgers | None = None) -> Revealed | None:
    """The secret of swap ``swap_id`` if a claim published it on any ledger: its locks are found by
    their ``Locked`` events (indexed by swap id), then their ``Claimed`` events."""
    ledgers = ledgers or _Ledgers(network)
    raw = bytes.fromhex(swap_id.removeprefix("0x"))
    for name in network.ledgers:
        _, htlc = ledgers.htlc(name)
        for locked in htlc.events.Locked().get_logs(from_block=0, argument_filters={"swapId": raw}):
            lock_id = lock_id_of(locked["args"]["sender"], bytes(locked["args"]["hashlock"]))
            claims = [log for event in (htlc.events.Claimed, htlc.events.ClaimHeld)  # a held claim reveals it too
                      for log in event().get_logs(from_block=int(locked["blockNumber"]), argument_filters={"lockId": lock_id})]
            if claims:
                return Revealed(bytes(claims[-1]["args"]["secret"]), name, Web3.to_hex(claims[-1]["transactionHash"]))
    return None


# ─── recovery of every swap in a bank's store ────────────────────────────────────────────


@dataclass
class LegState:
    ledger: str
    status: str  # "open", "held" (a claim pending on chain), "claimed", "refunded" or "unlocked" (never locked, or not yet)
    expiry: int
    clock: int
    secret: bytes | None = None  # the preimage a claim of this leg published

    @property
    def expired(self) -> bool:
        return self.clock >= self.expiry


@dataclass
class Recovery:
    """What :func:`recover` did for one swap, and where it stands."""

    swap_id: str
    role: str
    model: str
    actions: list[str] = field(default_factory=list)  # "claimed leg B: 0x…"
    outcome: str = "waiting"  # "settled", "refunded", "nothing locked", "failed" (one-legged) or "waiting"
    detail: str = ""

    @property
    def final(self) -> bool:
        return self.outcome != "waiting"


def _leg_state(ledgers: _Ledgers, network: NetworkInfo, order: SwapOrder, leg: str) -> LegState:
    name, terms = leg_terms(order, network, leg)
    client, htlc = ledgers.htlc(name)
    lock_id = lock_id_of(terms.sender, terms.hashlock)
    clock = client.clock()
    if htlc.functions.isClaimPending(lock_id).call():
        held = htlc.events.ClaimHeld().get_logs(from_block=0, argument_filters={"lockId": lock_id})
        return LegState(name, "held", terms.expiry, clock, bytes(held[-1]["args"]["secret"]) if held else None)
    if htlc.functions.isOpen(lock_id).call():
        return LegState(name, "open", terms.expiry, clock)
    claims = htlc.events.Claimed().get_logs(from_block=0, argument_filters={"lockId": lock_id})
    if claims:
        return LegState(name, "claimed", terms.expiry, clock, bytes(claims[-1]["args"]["secret"]))
    if htlc.events.Refunded().get_logs(from_block=0, argument_filters={"lockId": lock_id}):
        return LegState(name, "refunded", terms.expiry, clock)
    return LegState(name, "unlocked", terms.expiry, clock)


def recover(account: LocalAccount, store: OrderStore, network: NetworkInfo) -> list[Recovery]:
    """Takes every linked-ledger swap of the bank's store as far as the chains allow now, with the
    bank's own key and no bridge; each swap's :class:`Recovery` says what was done and what is left
    (a leg not yet expired cannot be refunded yet: run again after its expiry)."""
    ledgers = _Ledgers(network)
    done = []
    for record in store.all():
        if record.get("model") != "htlc":
            continue
        if record.get("recovered") in ("settled", "refunded", "nothing locked", "failed"):  # final at an earlier run
            done.append(Recovery(record["swap_id"], record.get("role", "?"), "htlc", outcome=record["recovered"],
                                 detail="final at an earlier run"))  # fmt: skip
            continue
        try:
            result = _recover_one(account, ledgers, network, record)
        except CorridorError as exc:  # one swap's ledger down: the others still go on
            result = Recovery(record["swap_id"], record.get("role", "?"), "htlc", outcome="waiting", detail=str(exc))
        store.update(record["swap_id"], recovered=result.outcome, recovered_at=int(time.time()), recovery=result.actions)
        done.append(result)
    return done


def _recover_one(account: LocalAccount, ledgers: _Ledgers, network: NetworkInfo, record: dict[str, Any]) -> Recovery:
    order = SwapOrder.from_json(record["order"])
    result = Recovery(record["swap_id"], record["role"], "htlc")
    a, b = _leg_state(ledgers, network, order, "a"), _leg_state(ledgers, network, order, "b")
    secret = bytes.fromhex(record["secret"][2:]) if record.get("secret") else b.secret or a.secret
    # A held leg (claimed during a supervisory hold) is its receiver's: claimed again, it pays once the
    # hold lifts; it is never refunded.
    for name in ("b", "a"):
        leg_state = b if name == "b" else a
        if leg_state.status == "held":
            try:
                tx = claim(account, order, network, name, leg_state.secret or secret or b"")
                result.actions.append(f"claimed held leg {name.upper()} on ledger {leg_state.ledger}: {tx}")
                leg_state = LegState(leg_state.ledger, "claimed", leg_state.expiry, leg_state.clock, leg_state.secret)
            except (ChainRejected, EscapeRefused):
                pass  # the hold is still in force
            a, b = (a, leg_state) if name == "b" else (leg_state, b)
    # Leg B first: claiming it (the initiator, with its secret) is what completes a swap, and only
    # while leg A keeps the margin; past its expiry it goes back to the counterparty.
    if b.status == "open":
        if secret is not None and not b.expired and a.status == "open":
            try:
                tx = claim(account, order, network, "b", secret)
                result.actions.append(f"claimed leg B on ledger {b.ledger}: {tx}")
                b = LegState(b.ledger, "claimed", b.expiry, b.clock, secret)
            except EscapeRefused as exc:
                result.detail = str(exc)
        if b.status == "open" and b.expired:
            result.actions.append(f"refunded leg B on ledger {b.ledger}: {refund(account, order, network, 'b')}")
            b = LegState(b.ledger, "refunded", b.expiry, b.clock)
    # Leg A: claimed for the counterparty once leg B is claimed (the secret is public), refunded to
    # the initiator past its expiry. Never claimed while leg B is not: that would pay the
    # counterparty for nothing.
    if a.status == "open":
        if b.status in ("claimed", "held") and not a.expired:
            tx = claim(account, order, network, "a", b.secret or secret or b"")
            result.actions.append(f"claimed leg A on ledger {a.ledger}: {tx}")
            a = LegState(a.ledger, "claimed", a.expiry, a.clock)
        elif a.expired:
            result.actions.append(f"refunded leg A on ledger {a.ledger}: {refund(account, order, network, 'a')}")
            a = LegState(a.ledger, "refunded", a.expiry, a.clock)
    result.outcome, detail = _outcome(a, b)
    result.detail = "; ".join(part for part in (detail, result.detail) if part)
    return result


def _outcome(a: LegState, b: LegState) -> tuple[str, str]:
    if a.status == b.status == "claimed":
        return "settled", "both legs claimed"
    waits = [f"leg {name} open on ledger {leg.ledger} until {leg.expiry} (its clock: {leg.clock})"
             for name, leg in (("A", a), ("B", b)) if leg.status == "open"]  # fmt: skip
    waits += [f"leg {name}'s claim is held on ledger {leg.ledger} (a party frozen or suspended, or the currency paused): "
              "it is paid when the hold lifts" for name, leg in (("A", a), ("B", b)) if leg.status == "held"]  # fmt: skip
    if a.status == "unlocked" and not a.expired:
        waits.append(f"leg A not locked, but its authorisation could still be relayed until {a.expiry} (its clock: {a.clock})")
    if waits:
        return "waiting", "; ".join(waits) + "; run again later"
    if "claimed" in (a.status, b.status):
        return "failed", f"leg A {a.status}, leg B {b.status}: one leg claimed, the other returned"
    if a.status == b.status == "unlocked":
        return "nothing locked", "neither leg was locked"
    return "refunded", "every locked leg is back with its payer"

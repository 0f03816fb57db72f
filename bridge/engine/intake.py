"""Checks banks' instructions (orders, acceptances, secrets) and records them; touches no money.

Instructions arrive one at a time or as a file of many (the bulk routes). Either way a set is
checked against one snapshot of the ledgers (:class:`LedgerFacts`: one JSON-RPC batch per ledger)
and stored in one database transaction: all of it, or none. A refusal names the field at fault,
prefixed with the instruction's place in the file (``swaps.3.terms.amountA``) when there are many.

Funding is checked cumulatively: a file of orders from one payer must fit its balance and its
allowance to the escrow *together*, not each order on its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_utils import decode_hex

from corridor.errors import ChainRejected
from corridor.typed_data import Swap as PvPSwap
from corridor.typed_data import RATE_ONE, amount_at, digest, swap_message
from bridge.domain.orders import SwapOrder, lock_message, lock_request, order_id, order_message, signed_by
from bridge.domain.swap import Leg, Model, Swap, SwapState
from bridge.domain.timing import reveal_check
from bridge.engine.chain import ChainView
from bridge.engine.facts import LedgerFacts
from bridge.errors import BridgeError, Conflict, Forbidden, InvalidInstruction, NotFound, SignatureInvalid
from bridge.store.swaps import IssuedQuote, SwapRepository
from supervision.units import major_text, round_label
from supervision.units import rate as rate_text

logger = logging.getLogger(__name__)

Prefix = Callable[[int], str]


def single(_: int) -> str:
    """Field names of a lone instruction: as sent, without a position."""
    return ""


def listed(name: str) -> Prefix:
    """Field names of the instructions of a bulk request's list ``name``: ``name.<index>.<field>``."""
    return lambda index: f"{name}.{index}."


@contextmanager
def fields_under(prefix: str) -> Iterator[None]:
    """Re-raises a refusal with its field placed under ``prefix`` (the instruction's position)."""
    try:
        yield
    except BridgeError as exc:
        if not prefix:
            raise
        raise type(exc)(exc.detail, field=prefix + exc.field if exc.field else prefix.rstrip("."), rule=exc.rule,
                        swap_id=exc.swap_id) from exc


@contextmanager
def naming(swap_id: str) -> Iterator[None]:
    """A refusal raised inside names ``swap_id`` (the supervisor links refusals to the swaps they refused)."""
    try:
        yield
    except BridgeError as exc:
        if exc.swap_id is None:
            exc.swap_id = swap_id
        raise


@dataclass(frozen=True)
class Policy:
    """Limits the bridge enforces before anything touches a ledger."""

    max_amount: int = 10**15  # minor units per leg
    expiry_margin: int = 600  # the initiator's lock outlives the counterparty's by at least this
    min_counterparty_window: int = 120  # seconds the counterparty lock must run at least
    claim_safety: int = 60  # do not start a claim this close to the lock's expiry


@dataclass
class _Order:
    """An order parsed and checked on its own; what is left is checked against the ledgers."""

    swap: Swap
    rate_ledger: str
    base: str
    quote: str
    payer_escrow: str
    check_signatures: Callable[[], None]
    nonce_used: Callable[[LedgerFacts], bool]
    nonce_field: str
    parties: tuple[tuple[str, str], ...]  # (participant, the field naming it): each must be active
    order: SwapOrder | None = None  # a linked-ledger order's terms, parsed once


class Intake:
    """Checks and records instructions; the coordinator's worker then drives each recorded swap."""

    def __init__(self, chain: ChainView, repo: SwapRepository, policy: Policy, on_change: Callable[[Swap], None]) -> None:
        self.quote_spread_bps = chain.network.settings.oracle.quote_spread_bps
        self.chain = chain
        self.network = chain.network
        self.repo = repo
        self.policy = policy
        self._on_change = on_change

    # ─── orders ──────────────────────────────────────────────────────────────────────────

    def submit(self, participant: str, instructions: list[dict[str, Any]], prefix: Prefix = single) -> list[Swap]:
        """Orders of ``participant`` (PvP ``{"model": "pvp", "ledger", "terms", "signature"}`` or linked-ledger
        ``{"model": "htlc", "order", "signature", "lock_signature", "lock_nonce"}``), stored all or none."""
        facts = LedgerFacts(self.chain)
        orders = []
        for index, instruction in enumerate(instructions):
            with fields_under(prefix(index)):
                parse = self._parse_pvp if instruction.get("model") == "pvp" else self._parse_htlc
                orders.append(parse(participant, instruction, facts))
        facts.load()
        committed: Counter[tuple[str, str, str]] = Counter()
        for index, order in enumerate(orders):
            with fields_under(prefix(index)), naming(order.swap.id):
                self._check_against_ledgers(order, facts, committed)
        # each ledger's own clock when the order was recorded: where its time to final (ledger time) starts
        clocks = {ledger: self.chain.clock(ledger) for ledger in sorted({l for o in orders for l in (o.swap.leg_a.ledger, o.swap.leg_b.ledger)})}
        for order in orders:
            order.swap.received_at = {ledger: clocks[ledger] for ledger in sorted({order.swap.leg_a.ledger, order.swap.leg_b.ledger})}
        swaps = self.repo.create_many([order.swap for order in orders], field=lambda i: prefix(i).rstrip(".") or "order")
        for swap in swaps:
            logger.info("swap proposed swap=%s model=%s %s->%s", swap.id, swap.model, swap.initiator, swap.counterparty)
        self._changed(swaps)
        return swaps

    def _parse_pvp(self, participant: str, instruction: dict[str, Any], facts: LedgerFacts) -> _Order:
        ledger, terms, signature = instruction["ledger"], instruction["terms"], instruction["signature"]
        swap_terms = pvp_terms(terms)
        code_a, code_b = self._pvp_currencies(ledger, swap_terms)
        counterparty = self._named(swap_terms.partyB, field="terms.partyB")
        self._check_initiator(participant, swap_terms.partyA, field="terms.partyA")
        self._check_not_self(participant, counterparty, field="terms.partyB")
        self._check_amounts(swap_terms.amountA, swap_terms.amountB, code_a, code_b, swap_terms.rate, prefix="terms.",
                            names=("amountA", "amountB"))  # fmt: skip
        pvp = self.chain.contract(ledger, "pvp")
        message = swap_message(self.chain.client(ledger).chain_id, pvp.address, swap_terms)
        swap = Swap(
            id="0x" + digest(message).hex(),  # PvPEscrow.swapId: the EIP-712 digest both parties sign
            model=Model.PVP, state=SwapState.PROPOSED, initiator=participant, counterparty=counterparty,
            initiator_address=swap_terms.partyA, counterparty_address=swap_terms.partyB,
            leg_a=Leg(code_a, ledger, swap_terms.amountA, participant, counterparty),
            leg_b=Leg(code_b, ledger, swap_terms.amountB, counterparty, participant),
            rate=swap_terms.rate, max_deviation_bps=swap_terms.maxDeviationBps, deadline=swap_terms.deadline,
            nonce=swap_terms.nonce, terms=_jsonable(terms), signature_a=signature,
        )  # fmt: skip

        def check_signatures() -> None:
            if not signed_by(message, signature, swap_terms.partyA):
                raise SignatureInvalid("the signature does not recover to partyA for these terms", field="signature")

        order = _Order(swap, ledger, code_a, code_b, "pvp", check_signatures,
                       lambda f: f.pvp_nonce_used(ledger, swap_terms.partyA, swap_terms.nonce), "terms.nonce",
                       ((participant, "terms.partyA"), (counterparty, "terms.partyB")))  # fmt: skip
        self._declare(order, facts)
        facts.want_pvp_nonce(ledger, swap_terms.partyA, swap_terms.nonce)
        return order

    def _parse_htlc(self, participant: str, instruction: dict[str, Any], facts: LedgerFacts) -> _Order:
        order_terms = _order(instruction["order"])
        signature, lock_signature, lock_nonce = instruction["signature"], instruction["lock_signature"], int(instruction["lock_nonce"])
        ledger_a = self._ledger(order_terms.sellCurrency, "order.sellCurrency")
        ledger_b = self._ledger(order_terms.buyCurrency, "order.buyCurrency")
        if ledger_a == ledger_b:
            raise InvalidInstruction("both currencies live on one ledger: submit a same-ledger (PvP) swap", field="order.buyCurrency")
        counterparty = self._named(order_terms.counterparty, field="order.counterparty")
        self._check_initiator(participant, order_terms.initiator, field="order.initiator")
        self._check_not_self(participant, counterparty, field="order.counterparty")
        self._check_amounts(order_terms.sellAmount, order_terms.buyAmount, order_terms.sellCurrency, order_terms.buyCurrency,
                            order_terms.rate, prefix="order.", names=("sellAmount", "buyAmount"))  # fmt: skip
        if order_terms.hashlock == b"\0" * 32:
            raise InvalidInstruction("the hashlock is empty", field="order.hashlock")
        chain_a = self.chain.client(ledger_a).chain_id
        swap_id = order_id(chain_a, order_terms)
        swap = Swap(
            id=swap_id, model=Model.HTLC, state=SwapState.PROPOSED, initiator=participant, counterparty=counterparty,
            initiator_address=order_terms.initiator, counterparty_address=order_terms.counterparty,
            leg_a=Leg(order_terms.sellCurrency, ledger_a, order_terms.sellAmount, participant, counterparty,
                      order_terms.initiatorExpiry, lock_nonce, lock_signature),
            leg_b=Leg(order_terms.buyCurrency, ledger_b, order_terms.buyAmount, counterparty, participant, order_terms.counterpartyExpiry),
            rate=order_terms.rate, max_deviation_bps=order_terms.maxDeviationBps, deadline=order_terms.deadline,
            nonce=order_terms.nonce, terms=order_terms.to_json(), signature_a=signature, hashlock="0x" + order_terms.hashlock.hex(),
            quote_hash="0x" + order_terms.quoteHash.hex(), quote_valid_until=order_terms.quoteValidUntil,
        )  # fmt: skip
        self._bind_quote(swap, participant, order_terms)

        def check_signatures() -> None:
            if not signed_by(order_message(chain_a, order_terms), signature, order_terms.initiator):
                raise SignatureInvalid("the order signature does not recover to the initiator", field="signature")
            htlc_a = self.chain.contract(ledger_a, "htlc")
            request = lock_request(order_terms, leg="a", token=self.chain.token(order_terms.sellCurrency).address, swap_id=swap_id)
            if not signed_by(lock_message(chain_a, htlc_a.address, request, lock_nonce), lock_signature, order_terms.initiator):
                raise SignatureInvalid("the lock authorisation does not recover to the initiator for leg A", field="lock_signature")

        order = _Order(swap, ledger_a, order_terms.sellCurrency, order_terms.buyCurrency, "htlc", check_signatures,
                       lambda f: f.lock_nonce_used(ledger_a, order_terms.initiator, lock_nonce), "lock_nonce",
                       ((participant, "order.initiator"), (counterparty, "order.counterparty")), order_terms)  # fmt: skip
        self._declare(order, facts)
        facts.want_lock_nonce(ledger_a, order_terms.initiator, lock_nonce)
        return order

    def _bind_quote(self, swap: Swap, participant: str, order: SwapOrder) -> None:
        """The order must cite a quote the bridge issued to the initiator, for this pair, with the validity
        it was issued with: its proof (terms hash and signature) goes with every lock, and the escrow
        refuses any other (HashedTimelockEscrow verifies the quote signer on chain)."""
        issued = self.repo.quote("0x" + order.quoteHash.hex(), participant)
        if issued is None:
            raise InvalidInstruction("the order cites no quote the bridge issued to you (POST /v1/quotes)", field="order.quoteHash")
        if {issued.base, issued.quote} != {order.sellCurrency, order.buyCurrency}:
            raise InvalidInstruction(f"the quote prices {issued.base}/{issued.quote}, not this pair", field="order.quoteHash")
        if issued.valid_until != order.quoteValidUntil:
            raise InvalidInstruction(f"the quote is valid until {issued.valid_until}, not {order.quoteValidUntil}",
                                     field="order.quoteValidUntil")  # fmt: skip
        check_quote_fits(issued, order, spread_bps=self.quote_spread_bps)
        swap.quote_terms_hash, swap.quote_signature = issued.terms_hash, issued.signature

    def _declare(self, order: _Order, facts: LedgerFacts) -> None:
        swap = order.swap
        for name, _ in order.parties:
            for ledger in {swap.leg_a.ledger, swap.leg_b.ledger}:
                facts.want_active(ledger, self.network.keys.address(name))
        facts.want_rate(order.rate_ledger, order.base, order.quote)
        facts.want_funding(swap.leg_a.currency, swap.initiator_address, swap.counterparty_address, order.payer_escrow)

    def _check_against_ledgers(self, order: _Order, facts: LedgerFacts, committed: Counter[tuple[str, str, str]]) -> None:
        swap = order.swap
        for name, field in order.parties:
            for ledger in sorted({swap.leg_a.ledger, swap.leg_b.ledger}):
                if not facts.active(ledger, self.network.keys.address(name)):
                    raise Forbidden(f"{name} is not an active participant on ledger {ledger}", field=field)
        now = facts.now(swap.leg_a.ledger)
        if order.order is None:
            if swap.deadline <= now:
                raise InvalidInstruction(f"deadline {swap.deadline} is not after the ledger's time {now}", field="terms.deadline")
        else:
            self._check_expiries(order.order, now)
        rate_field = "terms.rate" if swap.model is Model.PVP else "order.rate"
        swap.oracle_mid, swap.oracle_round = self._check_rate(facts, order.rate_ledger, order.base, order.quote, swap.rate,
                                                              swap.max_deviation_bps, field=rate_field)  # fmt: skip
        amount_field = "terms.amountA" if swap.model is Model.PVP else "order.sellAmount"
        self._check_funding(facts, committed, swap.initiator_address, swap.counterparty_address, swap.leg_a.currency,
                            swap.leg_a.amount, order.payer_escrow, field=amount_field)  # fmt: skip
        order.check_signatures()
        if order.nonce_used(facts):
            raise Conflict("this nonce was already used", field=order.nonce_field)

    # ─── acceptances and secrets ─────────────────────────────────────────────────────────

    def accept(self, participant: str, acceptances: list[dict[str, Any]], prefix: Prefix = single) -> list[Swap]:
        """The counterparty's acceptances ``{"id", "signature", "lock_signature"?, "lock_nonce"?}``, all or none."""
        swaps = self._swaps(acceptances, prefix)
        facts = LedgerFacts(self.chain)
        for index, (swap, acceptance) in enumerate(zip(swaps, acceptances, strict=True)):
            with fields_under(prefix(index)), naming(swap.id):
                if participant != swap.counterparty:
                    raise Forbidden("only the counterparty can accept", field="participant")
                if swap.state is not SwapState.PROPOSED:
                    raise Conflict(f"swap is {swap.state}, only a proposed swap can be accepted", field="state")
                facts.want_time(swap.leg_a.ledger)
                facts.want_funding(swap.leg_b.currency, swap.counterparty_address, swap.initiator_address, swap.model.value)
                if swap.model is Model.HTLC:
                    if acceptance.get("lock_signature") is None or acceptance.get("lock_nonce") is None:
                        raise InvalidInstruction("a linked-ledger swap needs the counterparty's lock authorisation", field="lock_signature")
                    facts.want_lock_nonce(swap.leg_b.ledger, swap.counterparty_address, int(acceptance["lock_nonce"]))
        facts.load()
        committed: Counter[tuple[str, str, str]] = Counter()
        for index, (swap, acceptance) in enumerate(zip(swaps, acceptances, strict=True)):
            with fields_under(prefix(index)), naming(swap.id):
                self._check_acceptance(swap, acceptance, facts, committed)
        with self.repo.together([swap.id for swap in swaps]):
            for swap in swaps:
                self.repo.transition(swap, SwapState.ACCEPTED, detail="counterparty accepted")
        self._changed(swaps)
        return swaps

    def _check_acceptance(self, swap: Swap, acceptance: dict[str, Any], facts: LedgerFacts, committed: Counter[tuple[str, str, str]]) -> None:
        now = facts.now(swap.leg_a.ledger)
        if now > swap.deadline:
            raise Conflict(f"the order's deadline {swap.deadline} has passed", field="deadline")
        self._check_funding(facts, committed, swap.counterparty_address, swap.initiator_address, swap.leg_b.currency,
                            swap.leg_b.amount, swap.model.value, field="signature")  # fmt: skip
        signature = acceptance["signature"]
        if swap.model is Model.PVP:
            terms = pvp_terms(swap.terms)
            message = swap_message(self.chain.client(swap.leg_a.ledger).chain_id, self.chain.contract(swap.leg_a.ledger, "pvp").address, terms)
            if not signed_by(message, signature, swap.counterparty_address):
                raise SignatureInvalid("the signature does not recover to partyB for these terms", field="signature")
        else:
            order = SwapOrder.from_json(swap.terms)
            lock_signature, lock_nonce = acceptance["lock_signature"], int(acceptance["lock_nonce"])
            chain_a = self.chain.client(swap.leg_a.ledger).chain_id
            if not signed_by(order_message(chain_a, order), signature, swap.counterparty_address):
                raise SignatureInvalid("the acceptance does not recover to the counterparty", field="signature")
            chain_b = self.chain.client(swap.leg_b.ledger).chain_id
            htlc_b = self.chain.contract(swap.leg_b.ledger, "htlc")
            request = lock_request(order, leg="b", token=self.chain.token(order.buyCurrency).address, swap_id=swap.id)
            if not signed_by(lock_message(chain_b, htlc_b.address, request, lock_nonce), lock_signature, swap.counterparty_address):
                raise SignatureInvalid("the lock authorisation does not recover to the counterparty for leg B", field="lock_signature")
            if facts.lock_nonce_used(swap.leg_b.ledger, swap.counterparty_address, lock_nonce):
                raise Conflict(f"lock nonce {lock_nonce} was already used", field="lock_nonce")
            swap.leg_b.lock_nonce, swap.leg_b.authorisation = lock_nonce, lock_signature
        swap.signature_b = signature

    def reveal(self, participant: str, reveals: list[dict[str, Any]], prefix: Prefix = single) -> list[Swap]:
        """The initiator's preimages ``{"id", "secret"}``, once both legs of each swap are locked; all or none."""
        swaps = self._swaps(reveals, prefix)
        clocks: dict[str, int] = {}  # each ledger's clock, read once for the whole request

        def clock(ledger: str) -> int:
            if ledger not in clocks:
                clocks[ledger] = self.chain.clock(ledger, fresh=True)
            return clocks[ledger]

        for index, (swap, reveal) in enumerate(zip(swaps, reveals, strict=True)):
            with fields_under(prefix(index)), naming(swap.id):
                if participant != swap.initiator:
                    raise Forbidden("only the initiator holds the secret", field="participant")
                if swap.model is not Model.HTLC:
                    raise Conflict("same-ledger swaps have no secret", field="secret")
                if swap.state is not SwapState.LOCKED_B:
                    raise Conflict(f"swap is {swap.state}; reveal the secret only once both legs are locked", field="state")
                raw = _hex32(reveal["secret"], field="secret")
                if "0x" + hashlib.sha256(raw).hexdigest() != swap.hashlock:
                    raise InvalidInstruction("sha256(secret) is not the swap's hashlock", field="secret")
                # the clock rule (bridge.domain.timing), on each ledger's own clock
                check = reveal_check(expiry_a=swap.leg_a.expiry or 0, clock_a=clock(swap.leg_a.ledger),
                                     expiry_b=swap.leg_b.expiry or 0, clock_b=clock(swap.leg_b.ledger),
                                     margin=self.policy.expiry_margin, claim_safety=self.policy.claim_safety)  # fmt: skip
                if not check.allowed:
                    raise Conflict(f"secret not accepted: {check.reason}", field="secret")
                swap.secret = "0x" + raw.hex()
        with self.repo.together([swap.id for swap in swaps]):
            for swap in swaps:
                self.repo.transition(swap, SwapState.CLAIMING_B, detail="initiator revealed the secret")
        self._changed(swaps)
        return swaps

    def _changed(self, swaps: list[Swap]) -> None:
        """Announces the swaps once what the request wrote has committed (a request may record its
        answer in the same transaction: see ``SwapRepository.together``)."""

        def announce() -> None:
            for swap in swaps:
                self._on_change(swap)

        self.repo.after_commit(announce)

    def _swaps(self, instructions: list[dict[str, Any]], prefix: Prefix) -> list[Swap]:
        """The swaps ``instructions`` name by ``id`` (each at most once), read in one query."""
        ids = [str(instruction["id"]) for instruction in instructions]
        found = self.repo.get_many(ids)
        seen: set[str] = set()
        for index, swap_id in enumerate(ids):
            with fields_under(prefix(index)), naming(swap_id):
                if swap_id not in found:
                    raise NotFound(f"no swap {swap_id}", field="id")
                if swap_id in seen:
                    raise Conflict(f"swap {swap_id} is named twice in this request", field="id")
            seen.add(swap_id)
        return [found[swap_id] for swap_id in ids]

    # ─── checks ──────────────────────────────────────────────────────────────────────────

    def _check_funding(self, facts: LedgerFacts, committed: Counter[tuple[str, str, str]], payer: str, receiver: str,
                       currency: str, amount: int, escrow: str, *, field: str) -> None:  # fmt: skip
        """The leg must be payable now: the token lets ``payer`` pay ``receiver`` (not paused, neither side
        frozen or ineligible), and the payer holds and has approved the escrow for ``amount`` on top of
        what earlier instructions of the same request already commit."""
        permitted, balance, allowance = facts.funding(currency, payer, receiver, escrow)
        if not permitted:
            rule, reason = self._not_permitted(currency, payer, receiver)
            raise Conflict(f"{currency} refuses transfers from {self._name(payer)} to {self._name(receiver)} now: {reason}",
                           field=field, rule=rule)  # fmt: skip
        key = (currency, payer.lower(), escrow)
        committed[key] += amount
        total, also = committed[key], ("" if committed[key] == amount else " together with this request's earlier legs")
        decimals = self.network.settings.currencies[currency].decimals
        if balance < total:
            raise Conflict(f"{self._name(payer)} holds less than {major_text(total, decimals)} {currency}{also}", field=field,
                           rule="insufficient funds")  # fmt: skip
        if allowance < total:
            raise Conflict(f"{self._name(payer)} has not approved the {escrow} escrow for {major_text(total, decimals)} {currency}{also}",
                           field=field, rule="escrow not approved")  # fmt: skip

    def _not_permitted(self, currency: str, payer: str, receiver: str) -> tuple[str, str]:
        """Which of the token's rules refuses ``payer`` → ``receiver`` now (the rare path: read one by one)."""
        ledger, token = self.chain.ledger_of(currency), self.chain.token(currency)
        if token.functions.paused().call():
            return "currency paused", f"the regulator has paused {currency} on ledger {ledger}"
        for who in (payer, receiver):
            if token.functions.isFrozen(who).call():
                return "account frozen", f"the regulator has frozen {self._name(who)} in {currency}"
        registry = self.chain.contract(ledger, "registry")
        for who in (payer, receiver):
            if not registry.functions.isActiveParticipant(who).call():
                return "not a participant", f"{self._name(who)} is not an active participant on ledger {ledger}"
        return "transfer not permitted", "the token's policy refuses it"

    def _name(self, address: str) -> str:
        """A participant's name for an address (the address itself when it is nobody's)."""
        for name, participant in self.network.settings.participants.items():
            if self.network.keys.address(name).lower() == address.lower():
                return participant.name
        return address

    def _named(self, address: str, *, field: str) -> str:
        for name in self.network.settings.participants:
            if self.network.keys.address(name).lower() == address.lower():
                return name
        raise Forbidden(f"{address} is not a configured participant", field=field)

    def _check_initiator(self, participant: str, address: str, *, field: str) -> None:
        if self.network.keys.address(participant).lower() != address.lower():
            raise Forbidden(f"{participant} may only instruct for its own address", field=field)

    @staticmethod
    def _check_not_self(participant: str, counterparty: str, *, field: str) -> None:
        if counterparty == participant:
            raise InvalidInstruction("a swap needs two different parties: the counterparty is you", field=field)

    def _ledger(self, currency: str, field: str) -> str:
        if currency.upper() not in self.network.settings.currencies:
            raise InvalidInstruction(f"unknown currency {currency!r}", field=field)
        return self.chain.ledger_of(currency)

    def _pvp_currencies(self, ledger: str, terms: PvPSwap) -> tuple[str, str]:
        """The currencies of the two tokens on ``ledger`` (token addresses repeat across ledgers)."""
        if ledger not in self.network.settings.ledgers:
            raise InvalidInstruction(f"unknown ledger {ledger!r}", field="ledger")
        by_token = {self.chain.token(code).address.lower(): code for code in self.network.settings.currencies_on(ledger)}
        code_a, code_b = by_token.get(terms.tokenA.lower()), by_token.get(terms.tokenB.lower())
        if code_a is None:
            raise InvalidInstruction(f"{terms.tokenA} is not a currency token on ledger {ledger}", field="terms.tokenA")
        if code_b is None:
            raise InvalidInstruction(f"{terms.tokenB} is not a currency token on ledger {ledger}", field="terms.tokenB")
        return code_a, code_b

    def _check_amounts(self, amount_a: int, amount_b: int, code_a: str, code_b: str, rate: int, *, prefix: str,
                       names: tuple[str, str]) -> None:  # fmt: skip
        """``prefix`` and ``names``: where the amounts and the rate are in the request's body (the error's field)."""
        for field, amount in ((prefix + names[0], amount_a), (prefix + names[1], amount_b)):
            if amount <= 0:
                raise InvalidInstruction("amount must be positive", field=field)
            if amount > self.policy.max_amount:
                raise InvalidInstruction(f"amount {amount} exceeds the limit {self.policy.max_amount}", field=field)
        if code_a.upper() == code_b.upper():
            raise InvalidInstruction("a swap needs two different currencies", field="currency")
        if rate <= 0:
            raise InvalidInstruction("rate must be positive", field=prefix + "rate")
        decimals_a = self.network.settings.currencies[code_a.upper()].decimals
        decimals_b = self.network.settings.currencies[code_b.upper()].decimals
        expected = amount_at(amount_a, rate, decimals_a, decimals_b)
        if abs(expected - amount_b) > 1:
            raise InvalidInstruction(f"amount B {amount_b} is not amount A at the agreed rate ({expected})", field=prefix + names[1])

    def _check_rate(self, facts: LedgerFacts, ledger: str, base: str, quote: str, rate: int, max_deviation_bps: int, *,
                    field: str) -> tuple[int, int]:  # fmt: skip
        try:
            mid, round_ref = facts.rate(ledger, base, quote)
        except ChainRejected as exc:
            raise Conflict(f"the oracle cannot price {base}/{quote} now: {exc.error} {exc.args_by_name}", field=field,
                           rule="oracle rate unavailable") from exc  # fmt: skip
        deviation = abs(rate - mid) * 10_000 / mid
        if deviation > max_deviation_bps:
            pair, per = f"{base}/{quote}", f"{quote} per {base}"
            raise InvalidInstruction(f"rate {rate_text(rate, pair).display} {per} deviates {deviation:.1f} bps from the oracle mid "
                                     f"{rate_text(mid, pair).display} {per} (round {round_label(round_ref)}); the swap allows "
                                     f"{max_deviation_bps} bps", field=field, rule="rate outside tolerance")  # fmt: skip
        return mid, round_ref

    def _check_expiries(self, order: SwapOrder, now: int) -> None:
        policy = self.policy
        max_lock = self.network.settings.settlement.htlc_max_lock_seconds
        if order.deadline <= now:
            raise InvalidInstruction("the deadline has passed", field="order.deadline")
        if order.counterpartyExpiry < now + policy.min_counterparty_window:
            raise InvalidInstruction(f"the counterparty's lock must run at least {policy.min_counterparty_window}s",
                                     field="order.counterpartyExpiry")  # fmt: skip
        if order.initiatorExpiry < order.counterpartyExpiry + policy.expiry_margin:
            raise InvalidInstruction(f"the initiator's expiry must come at least {policy.expiry_margin}s after the "
                                     "counterparty's", field="order.initiatorExpiry")  # fmt: skip
        if order.initiatorExpiry > now + max_lock:
            raise InvalidInstruction(f"the initiator's lock may run at most {max_lock}s", field="order.initiatorExpiry")
        if order.deadline > order.counterpartyExpiry:
            raise InvalidInstruction("the acceptance deadline must come before the counterparty's expiry", field="order.deadline")
        if order.quoteValidUntil < now:
            raise Conflict("the quote has expired", field="order.quoteValidUntil")
        if order.quoteValidUntil > order.counterpartyExpiry:
            raise InvalidInstruction("the quote may not outlive the counterparty's lock", field="order.quoteValidUntil")


def check_quote_fits(issued: IssuedQuote, order: SwapOrder, *, spread_bps: int) -> None:
    """The order trades what the quote priced: quoted on the sell currency, the quote's side is "sell"
    and its amount the sell amount; quoted on the buy currency, "buy" and the buy amount. The order's
    rate (buy per sell) lies within the quote's two-sided band: at most twice the spread from the quoted
    rate (inverted when the quote is on the buy currency), so anywhere from the quote's bid to its ask."""
    if issued.base == order.sellCurrency:
        side, amount, quoted = "sell", order.sellAmount, issued.rate
    else:
        side, amount, quoted = "buy", order.buyAmount, RATE_ONE * RATE_ONE // issued.rate
    if issued.side != side:
        raise InvalidInstruction(f"the quote is a {issued.side} of {issued.base}; this order needs a {side} quote of {issued.base}",
                                 field="order.quoteHash")  # fmt: skip
    if issued.amount != amount:
        raise InvalidInstruction(f"the quote prices {issued.amount} {issued.base}, the order trades {amount}", field="order.quoteHash")
    band = 2 * spread_bps + 1  # one basis point for the rounding of quoted and inverted rates
    if abs(order.rate - quoted) * 10_000 > band * quoted:
        raise InvalidInstruction(f"the order's rate {order.rate} is more than {band} bps from the quoted {quoted} "
                                 f"({order.sellCurrency}/{order.buyCurrency}, 18 decimals)", field="order.rate")  # fmt: skip


def pvp_terms(terms: dict[str, Any]) -> PvPSwap:
    try:
        return PvPSwap(**{k: (int(v) if k not in ("partyA", "partyB", "tokenA", "tokenB") else str(v)) for k, v in terms.items()})
    except (TypeError, ValueError) as exc:
        raise InvalidInstruction(f"malformed swap terms: {exc}", field="terms") from exc


def _order(data: dict[str, Any]) -> SwapOrder:
    try:
        return SwapOrder.from_json(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInstruction(f"malformed order: {exc}", field="order") from exc


def _hex32(value: str, *, field: str) -> bytes:
    try:
        raw = decode_hex(value)
    except ValueError as exc:
        raise InvalidInstruction("not hex", field=field) from exc
    if len(raw) != 32:
        raise InvalidInstruction("must be 32 bytes", field=field)
    return raw


def _jsonable(terms: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, int) and v > 2**53 else v) for k, v in terms.items()}

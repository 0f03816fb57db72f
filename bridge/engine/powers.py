"""The regulator's powers, used for the regulator: freeze or unfreeze a bank in a currency, pause or
unpause a currency, resume a pair its circuit breaker halted. Each is planned first (what exactly will
be sent, to which contract, and the state it changes, so the regulator confirms the very thing that
is sent), then executed: the audit trail records the request before the transaction is sent, its
hash right after, and its block (or the ledger's refusal) once known.

The transaction is signed by a :class:`RegulatorSigner`. In development the bridge holds the
regulator's key (:class:`LocalKeySigner`, from the configuration's development keys). A real
deployment keeps that key away from the bridge: the regulator's own signing service or HSM implements
:class:`RegulatorSigner` (it receives the unsigned call, applies its own policy and approval, signs,
and hands back the transaction hash), so the console and the bridge only relay what the regulator's
signer signed. The contracts accept the call only from a holder of ``REGULATOR_ROLE`` whatever relays it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount

from bridge.engine.chain import ChainView
from bridge.errors import Conflict, InvalidInstruction, Unavailable
from bridge.store.actions import ActionRepository
from supervision.inputs import ActionRecord
from corridor.abi import AbiFunction
from corridor.chain import LedgerClient
from corridor.errors import ChainError, ChainRejected
from oracle.rates import pair_id

logger = logging.getLogger(__name__)

ACTIONS = ("freeze", "unfreeze", "pause", "unpause", "resume")


class RegulatorSigner(Protocol):
    """Signs and sends the regulator's transactions (the seam between the bridge and the regulator's key)."""

    @property
    def address(self) -> str: ...

    def send(self, client: LedgerClient, call: Any) -> str:
        """Signs ``call`` (a contract function call) with the regulator's key and sends it; the hash."""
        ...


class LocalKeySigner:
    """Development only: the regulator's key held by the bridge process."""

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

    @property
    def address(self) -> str:
        return str(self._account.address)

    def send(self, client: LedgerClient, call: Any) -> str:
        return client.send(self._account, call)


@dataclass(frozen=True)
class PowerRequest:
    action: str  # freeze | unfreeze | pause | unpause | resume
    currency: str | None = None  # freeze, unfreeze, pause, unpause
    participant: str | None = None  # freeze, unfreeze: the bank's name
    pair: str | None = None  # resume: "EUR/CHF" or a cross "CNY/CHF"
    ledger: str | None = None  # resume: the ledger whose oracle halted it


@dataclass(frozen=True)
class Plan:
    """Exactly what will be sent, in words and as data."""

    request: PowerRequest
    ledger: str
    contract: str  # "HKD token", "FX oracle"
    address: str
    function: str  # "freeze(address)"
    args: list[str]
    sentence: str  # what it does, as the regulator confirms it
    now: str  # the state it changes, as read from the chain just now
    signer: str
    call: Any = field(repr=False, compare=False, default=None)


@dataclass(frozen=True)
class SupervisoryState:
    """What the regulator's powers hold now, read from the chains."""

    paused: dict[str, bool]  # currency → paused
    frozen: dict[str, list[str]]  # currency → banks frozen in it
    halted: dict[str, list[str]]  # ledger → pairs and crosses halted


class SupervisoryPowers:
    def __init__(self, chain: ChainView, actions: ActionRepository, signer: RegulatorSigner | None) -> None:
        self.chain = chain
        self.actions = actions
        self._signer = signer
        self._settings = chain.network.settings

    @property
    def signer(self) -> RegulatorSigner:
        if self._signer is None:
            raise Unavailable("this bridge holds no signer for the regulator's transactions (keys.private_keys.regulator, "
                              "or a RegulatorSigner of the regulator's own signing service)", field=None)  # fmt: skip
        return self._signer

    @property
    def available(self) -> bool:
        return self._signer is not None

    @property
    def signer_address(self) -> str | None:
        return self._signer.address if self._signer is not None else None

    # ─── reading ─────────────────────────────────────────────────────────────────────────

    def state(self) -> SupervisoryState:
        settings, keys = self._settings, self.chain.network.keys
        paused: dict[str, bool] = {}
        frozen: dict[str, list[str]] = {}
        halted: dict[str, list[str]] = {}
        for ledger in self.chain.network.clients:
            client = self.chain.client(ledger)
            codes = settings.currencies_on(ledger)
            oracle = self.chain.contract(ledger, "oracle")
            direct = [pair_id(settings.oracle.base_currency, q) for q in settings.oracle.pairs]
            reads: list[tuple[str, AbiFunction, tuple[Any, ...]]] = [(oracle.address, self.chain.abi("oracle", "crosses"), ())]
            reads += [(oracle.address, self.chain.abi("oracle", "pair"), (p,)) for p in direct]
            for code in codes:
                token = self.chain.token(code).address
                reads.append((token, self.chain.abi("token", "paused"), ()))
                reads += [(token, self.chain.abi("token", "isFrozen"), (keys.address(bank),)) for bank in settings.banks]
            _, results = client.snapshot(reads)
            crosses = [bytes(c) for c in results[0]] if not isinstance(results[0], ChainRejected) else []
            states = list(zip(direct, results[1: 1 + len(direct)], strict=True))
            if crosses:
                _, found = client.snapshot([(oracle.address, self.chain.abi("oracle", "pair"), (c,)) for c in crosses])
                states += list(zip(crosses, found, strict=True))
            halted[ledger] = [f"{p[:3].decode()}/{p[3:].decode()}" for p, s in states if not isinstance(s, ChainRejected) and bool(s[4])]
            index = 1 + len(direct)
            for code in codes:
                paused[code] = results[index] is True
                flags = results[index + 1: index + 1 + len(settings.banks)]
                frozen[code] = [bank for bank, flag in zip(settings.banks, flags, strict=True) if flag is True]
                index += 1 + len(settings.banks)
        return SupervisoryState(paused=paused, frozen=frozen, halted=halted)

    # ─── planning ────────────────────────────────────────────────────────────────────────

    def plan(self, request: PowerRequest) -> Plan:
        """What ``request`` will send, checked against the chain now; refuses (422 or 409) what cannot work."""
        settings = self._settings
        if request.action not in ACTIONS:
            raise InvalidInstruction(f"unknown action {request.action!r}; one of {', '.join(ACTIONS)}", field="action")
        if request.action == "resume":
            return self._plan_resume(request)
        code = (request.currency or "").upper()
        if code not in settings.currencies:
            raise InvalidInstruction(f"unknown currency {request.currency!r}", field="currency")
        ledger = settings.currency_ledger(code)
        token = self.chain.token(code)
        if request.action in ("pause", "unpause"):
            paused = bool(token.functions.paused().call())
            if paused == (request.action == "pause"):
                raise Conflict(f"{code} is {'already' if paused else 'not'} paused", field="currency")
            call = getattr(token.functions, request.action)()
            sentence = (f"Pause {code} on ledger {ledger}: no {code} balance moves, for anyone, until the regulator unpauses it "
                        "(swaps in it are refused at intake and by the escrows)." if request.action == "pause"
                        else f"Unpause {code} on ledger {ledger}: {code} moves again under the usual rules.")  # fmt: skip
            return Plan(request, ledger, f"{code} token", token.address, f"{request.action}()", [], sentence,
                        f"{code} is {'paused' if paused else 'not paused'}", self.signer.address, call)  # fmt: skip
        bank = (request.participant or "").lower()
        if bank not in settings.banks:
            raise InvalidInstruction(f"{request.participant!r} is not a bank of this network", field="participant")
        address = self.chain.network.keys.address(bank)
        frozen = bool(token.functions.isFrozen(address).call())
        if frozen == (request.action == "freeze"):
            raise Conflict(f"{self._name(bank)} is {'already' if frozen else 'not'} frozen in {code}", field="participant")
        call = getattr(token.functions, request.action)(address)
        sentence = (f"Freeze {self._name(bank)} ({address}) in {code} on ledger {ledger}: every {code} payment by or to it is refused, "
                    "locked funds included, until the regulator unfreezes it." if request.action == "freeze"
                    else f"Unfreeze {self._name(bank)} ({address}) in {code} on ledger {ledger}: its {code} payments are accepted again.")  # fmt: skip
        return Plan(request, ledger, f"{code} token", token.address, f"{request.action}(address)", [address], sentence,
                    f"{self._name(bank)} is {'frozen' if frozen else 'not frozen'} in {code}", self.signer.address, call)  # fmt: skip

    def _plan_resume(self, request: PowerRequest) -> Plan:
        ledger = (request.ledger or "").upper()
        if ledger not in self.chain.network.clients:
            raise InvalidInstruction(f"unknown ledger {request.ledger!r}", field="ledger")
        text = (request.pair or "").upper().replace("/", "")
        if len(text) != 6 or not (text.isascii() and text.isalpha()):
            raise InvalidInstruction(f"not a currency pair: {request.pair!r} (write it EUR/CHF)", field="pair")
        pair = f"{text[:3]}/{text[3:]}"
        oracle = self.chain.contract(ledger, "oracle")
        state = oracle.functions.pair(text.encode()).call()
        if not bool(state[3]):
            raise InvalidInstruction(f"{pair} is not listed on ledger {ledger}'s oracle", field="pair")
        if not bool(state[4]):
            raise Conflict(f"{pair} is not halted on ledger {ledger}", field="pair")
        call = oracle.functions.resume(text.encode())
        sentence = (f"Resume {pair} on ledger {ledger}'s FX oracle: reads of the pair (and settlements checked against it) are "
                    "accepted again, at its latest round; the breaker judges the next round against it.")  # fmt: skip
        return Plan(PowerRequest("resume", pair=pair, ledger=ledger), ledger, "FX oracle", oracle.address, "resume(bytes6)",
                    [f"0x{text.encode().hex()} ({pair})"], sentence, f"{pair} is halted on ledger {ledger}", self.signer.address, call)  # fmt: skip

    # ─── executing ───────────────────────────────────────────────────────────────────────

    def execute(self, plan: Plan, *, actor: str, via: str, reason: str | None = None) -> ActionRecord:
        """Re-plans (the chain may have moved since the regulator confirmed), records the request, sends,
        records the hash, waits for the receipt and records the outcome."""
        plan = self.plan(plan.request)
        request, client = plan.request, self.chain.client(plan.ledger)
        entry = self.actions.requested(actor=actor, actor_address=self.signer.address, via=via, action=request.action, ledger=plan.ledger,
                                       currency=(request.currency or "").upper() or None, participant=request.participant,
                                       pair=request.pair, reason=reason)  # fmt: skip
        try:
            tx_hash = self.signer.send(client, plan.call)
        except ChainRejected as exc:  # refused before anything was sent (the estimate reverted)
            return self.actions.update(entry.id, status="refused", error=f"{exc.error}: {exc}")
        except ChainError as exc:
            return self.actions.update(entry.id, status="failed", error=str(exc))
        self.actions.update(entry.id, status="sent", tx_hash=tx_hash)
        try:
            receipt = client.wait(tx_hash)
        except ChainError as exc:
            return self.actions.update(entry.id, status="failed", error=str(exc))
        logger.info("supervisory action %s done id=%s ledger=%s tx=%s", request.action, entry.id, plan.ledger, tx_hash)
        return self.actions.update(entry.id, status="done", block=int(receipt["blockNumber"]))

    def _name(self, participant: str) -> str:
        found = self._settings.participants.get(participant)
        return found.name if found else participant

"""Instruction building and signing, entirely local to the bank. Every instruction signed is handed
to ``keep`` (the bank's :class:`~bridge.sdk.store.OrderStore`) before it can be sent."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from bridge.domain.orders import SwapOrder, lock_message, lock_request, order_id, order_message
from bridge.domain.timing import DEFAULT_CLAIM_SAFETY, DEFAULT_SAFETY_MARGIN
from corridor.typed_data import Swap, amount_at, digest, sign, swap_message

Keep = Callable[[dict[str, Any]], object]



@dataclass(frozen=True)
class LedgerInfo:
    name: str
    chain_id: int
    rpc_url: str
    registry: str
    oracle: str
    pvp: str
    htlc: str


@dataclass(frozen=True)
class NetworkInfo:
    """What a bank needs to sign for a network: ledgers (chain ids, contracts) and currencies."""

    ledgers: dict[str, LedgerInfo]
    currencies: dict[str, dict[str, Any]]  # code -> {"ledger", "decimals", "token"}
    timing: dict[str, int] = field(default_factory=dict)  # "safety_margin_seconds", "claim_safety_seconds"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkInfo:
        return cls({name: LedgerInfo(name=name, **fields) for name, fields in data["ledgers"].items()}, data["currencies"],
                   dict(data.get("timing") or {}))  # fmt: skip

    @property
    def safety_margin(self) -> int:
        """Seconds leg A must have left on its ledger's clock for the secret to move (the clock rule)."""
        return int(self.timing.get("safety_margin_seconds", DEFAULT_SAFETY_MARGIN))

    @property
    def claim_safety(self) -> int:
        return int(self.timing.get("claim_safety_seconds", DEFAULT_CLAIM_SAFETY))

    def ledger_of(self, currency: str) -> LedgerInfo:
        return self.ledgers[self.currencies[currency.upper()]["ledger"]]

    def token(self, currency: str) -> str:
        return str(self.currencies[currency.upper()]["token"])

    def decimals(self, currency: str) -> int:
        return int(self.currencies[currency.upper()]["decimals"])


@dataclass
class HtlcOrder:
    """A linked-ledger order as the initiator keeps it: the secret stays with the bank until reveal."""

    order: SwapOrder
    swap_id: str
    signature: str
    lock_signature: str
    lock_nonce: int
    secret: bytes


class BankSigner:
    def __init__(self, account: LocalAccount, network: NetworkInfo, *, keep: Keep | None = None) -> None:
        self.account = account
        self.network = network
        self._keep = keep or (lambda record: None)
        self._nonce_lock = threading.Lock()
        self._lock_nonces: list[int] = []

    def next_lock_nonce(self) -> int:
        """A lock-authorisation nonce never used before. The escrow records used nonces as bits of
        256-bit storage words (word ``nonce >> 8``), so nonces are drawn from "books" of 256 that share
        one word: a random 56-bit book, counted up from 0. Only the first lock of a book writes a fresh
        storage word (~20k gas); the next 255 flip a bit in a word already written (~2.9k). Fully random
        nonces would make every relayed lock pay the fresh word."""
        with self._nonce_lock:
            if not self._lock_nonces:
                book = secrets.randbits(56) << 8
                self._lock_nonces = [book | i for i in range(255, -1, -1)]
            return self._lock_nonces.pop()

    @property
    def address(self) -> str:
        return str(self.account.address)

    # ─── same ledger ─────────────────────────────────────────────────────────────────────

    def pvp_order(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, rate: int, deadline: int,
                  max_deviation_bps: int = 50, nonce: int | None = None) -> tuple[str, dict[str, Any], str]:  # fmt: skip
        """(ledger, terms, signature) for a PvPEscrow swap paying ``sell_amount`` of ``sell`` for ``buy``."""
        ledger = self.network.ledger_of(sell)
        if self.network.ledger_of(buy).name != ledger.name:
            raise ValueError(f"{sell} and {buy} live on different ledgers: use htlc_order")
        buy_amount = amount_at(sell_amount, rate, self.network.decimals(sell), self.network.decimals(buy))
        swap = Swap(self.address, self.network.token(sell), sell_amount, counterparty, self.network.token(buy), buy_amount,
                    rate, max_deviation_bps, deadline, nonce if nonce is not None else secrets.randbits(64))  # fmt: skip
        return ledger.name, self._swap_json(swap), self.sign_pvp(ledger.name, self._swap_json(swap))

    def sign_pvp(self, ledger_name: str, terms: dict[str, Any]) -> str:
        """Signs the PvPEscrow ``Swap`` ``terms`` (as party A or B: the record kept says which)."""
        swap = Swap(**{k: (int(v) if k not in ("partyA", "partyB", "tokenA", "tokenB") else v) for k, v in terms.items()})
        ledger = self.network.ledgers[ledger_name]
        message = swap_message(ledger.chain_id, ledger.pvp, swap)
        signature = "0x" + sign(self.account, message).hex()
        role = "initiator" if swap.partyA.lower() == self.address.lower() else "counterparty"
        self._keep({"swap_id": "0x" + digest(message).hex(), "model": "pvp", "role": role, "ledger": ledger_name,
                    "terms": self._swap_json(swap), "signature": signature})  # fmt: skip
        return signature

    # ─── linked ledgers ──────────────────────────────────────────────────────────────────

    def htlc_order(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, rate: int, now: int,
                   quote_hash: bytes, quote_valid_until: int, max_deviation_bps: int = 50,
                   counterparty_window: int = 1800, margin: int = 1800, accept_within: int = 600) -> HtlcOrder:  # fmt: skip
        """Draws a fresh secret, and signs the order and the authorisation to lock our leg."""
        secret = os.urandom(32)
        order = SwapOrder(
            initiator=self.address, counterparty=counterparty, sellCurrency=sell.upper(), sellAmount=sell_amount,
            buyCurrency=buy.upper(), buyAmount=amount_at(sell_amount, rate, self.network.decimals(sell), self.network.decimals(buy)),
            rate=rate, maxDeviationBps=max_deviation_bps, hashlock=hashlib.sha256(secret).digest(),
            initiatorExpiry=now + counterparty_window + margin, counterpartyExpiry=now + counterparty_window,
            deadline=now + accept_within, nonce=secrets.randbits(64), quoteHash=quote_hash, quoteValidUntil=quote_valid_until,
        )  # fmt: skip
        ledger_a = self.network.ledger_of(sell)
        swap_id = order_id(ledger_a.chain_id, order)
        signature = "0x" + sign(self.account, order_message(ledger_a.chain_id, order)).hex()
        lock_nonce = self.next_lock_nonce()
        request = lock_request(order, leg="a", token=self.network.token(sell), swap_id=swap_id)
        lock_signature = "0x" + sign(self.account, lock_message(ledger_a.chain_id, ledger_a.htlc, request, lock_nonce)).hex()
        # kept (with the secret) before it can be sent: the bank can finish or refund it without the bridge
        self._keep({"swap_id": swap_id, "model": "htlc", "role": "initiator", "order": order.to_json(), "signature": signature,
                    "lock_signature": lock_signature, "lock_nonce": lock_nonce, "secret": "0x" + secret.hex()})  # fmt: skip
        return HtlcOrder(order, swap_id, signature, lock_signature, lock_nonce, secret)

    def htlc_accept(self, order_json: dict[str, Any], *, lock_nonce: int | None = None) -> tuple[str, str, int]:
        """(acceptance signature, lock authorisation for our leg, its nonce) for an order we agree to.
        ``lock_nonce``: the one a first attempt used (a retry must send the same acceptance)."""
        order = SwapOrder.from_json(order_json)
        if order.counterparty.lower() != self.address.lower():
            raise ValueError("this order names another counterparty")
        ledger_a, ledger_b = self.network.ledger_of(order.sellCurrency), self.network.ledger_of(order.buyCurrency)
        swap_id = order_id(ledger_a.chain_id, order)
        signature = "0x" + sign(self.account, order_message(ledger_a.chain_id, order)).hex()
        lock_nonce = self.next_lock_nonce() if lock_nonce is None else lock_nonce
        request = lock_request(order, leg="b", token=self.network.token(order.buyCurrency), swap_id=swap_id)
        lock_signature = "0x" + sign(self.account, lock_message(ledger_b.chain_id, ledger_b.htlc, request, lock_nonce)).hex()
        self._keep({"swap_id": swap_id, "model": "htlc", "role": "counterparty", "order": order.to_json(), "signature": signature,
                    "lock_signature": lock_signature, "lock_nonce": lock_nonce})  # fmt: skip
        return signature, lock_signature, lock_nonce

    # ─── helpers ─────────────────────────────────────────────────────────────────────────

    @staticmethod
    def _swap_json(swap: Swap) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, int) else v) for k, v in vars(swap).items()}

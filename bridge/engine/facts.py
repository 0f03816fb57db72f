"""The on-chain facts a set of banks' instructions is checked against, read from each ledger in one
JSON-RPC batch: its time, oracle rates, participants' status, funding, and used nonces.

Checking an instruction file of hundreds of swaps thus costs one round trip per ledger, not several
per swap. Facts are declared first (``want_*``), then :meth:`LedgerFacts.load` reads them; a fact
asked for without having been declared is read on its own, so a forgotten declaration costs time,
never correctness. A rate the oracle refuses (halted, stale) comes back as its :class:`ChainRejected`.
"""

from __future__ import annotations

import time
from typing import Any

from corridor.errors import ChainRejected
from bridge.domain.timing import next_block_time
from bridge.engine.chain import ChainView



class LedgerFacts:
    def __init__(self, chain: ChainView) -> None:
        self.chain = chain
        self._wanted: dict[str, dict[tuple[Any, ...], tuple[str, Any, tuple[Any, ...]]]] = {}
        self._values: dict[str, dict[tuple[Any, ...], Any]] = {}
        self._times: dict[str, int] = {}

    # ─── declaring ───────────────────────────────────────────────────────────────────────

    def want_time(self, ledger: str) -> None:
        self._wanted.setdefault(ledger, {})

    def want_active(self, ledger: str, address: str) -> None:
        if self.chain.known_active(ledger, address):
            return
        registry = self.chain.contract(ledger, "registry").address
        self._want(ledger, ("active", address.lower()), registry, self.chain.abi("registry", "isActiveParticipant"), (address,))

    def want_rate(self, ledger: str, base: str, quote: str) -> None:
        oracle = self.chain.contract(ledger, "oracle").address
        pair = (base.upper().encode(), quote.upper().encode())
        self._want(ledger, ("rate", *pair), oracle, self.chain.abi("oracle", "settlementRate"), pair)

    def want_funding(self, currency: str, payer: str, receiver: str, escrow: str) -> None:
        """That ``payer`` may pay ``receiver`` in ``currency``, its balance, and its allowance to ``escrow``."""
        ledger, token = self.chain.ledger_of(currency), self.chain.token(currency).address
        spender = self.chain.contract(ledger, escrow).address
        self._want(ledger, ("permitted", token, payer.lower(), receiver.lower()), token, self.chain.abi("token", "canTransfer"), (payer, receiver))
        self._want(ledger, ("balance", token, payer.lower()), token, self.chain.abi("token", "balanceOf"), (payer,))
        self._want(ledger, ("allowance", token, payer.lower(), spender), token, self.chain.abi("token", "allowance"), (payer, spender))

    def want_pvp_nonce(self, ledger: str, party: str, nonce: int) -> None:
        pvp = self.chain.contract(ledger, "pvp").address
        self._want(ledger, ("pvp_nonce", party.lower(), nonce), pvp, self.chain.abi("pvp", "nonceUsed"), (party, nonce))

    def want_lock_nonce(self, ledger: str, sender: str, nonce: int) -> None:
        htlc = self.chain.contract(ledger, "htlc").address
        self._want(ledger, ("lock_nonce", sender.lower(), nonce), htlc, self.chain.abi("htlc", "authorisationUsed"), (sender, nonce))

    def _want(self, ledger: str, key: tuple[Any, ...], to: str, fn: Any, args: tuple[Any, ...]) -> None:
        if key not in self._values.get(ledger, {}):
            self._wanted.setdefault(ledger, {})[key] = (to, fn, args)

    def load(self) -> None:
        """Reads every declared fact: one JSON-RPC batch per ledger."""
        for ledger in list(self._wanted):
            self._load(ledger)

    def _load(self, ledger: str) -> None:
        wanted = self._wanted.pop(ledger, {})
        keys = list(wanted)
        timestamp, results = self.chain.client(ledger).snapshot([wanted[key] for key in keys])
        # one clock per set of instructions: the ledger's next block time (bridge.domain.timing)
        client = self.chain.client(ledger)
        self._times.setdefault(ledger, next_block_time(ledger_clock=timestamp, wall_clock=time.time(), live_pending=client.live_pending))
        values = self._values.setdefault(ledger, {})
        for key, result in zip(keys, results, strict=True):
            values[key] = result
            if key[0] == "active" and result is True:
                self.chain.remember_active(ledger, key[1])

    # ─── reading ─────────────────────────────────────────────────────────────────────────

    def now(self, ledger: str) -> int:
        if ledger not in self._times:
            self._load(ledger)
        return self._times[ledger]

    def active(self, ledger: str, address: str) -> bool:
        if self.chain.known_active(ledger, address):
            return True
        self.want_active(ledger, address)
        return bool(self._value(ledger, ("active", address.lower())))

    def rate(self, ledger: str, base: str, quote: str) -> tuple[int, int]:
        """(mid 1e18, round) of the oracle's settlement rate; raises its ChainRejected when it refuses."""
        self.want_rate(ledger, base, quote)
        result = self._value(ledger, ("rate", base.upper().encode(), quote.upper().encode()))
        if isinstance(result, ChainRejected):
            raise result
        mid, round_ref = result
        return int(mid), int(round_ref)

    def funding(self, currency: str, payer: str, receiver: str, escrow: str) -> tuple[bool, int, int]:
        """(permitted, balance, allowance) of ``payer`` for a leg paid through ``escrow``."""
        self.want_funding(currency, payer, receiver, escrow)
        ledger, token = self.chain.ledger_of(currency), self.chain.token(currency).address
        spender = self.chain.contract(ledger, escrow).address
        return (bool(self._value(ledger, ("permitted", token, payer.lower(), receiver.lower()))),
                int(self._value(ledger, ("balance", token, payer.lower()))),
                int(self._value(ledger, ("allowance", token, payer.lower(), spender))))  # fmt: skip

    def pvp_nonce_used(self, ledger: str, party: str, nonce: int) -> bool:
        self.want_pvp_nonce(ledger, party, nonce)
        return bool(self._value(ledger, ("pvp_nonce", party.lower(), nonce)))

    def lock_nonce_used(self, ledger: str, sender: str, nonce: int) -> bool:
        self.want_lock_nonce(ledger, sender, nonce)
        return bool(self._value(ledger, ("lock_nonce", sender.lower(), nonce)))

    def _value(self, ledger: str, key: tuple[Any, ...]) -> Any:
        if key not in self._values.get(ledger, {}):
            self._load(ledger)
        result = self._values[ledger][key]
        if isinstance(result, ChainRejected) and key[0] != "rate":
            raise result  # only the oracle refuses by design; any other revert is a real fault
        return result

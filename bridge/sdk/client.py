"""The bank's HTTP client for the bridge. Every request is signed with the bank's key; instructions
are built and signed locally (:mod:`bridge.sdk.signer`); before revealing a secret the client checks
on the ledgers themselves that both legs are locked as agreed."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from web3 import Web3

from bridge.api.auth import sign_request
from corridor.errors import CorridorError
from bridge.sdk.signer import BankSigner, HtlcOrder, NetworkInfo

_HTLC_ABI = [
    {"type": "function", "name": "lockIdOf", "stateMutability": "pure",
     "inputs": [{"name": "sender", "type": "address"}, {"name": "hashlock", "type": "bytes32"}], "outputs": [{"type": "bytes32"}]},
    {"type": "function", "name": "isOpen", "stateMutability": "view",
     "inputs": [{"name": "lockId", "type": "bytes32"}], "outputs": [{"type": "bool"}]},
    {"type": "function", "name": "storedCommitment", "stateMutability": "view",
     "inputs": [{"name": "lockId", "type": "bytes32"}], "outputs": [{"type": "bytes32"}]},
    {"type": "function", "name": "commitmentOf", "stateMutability": "pure",
     "inputs": [{"name": "terms", "type": "tuple", "components": [
         {"name": "token", "type": "address"}, {"name": "sender", "type": "address"}, {"name": "receiver", "type": "address"},
         {"name": "amount", "type": "uint256"}, {"name": "hashlock", "type": "bytes32"}, {"name": "expiry", "type": "uint64"}]}],
     "outputs": [{"type": "bytes32"}]},
]  # fmt: skip


class BridgeRequestError(CorridorError):
    """The bridge answered 4xx/5xx (carries its JSON error body), or could not be reached (status 0)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.error = body.get("error")
        self.detail = body.get("detail")
        self.field = body.get("field")
        super().__init__(f"{status} {self.error}: {self.detail} (field {self.field})")


_ERC20_ABI = [
    {"type": "function", "name": "allowance", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}], "outputs": [{"type": "uint256"}]},
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "spender", "type": "address"}, {"name": "value", "type": "uint256"}], "outputs": [{"type": "bool"}]},
]  # fmt: skip


class LockNotVerified(Exception):
    """A leg is not locked on chain as agreed: the secret must not be revealed."""


class BridgeClient:
    def __init__(self, base_url: str, participant: str, account: LocalAccount, *, timeout: float = 30.0) -> None:
        self.participant = participant
        self.account = account
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._network: NetworkInfo | None = None

    def close(self) -> None:
        self._http.close()

    # ─── transport ───────────────────────────────────────────────────────────────────────

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, *, idempotency_key: str | None = None) -> Any:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {"X-Corridor-Participant": self.participant, **sign_request(self.account, method, path, raw)}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        try:
            response = self._http.request(method, path, content=raw if body is not None else None, headers=headers)
        except httpx.HTTPError as exc:
            raise BridgeRequestError(0, {"error": "unreachable", "detail": f"{self._http.base_url}: {exc}"}) from exc
        payload = response.json() if response.content else {}
        if response.status_code >= 400:
            raise BridgeRequestError(response.status_code, payload)
        return payload

    # ─── network ─────────────────────────────────────────────────────────────────────────

    @property
    def network(self) -> NetworkInfo:
        if self._network is None:
            self._network = NetworkInfo.from_json(self.request("GET", "/v1/network"))
        return self._network

    @property
    def signer(self) -> BankSigner:
        return BankSigner(self.account, self.network)

    def rate(self, base: str, quote: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/rates/{base}/{quote}")

    def quote(self, base: str, quote: str, side: str, amount: int) -> dict[str, Any]:
        return self.request("POST", "/v1/quotes", {"base": base, "quote": quote, "side": side, "amount": amount})

    # ─── swaps ───────────────────────────────────────────────────────────────────────────

    def htlc_order_at_quote(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, now: int,
                            max_deviation_bps: int = 50) -> HtlcOrder:  # fmt: skip
        """A signed linked-ledger order at a fresh signed quote's mid, bound to that quote (hash and validity)."""
        quote = self.quote(sell, buy, "sell", sell_amount)
        return self.signer.htlc_order(counterparty=counterparty, sell=sell, sell_amount=sell_amount, buy=buy,
                                      rate=int(quote["quote"]["mid"]), now=now, quote_hash=bytes.fromhex(quote["hash"][2:]),
                                      quote_valid_until=int(quote["quote"]["valid_until"]), max_deviation_bps=max_deviation_bps)  # fmt: skip

    def submit_pvp(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, rate: int, deadline: int,
                   max_deviation_bps: int = 50, idempotency_key: str | None = None) -> dict[str, Any]:  # fmt: skip
        ledger, terms, signature = self.signer.pvp_order(counterparty=counterparty, sell=sell, sell_amount=sell_amount,
                                                         buy=buy, rate=rate, deadline=deadline, max_deviation_bps=max_deviation_bps)  # fmt: skip
        return self.request("POST", "/v1/swaps", {"model": "pvp", "ledger": ledger, "terms": _ints(terms), "signature": signature},
                            idempotency_key=idempotency_key)  # fmt: skip

    def submit_htlc(self, order: HtlcOrder, *, idempotency_key: str | None = None) -> dict[str, Any]:
        body = {"model": "htlc", "order": order.order.to_json(), "signature": order.signature,
                "lock_signature": order.lock_signature, "lock_nonce": order.lock_nonce}  # fmt: skip
        return self.request("POST", "/v1/swaps", body, idempotency_key=idempotency_key)

    def accept(self, swap: dict[str, Any], *, expect: dict[str, Any] | None = None) -> dict[str, Any]:
        """Signs and sends the acceptance of ``swap``'s terms. ``expect``: fields the bank agreed to
        off-band (e.g. amounts); a mismatch refuses to sign."""
        terms = {k: str(v) for k, v in swap["terms"].items()}
        for key, value in (expect or {}).items():
            if str(terms.get(key)).lower() != str(value).lower():
                raise ValueError(f"the swap's {key} is {terms.get(key)}, not the agreed {value}: not accepting")
        if swap["model"] == "pvp":
            body = {"signature": self.signer.sign_pvp(swap["leg_a"]["ledger"], terms)}
        else:
            order = {k: (v if k in ("initiator", "counterparty", "sellCurrency", "buyCurrency", "hashlock", "quoteHash") else int(v))
                     for k, v in terms.items()}  # fmt: skip
            signature, lock_signature, lock_nonce = self.signer.htlc_accept(order)
            body = {"signature": signature, "lock_signature": lock_signature, "lock_nonce": lock_nonce}
        return self.request("POST", f"/v1/swaps/{swap['id']}/accept", body)

    def reveal(self, order: HtlcOrder) -> dict[str, Any]:
        """Reveals the secret only after verifying on both ledgers that both legs are locked as agreed."""
        self.verify_locked(order)
        return self.request("POST", f"/v1/swaps/{order.swap_id}/secret", {"secret": "0x" + order.secret.hex()})

    def verify_locked(self, order: HtlcOrder) -> None:
        o = order.order
        for currency, sender, receiver, amount, expiry in (
            (o.sellCurrency, o.initiator, o.counterparty, o.sellAmount, o.initiatorExpiry),
            (o.buyCurrency, o.counterparty, o.initiator, o.buyAmount, o.counterpartyExpiry),
        ):
            ledger = self.network.ledger_of(currency)
            htlc = Web3(Web3.HTTPProvider(ledger.rpc_url)).eth.contract(address=ledger.htlc, abi=_HTLC_ABI)
            lock_id = htlc.functions.lockIdOf(sender, o.hashlock).call()
            stored = htlc.functions.storedCommitment(lock_id).call()
            if stored == b"\0" * 32:
                raise LockNotVerified(f"the {currency} leg is not locked on ledger {ledger.name}: not revealing the secret")
            # the open lock must commit to exactly the agreed token, parties, amount, hashlock and expiry
            expected = htlc.functions.commitmentOf((self.network.token(currency), sender, receiver, amount, o.hashlock, expiry)).call()
            if stored != expected:
                raise LockNotVerified(f"the {currency} lock on ledger {ledger.name} does not match the agreed terms")

    def ensure_allowances(self, currencies: list[str] | None = None) -> list[str]:
        """Approves both escrows (PvP and HTLC) for every currency, sent directly to each ledger with the
        bank's own key; returns the transaction hashes (none when already approved)."""
        sent = []
        for code in currencies or list(self.network.currencies):
            ledger = self.network.ledger_of(code)
            w3 = Web3(Web3.HTTPProvider(ledger.rpc_url))
            token = w3.eth.contract(address=self.network.token(code), abi=_ERC20_ABI)
            for spender in (ledger.pvp, ledger.htlc):
                if token.functions.allowance(self.account.address, spender).call() >= 2**255:
                    continue
                tx = token.functions.approve(spender, 2**256 - 1).build_transaction({
                    "from": self.account.address, "nonce": w3.eth.get_transaction_count(self.account.address, "pending"),
                    "chainId": ledger.chain_id})  # fmt: skip
                tx_hash = w3.eth.send_raw_transaction(self.account.sign_transaction(tx).raw_transaction)
                w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
                sent.append(Web3.to_hex(tx_hash))
        return sent

    def cancel(self, swap_id: str) -> dict[str, Any]:
        return self.request("POST", f"/v1/swaps/{swap_id}/cancel")

    def swap(self, swap_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/swaps/{swap_id}")

    def swaps(self, **filters: Any) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in filters.items() if v is not None)
        return self.request("GET", "/v1/swaps" + (f"?{query}" if query else ""))

    def wait_for(self, swap_id: str, states: set[str], *, timeout: float = 60.0) -> dict[str, Any]:
        """Waits until the swap reaches one of ``states`` and returns it as it is then.

        Follows the swap's server-sent events rather than polling, so the bank learns of each
        transition at once and the bridge serves one open stream instead of a stream of requests.
        A state passed through on the way (e.g. ``locked_b`` while the swap moved on) counts.
        """
        swap = self.swap(swap_id)
        if swap["state"] in states:
            return swap
        deadline = time.monotonic() + timeout
        try:
            for entry in self.events(swap_id, timeout=timeout):
                if entry["to"] in states:
                    return self.swap(swap_id)
                if time.monotonic() > deadline:
                    break
        except httpx.TimeoutException:
            pass
        except httpx.HTTPError as exc:  # the stream broke: the bridge went away
            raise BridgeRequestError(0, {"error": "unreachable", "detail": f"{self._http.base_url}: {exc}"}) from exc
        swap = self.swap(swap_id)
        if swap["state"] in states:
            return swap
        raise TimeoutError(f"swap {swap_id} is {swap['state']} after {timeout}s, waited for {sorted(states)}")

    def events(self, swap_id: str, *, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Each transition of ``swap_id`` as it happens (server-sent events), until it finishes.
        ``timeout`` bounds the wait for the next event (``httpx.TimeoutException``); None waits forever."""
        path = f"/v1/swaps/{swap_id}/events"
        headers = {"X-Corridor-Participant": self.participant, **sign_request(self.account, "GET", path, b"")}
        with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise BridgeRequestError(response.status_code, response.json() if response.content else {})
            for line in response.iter_lines():
                if line.startswith("data: "):
                    yield json.loads(line[6:])


def _ints(terms: dict[str, Any]) -> dict[str, Any]:
    return {k: (int(v) if k not in ("partyA", "partyB", "tokenA", "tokenB") else v) for k, v in terms.items()}

"""The bank's HTTP client for the bridge. Every request is signed with the bank's key; instructions
are built and signed locally (:mod:`bridge.sdk.signer`) and kept in the bank's own store
(:mod:`bridge.sdk.store`) before they are sent; before revealing a secret the client checks on the
ledgers themselves that both legs are locked as agreed and that the clock rule holds
(:mod:`bridge.domain.timing`).

Retries are safe: every POST carries an Idempotency-Key (for an acceptance or a reveal, derived from
the swap id, and the acceptance re-sent is the one first signed, with the same lock nonce), so a
retry after a lost answer gets the first answer back. Every non-2xx answer, JSON or not, raises
:class:`BridgeRequestError`."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import decode_hex
from web3 import Web3

from bridge.api.auth import sign_request
from bridge.domain.timing import reveal_check
from corridor.abi import AbiFunction
from corridor.typed_data import lock_id_of
from corridor.errors import CorridorError
from bridge.sdk.sign_in import ChallengeRefused, check_challenge
from bridge.sdk.signer import BankSigner, HtlcOrder, NetworkInfo
from bridge.sdk.store import MemoryStore, OrderStore

_HTLC_ABI = [
    {"type": "function", "name": "storedCommitment", "stateMutability": "view",
     "inputs": [{"name": "lockId", "type": "bytes32"}], "outputs": [{"type": "bytes32"}]},
    {"type": "function", "name": "commitmentOf", "stateMutability": "pure",
     "inputs": [{"name": "terms", "type": "tuple", "components": [
         {"name": "token", "type": "address"}, {"name": "sender", "type": "address"}, {"name": "receiver", "type": "address"},
         {"name": "amount", "type": "uint256"}, {"name": "hashlock", "type": "bytes32"}, {"name": "expiry", "type": "uint64"}]}],
     "outputs": [{"type": "bytes32"}]},
]  # fmt: skip


class BridgeRequestError(CorridorError):
    """The bridge answered 4xx/5xx (carries its JSON error body), or could not be reached (status 0).
    ``retry_after``: seconds the bridge asked to wait (503: a ledger or the database is unavailable)."""

    def __init__(self, status: int, body: dict[str, Any], *, retry_after: float | None = None) -> None:
        self.status = status
        self.error = body.get("error")
        self.detail = body.get("detail")
        self.field = body.get("field")
        self.retry_after = retry_after
        self.dropped = False  # the connection broke while the request was sent or its answer awaited
        super().__init__(f"{status} {self.error}: {self.detail} (field {self.field})")

    @property
    def retryable(self) -> bool:
        """The same request (same Idempotency-Key) may succeed later: unreachable, or 503."""
        return self.status in (0, 502, 503, 504)


_ERC20_ABI = [
    {"type": "function", "name": "allowance", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}], "outputs": [{"type": "uint256"}]},
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "spender", "type": "address"}, {"name": "value", "type": "uint256"}], "outputs": [{"type": "bool"}]},
]  # fmt: skip


class LockNotVerified(Exception):
    """A leg is not locked on chain as agreed: the secret must not be revealed."""


class BridgeClient:
    """``store``: where the bank keeps what it signs (True: its default folder, see
    :mod:`bridge.sdk.store`; False: in memory only; or an :class:`OrderStore`). ``retries``: how many
    times a request that got no answer or a 503 is sent again (same Idempotency-Key), waiting as the
    bridge's ``Retry-After`` says (at most ``max_retry_wait`` seconds)."""

    def __init__(self, base_url: str, participant: str, account: LocalAccount, *, timeout: float = 30.0,
                 store: OrderStore | bool = True, retries: int = 0, max_retry_wait: float = 10.0) -> None:  # fmt: skip
        self.participant = participant
        self.account = account
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._network: NetworkInfo | None = None
        self._signer: BankSigner | None = None
        if store is True:
            store = OrderStore.for_bank(participant)
        self.store: OrderStore = store if isinstance(store, OrderStore) else MemoryStore()
        self.retries = retries
        self.max_retry_wait = max_retry_wait

    def close(self) -> None:
        self._http.close()

    # ─── transport ───────────────────────────────────────────────────────────────────────

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, *, idempotency_key: str | None = None) -> Any:
        """Sends a signed request; the JSON answer. Raises :class:`BridgeRequestError` on any non-2xx
        answer (whatever its body) or none; retries as ``retries`` says, with the same key."""
        key = (idempotency_key or uuid.uuid4().hex) if method == "POST" else None
        attempt, dropped = 0, False
        while True:
            try:
                return self._send(method, path, body, key)
            except BridgeRequestError as exc:
                if exc.dropped and not dropped:
                    # A pooled connection the server (or a proxy) had just closed: sent again at once on a new
                    # one, signed afresh (a signature is accepted once) with the same Idempotency-Key, so a
                    # request that did reach the bridge gets its first answer back, not a second effect.
                    dropped = True
                    continue
                if not exc.retryable or attempt >= self.retries:
                    raise
                attempt += 1
                time.sleep(min(exc.retry_after or 0.5 * attempt, self.max_retry_wait))

    def _send(self, method: str, path: str, body: dict[str, Any] | None, key: str | None) -> Any:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {"X-Corridor-Participant": self.participant, **sign_request(self.account, method, path, raw)}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            response = self._http.request(method, path, content=raw if body is not None else None, headers=headers)
        except httpx.HTTPError as exc:
            error = BridgeRequestError(0, {"error": "unreachable", "detail": f"{self._http.base_url}: {exc}"})
            error.dropped = isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError))
            raise error from exc
        try:
            payload: Any = response.json() if response.content else {}
        except ValueError:  # not JSON (a proxy's error page, a crashed server): still the SDK's error
            payload = None
        if response.status_code >= 400 or payload is None:
            raise _error(response, payload)
        return payload

    # ─── the console ─────────────────────────────────────────────────────────────────────

    def console_link(self) -> str:
        """A one-time link that opens a console session as this participant: asks the bridge for a
        sign-in challenge, signs it here with the participant's key (EIP-191, as every request is
        signed) and returns the link. Open it in a browser within the challenge's lifetime (five
        minutes by default); it works once."""
        response = self._http.post("/console/login/challenge", json={"participant": self.participant})
        try:
            payload: Any = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400 or not isinstance(payload, dict):
            raise _error(response, payload)
        message = payload.get("message")
        try:  # the key signs only the console's challenge for this bridge and this account (see sign_in)
            check_challenge(message if isinstance(message, str) else "", str(self._http.base_url), self.account.address)
        except ChallengeRefused as exc:
            raise BridgeRequestError(0, {"error": "challenge_refused", "detail": str(exc)}) from exc
        signature = "0x" + bytes(self.account.sign_message(encode_defunct(text=message)).signature).hex()
        return f"{self._http.base_url}/console/login/link?challenge={payload['id']}&signature={signature}"

    # ─── network ─────────────────────────────────────────────────────────────────────────

    @property
    def network(self) -> NetworkInfo:
        if self._network is None:
            info = self.request("GET", "/v1/network")
            self.store.keep_network(info)  # the escape hatch needs it without the bridge
            self._network = NetworkInfo.from_json(info)
        return self._network

    @property
    def signer(self) -> BankSigner:
        """Signs locally; everything it signs is kept in :attr:`store` first."""
        if self._signer is None:
            self._signer = BankSigner(self.account, self.network, keep=self.store.keep)
        return self._signer

    def rate(self, base: str, quote: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/rates/{base}/{quote}")

    def quote(self, base: str, quote: str, side: str, amount: int) -> dict[str, Any]:
        return self.request("POST", "/v1/quotes", {"base": base, "quote": quote, "side": side, "amount": amount})

    # ─── swaps ───────────────────────────────────────────────────────────────────────────

    def htlc_order_at_quote(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, now: int,
                            max_deviation_bps: int = 50) -> HtlcOrder:  # fmt: skip
        """A signed linked-ledger order at a fresh signed quote's mid, bound to that quote (hash and validity)."""
        return self.htlc_orders_at_quote(counterparty=counterparty, sell=sell, sell_amount=sell_amount, buy=buy, now=now,
                                         max_deviation_bps=max_deviation_bps)[0]  # fmt: skip

    def htlc_orders_at_quote(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, now: int, count: int = 1,
                             max_deviation_bps: int = 50) -> list[HtlcOrder]:  # fmt: skip
        """``count`` orders of ``sell_amount`` each at one fresh signed quote, each with its own secret."""
        quote = self.quote(sell, buy, "sell", sell_amount)
        return [self.signer.htlc_order(counterparty=counterparty, sell=sell, sell_amount=sell_amount, buy=buy,
                                       rate=int(quote["quote"]["mid"]), now=now, quote_hash=bytes.fromhex(quote["hash"][2:]),
                                       quote_valid_until=int(quote["quote"]["valid_until"]), max_deviation_bps=max_deviation_bps)
                for _ in range(count)]  # fmt: skip

    def submit_pvp(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, rate: int, deadline: int,
                   max_deviation_bps: int = 50, idempotency_key: str | None = None) -> dict[str, Any]:  # fmt: skip
        ledger, terms, signature = self.signer.pvp_order(counterparty=counterparty, sell=sell, sell_amount=sell_amount,
                                                         buy=buy, rate=rate, deadline=deadline, max_deviation_bps=max_deviation_bps)  # fmt: skip
        return self.request("POST", "/v1/swaps", {"model": "pvp", "ledger": ledger, "terms": _ints(terms), "signature": signature},
                            idempotency_key=idempotency_key)  # fmt: skip

    def submit_htlc(self, order: HtlcOrder, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Submits a signed linked-ledger order (kept in the store when it was signed). The default
        Idempotency-Key is derived from the swap id: submitting the same order again is answered
        with the first answer."""
        body = {"model": "htlc", "order": order.order.to_json(), "signature": order.signature,
                "lock_signature": order.lock_signature, "lock_nonce": order.lock_nonce}  # fmt: skip
        return self.request("POST", "/v1/swaps", body, idempotency_key=idempotency_key or f"submit:{order.swap_id}")

    def accept(self, swap: dict[str, Any], *, expect: dict[str, Any] | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        """Signs and sends the acceptance of ``swap``'s terms. ``expect``: fields the bank agreed to
        off-band (e.g. amounts); a mismatch refuses to sign. A retry (same swap) sends the acceptance
        first signed, with the same lock nonce, under the same Idempotency-Key (default: derived from
        the swap id), so an acceptance whose answer was lost is answered, not refused."""
        return self.request("POST", f"/v1/swaps/{swap['id']}/accept", self._acceptance(swap, expect),
                            idempotency_key=idempotency_key or f"accept:{swap['id']}")  # fmt: skip

    def _acceptance(self, swap: dict[str, Any], expect: dict[str, Any] | None) -> dict[str, Any]:
        terms = {k: str(v) for k, v in swap["terms"].items()}
        for key, value in (expect or {}).items():
            if str(terms.get(key)).lower() != str(value).lower():
                raise ValueError(f"the swap's {key} is {terms.get(key)}, not the agreed {value}: not accepting")
        kept = self.store.get(swap["id"])
        if kept is not None and kept.get("role") == "counterparty" and kept.get("signature"):  # signed before: the same again
            if swap["model"] == "pvp":
                return {"signature": kept["signature"]}
            return {"signature": kept["signature"], "lock_signature": kept["lock_signature"], "lock_nonce": int(kept["lock_nonce"])}
        if swap["model"] == "pvp":
            return {"signature": self.signer.sign_pvp(swap["leg_a"]["ledger"], terms)}
        order = {k: (v if k in ("initiator", "counterparty", "sellCurrency", "buyCurrency", "hashlock", "quoteHash") else int(v))
                 for k, v in terms.items()}  # fmt: skip
        signature, lock_signature, lock_nonce = self.signer.htlc_accept(order)
        return {"signature": signature, "lock_signature": lock_signature, "lock_nonce": lock_nonce}

    def reveal(self, order: HtlcOrder, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Reveals the secret only after verifying on both ledgers that both legs are locked as agreed
        and that the clock rule holds (:meth:`verify_locked_many`). Idempotency-Key: derived from the
        swap id unless given."""
        kept = self.store.get(order.swap_id) or {}
        if not kept.get("secret_sent_at"):  # a retry of a reveal already sent checks nothing: the secret is out
            self.verify_locked(order)
            self.store.keep({"swap_id": order.swap_id, "secret_sent_at": int(time.time())})
        return self.request("POST", f"/v1/swaps/{order.swap_id}/secret", {"secret": "0x" + order.secret.hex()},
                            idempotency_key=idempotency_key or f"reveal:{order.swap_id}")  # fmt: skip

    def verify_locked(self, order: HtlcOrder) -> None:
        self.verify_locked_many([order])

    def verify_locked_many(self, orders: list[HtlcOrder]) -> None:
        """Checks on the ledgers themselves (not the bridge) that both legs of every order are locked,
        each lock committing to exactly the agreed token, parties, amount, hashlock and expiry, and
        that the clock rule holds on each ledger's own clock: leg A has at least the safety margin
        left on ledger A, leg B time enough to be claimed on ledger B. One JSON-RPC batch per ledger;
        raises :class:`LockNotVerified` at the first order that fails (its secret must not move)."""
        reads: dict[str, list[tuple[str, bytes, tuple[Any, ...]]]] = {}
        for order in orders:
            o = order.order
            for currency, sender, receiver, amount, expiry in (
                (o.sellCurrency, o.initiator, o.counterparty, o.sellAmount, o.initiatorExpiry),
                (o.buyCurrency, o.counterparty, o.initiator, o.buyAmount, o.counterpartyExpiry),
            ):
                terms = (self.network.token(currency), sender, receiver, amount, o.hashlock, expiry)
                reads.setdefault(self.network.ledger_of(currency).name, []).append((currency, lock_id_of(sender, o.hashlock), terms))
        clocks: dict[str, int] = {}
        for name, legs in reads.items():
            ledger = self.network.ledgers[name]
            calls = []
            for _, lock_id, terms in legs:
                calls.append({"to": ledger.htlc, "data": _STORED_COMMITMENT.calldata(lock_id)})
                calls.append({"to": ledger.htlc, "data": _COMMITMENT_OF.calldata(terms)})
            answers, clocks[name] = _eth_calls(ledger.rpc_url, calls)
            for index, (currency, _, _) in enumerate(legs):
                stored, expected = answers[2 * index], answers[2 * index + 1]
                if stored == b"\0" * 32:
                    raise LockNotVerified(f"the {currency} leg is not locked on ledger {name}: not revealing the secret")
                if stored != expected:
                    raise LockNotVerified(f"the {currency} lock on ledger {name} does not match the agreed terms")
        for order in orders:
            o = order.order
            name_a, name_b = self.network.ledger_of(o.sellCurrency).name, self.network.ledger_of(o.buyCurrency).name
            check = reveal_check(expiry_a=o.initiatorExpiry, clock_a=clocks[name_a], expiry_b=o.counterpartyExpiry,
                                 clock_b=clocks[name_b], margin=self.network.safety_margin, claim_safety=self.network.claim_safety)  # fmt: skip
            if not check.allowed:
                raise LockNotVerified(f"swap {order.swap_id}: {check.reason} (ledger {name_a} leg A, ledger {name_b} leg B): "
                                      "not revealing the secret")  # fmt: skip

    # ─── instruction files: many instructions per request, recorded all or none ─────────

    def pvp_instruction(self, *, counterparty: str, sell: str, sell_amount: int, buy: str, rate: int, deadline: int,
                        max_deviation_bps: int = 50) -> dict[str, Any]:  # fmt: skip
        """One signed same-ledger order, for :meth:`submit_many`."""
        ledger, terms, signature = self.signer.pvp_order(counterparty=counterparty, sell=sell, sell_amount=sell_amount,
                                                         buy=buy, rate=rate, deadline=deadline, max_deviation_bps=max_deviation_bps)  # fmt: skip
        return {"model": "pvp", "ledger": ledger, "terms": _ints(terms), "signature": signature}

    @staticmethod
    def htlc_instruction(order: HtlcOrder) -> dict[str, Any]:
        """One signed linked-ledger order (see :meth:`htlc_order_at_quote`), for :meth:`submit_many`."""
        return {"model": "htlc", "order": order.order.to_json(), "signature": order.signature,
                "lock_signature": order.lock_signature, "lock_nonce": order.lock_nonce}  # fmt: skip

    def submit_many(self, instructions: list[dict[str, Any]], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Submits an instruction file: ``{"items": [{"id", "state"}...], "seq"}``, in the file's order."""
        return self.request("POST", "/v1/swaps/batch", {"swaps": instructions}, idempotency_key=idempotency_key)

    def accept_many(self, swaps: list[dict[str, Any]], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Signs and sends the acceptances of ``swaps`` (as the bridge shows them: :meth:`swaps`, :meth:`swap`);
        a retry re-sends the same acceptances (see :meth:`accept`)."""
        acceptances = [{"id": swap["id"], **self._acceptance(swap, None)} for swap in swaps]
        return self.request("POST", "/v1/swaps/batch/accept", {"acceptances": acceptances},
                            idempotency_key=idempotency_key or _key("accept", [swap["id"] for swap in swaps]))  # fmt: skip

    def reveal_many(self, orders: list[HtlcOrder], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Reveals the secrets of ``orders`` once every leg of every one is verified locked on chain."""
        unsent = [order for order in orders if not (self.store.get(order.swap_id) or {}).get("secret_sent_at")]
        self.verify_locked_many(unsent)  # a retry checks nothing for secrets already sent: they are out
        for order in unsent:
            self.store.keep({"swap_id": order.swap_id, "secret_sent_at": int(time.time())})
        secrets = [{"id": order.swap_id, "secret": "0x" + order.secret.hex()} for order in orders]
        return self.request("POST", "/v1/swaps/batch/secrets", {"secrets": secrets},
                            idempotency_key=idempotency_key or _key("reveal", [order.swap_id for order in orders]))  # fmt: skip

    def wait_all(self, swap_ids: list[str], states: set[str], *, after: int = 0, timeout: float = 60.0) -> dict[str, str]:
        """Waits until every swap in ``swap_ids`` has reached one of ``states`` (passing through counts),
        following the caller's event stream from journal position ``after`` (the ``seq`` a bulk request
        answered). Returns the state each reached; raises TimeoutError naming how many are missing."""
        waiting, reached = set(swap_ids), {}
        deadline = time.monotonic() + timeout
        for entry in self.follow(after, until=deadline):
            if entry["swap_id"] in waiting and entry["to"] in states:
                waiting.discard(entry["swap_id"])
                reached[entry["swap_id"]] = entry["to"]
                if not waiting:
                    return reached
        # Last, each swap's own journal: a backstop for an entry the stream did not deliver before the
        # deadline (the bridge makes journal positions visible in order, on SQLite and PostgreSQL alike).
        for swap_id in list(waiting):
            passed = [t["to"] for t in self.swap(swap_id)["transitions"] if t["to"] in states]
            if passed:
                waiting.discard(swap_id)
                reached[swap_id] = passed[0]
        if waiting:
            raise TimeoutError(f"{len(waiting)} of {len(swap_ids)} swaps did not reach {sorted(states)} in {timeout}s")
        return reached

    def follow(self, after: int = 0, *, until: float | None = None) -> Iterator[dict[str, Any]]:
        """Every transition of the caller's swaps after journal position ``after``, as it happens
        (``GET /v1/events``, reconnecting as each stream ends), until ``time.monotonic()`` passes ``until``."""
        dropped = False
        while until is None or time.monotonic() < until:
            follow = 60.0 if until is None else max(1.0, min(until - time.monotonic(), 60.0))
            path = f"/v1/events?after={after}&follow_seconds={follow:.1f}"
            headers = {"X-Corridor-Participant": self.participant, **sign_request(self.account, "GET", path, b"")}
            try:
                with self._http.stream("GET", path, headers=headers, timeout=follow + 10) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise _error(response)
                    dropped = False
                    for entry in _stream(response):
                        after = max(after, int(entry["seq"]))
                        yield entry
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                if dropped:  # twice in a row, the second time on a new connection: the bridge went away
                    raise BridgeRequestError(0, {"error": "unreachable", "detail": f"{self._http.base_url}: {exc}"}) from exc
                dropped = True  # a connection dropped (a stale pooled one, a restart): resume after the last entry
            except httpx.HTTPError as exc:  # the stream broke: the bridge went away
                raise BridgeRequestError(0, {"error": "unreachable", "detail": f"{self._http.base_url}: {exc}"}) from exc

    @staticmethod
    def agreed(instruction: dict[str, Any], swap_id: str) -> dict[str, Any]:
        """The swap as both banks agreed it, built from the initiator's own ``instruction`` (as
        :meth:`pvp_instruction` / :meth:`htlc_instruction` made it): what the counterparty signs when it
        accepts from its own trade record rather than from what the bridge shows."""
        if instruction["model"] == "pvp":
            return {"id": swap_id, "model": "pvp", "terms": instruction["terms"], "leg_a": {"ledger": instruction["ledger"]}}
        return {"id": swap_id, "model": "htlc", "terms": instruction["order"]}

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
                raise _error(response)
            yield from _stream(response)


_STORED_COMMITMENT = AbiFunction.of(_HTLC_ABI, "storedCommitment")
_COMMITMENT_OF = AbiFunction.of(_HTLC_ABI, "commitmentOf")


def _eth_calls(rpc_url: str, calls: list[dict[str, str]]) -> tuple[list[bytes], int]:
    """``eth_call`` each of ``calls`` in one JSON-RPC batch with the ledger's clock (the pending block's
    time, else the latest's): the raw return data in order, and that time."""
    n = len(calls)
    payload = [{"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [call, "latest"]} for i, call in enumerate(calls)]
    payload += [{"jsonrpc": "2.0", "id": n, "method": "eth_getBlockByNumber", "params": ["latest", False]},
                {"jsonrpc": "2.0", "id": n + 1, "method": "eth_getBlockByNumber", "params": ["pending", False]}]  # fmt: skip
    try:
        answers = {answer["id"]: answer for answer in httpx.post(rpc_url, json=payload, timeout=10).json()}
        clock = int(answers[n]["result"]["timestamp"], 16)
        pending = answers[n + 1].get("result")
        if isinstance(pending, dict) and pending.get("timestamp"):
            clock = max(clock, int(pending["timestamp"], 16))
        return [decode_hex(answers[i]["result"]) for i in range(n)], clock
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise LockNotVerified(f"cannot read the locks on {rpc_url}: {exc}") from exc


def _stream(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The data of each server-sent ``transition`` event; an ``error`` event (the bridge's database
    failed under the stream) raises :class:`BridgeRequestError` 503: reconnect later."""
    event = "message"
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: "):
            data = json.loads(line[6:])
            if event == "error":
                raise BridgeRequestError(503, data, retry_after=5)
            yield data
        elif not line:
            event = "message"


def _error(response: httpx.Response, payload: Any = ...) -> BridgeRequestError:
    """The SDK's error for a non-2xx (or unreadable) answer, whatever its body."""
    if payload is ...:
        try:
            payload = response.json() if response.content else {}
        except ValueError:
            payload = None
    error = payload if isinstance(payload, dict) else {"error": "http_error", "detail": response.text[:300] or response.reason_phrase}
    retry_after = response.headers.get("Retry-After")
    return BridgeRequestError(response.status_code, error, retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None)


def _key(action: str, swap_ids: list[str]) -> str:
    """An Idempotency-Key for ``action`` on exactly these swaps (a retry of the same file reuses it)."""
    return f"{action}-many:" + hashlib.sha256(",".join(swap_ids).encode()).hexdigest()[:32]


def _ints(terms: dict[str, Any]) -> dict[str, Any]:
    return {k: (int(v) if k not in ("partyA", "partyB", "tokenA", "tokenB") else v) for k, v in terms.items()}

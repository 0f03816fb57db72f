"""Talks to one ledger: sends locally signed transactions, waits for receipts and turns contract
reverts into :class:`ChainRejected` errors that name the custom error and its arguments.

Knows web3; knows nothing of HTTP APIs or SQL.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import decode_hex, keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, TransactionNotFound, Web3RPCError
from web3.types import TxParams, TxReceipt

from corridor.abi import AbiFunction, canonical_type
from corridor.artifacts import Artifact
from corridor.errors import ChainError, ChainRejected, LedgerUnavailable
from corridor.transport import CircuitBreaker, GuardedTransport, RpcTimeouts

logger = logging.getLogger(__name__)

_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")


def events_in(receipt: TxReceipt | dict[str, Any], event: Any) -> list[Any]:
    """The ``event`` logs (a contract's ``contract.events.Name()``) that its own contract emitted in
    ``receipt``, decoded. Only logs from that address with that event's topic are decoded, so a receipt
    that also carries token transfers or other events decodes cleanly: no ``MismatchedABI`` warning and
    no error silently discarded."""
    address = str(event.address).lower()
    topic = bytes(event.topic) if not isinstance(event.topic, str) else decode_hex(event.topic)
    return [event.process_log(log) for log in receipt["logs"]
            if str(log["address"]).lower() == address and log["topics"] and bytes(log["topics"][0]) == topic]  # fmt: skip


class ErrorDecoder:
    """Maps 4-byte error selectors from contract ABIs to names and typed arguments."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [canonical_type(i) for i in item["inputs"]]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._errors[selector] = (item["name"], types, [i["name"] for i in item["inputs"]])

    def decode(self, data: str | bytes | None) -> tuple[str, dict[str, Any]]:
        raw = decode_hex(data) if isinstance(data, str) else (data or b"")
        selector, body = raw[:4], raw[4:]
        if selector == _ERROR_STRING:
            return "Error", {"reason": abi_decode(["string"], body)[0]}
        if selector == _PANIC:
            return "Panic", {"code": abi_decode(["uint256"], body)[0]}
        if selector in self._errors:
            name, types, names = self._errors[selector]
            values = abi_decode(types, body)
            return name, {n or f"arg{i}": _render(v, t) for i, (n, v, t) in enumerate(zip(names, values, types, strict=True))}
        return "UnknownError", {"data": "0x" + raw.hex()}


def _render(value: Any, abi_type: str = "") -> Any:
    """An error argument as people read it: a currency (``bytes3``) as ``CNY``, a pair (``bytes6``) as
    ``EUR/CHF`` (never hex), other bytes as hex, addresses checksummed."""
    if isinstance(value, bytes):
        if abi_type in ("bytes3", "bytes6") and value.isascii() and value.decode().isalpha() and value.decode().isupper():
            text = value.decode()
            return text if len(text) == 3 else f"{text[:3]}/{text[3:]}"
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    return value


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _rpc_session(transport: requests.adapters.HTTPAdapter | None = None) -> requests.Session:
    """One HTTP session for a ledger's RPC, shared by the bridge's threads (its pool is thread-safe),
    with room for each of them, over ``transport`` (the ledger's timeouts and circuit breaker). The
    environment (proxies, .netrc) is consulted only when a proxy is configured: otherwise requests
    would look for a .netrc file on every call."""
    session = requests.Session()
    session.trust_env = any(os.environ.get(name) for name in _PROXY_VARIABLES)
    adapter = transport or requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class PreparedCall:
    """A contract call already ABI-encoded (see :class:`corridor.abi.AbiFunction`): sent as is."""

    to: str
    data: str


class LedgerClient:
    """Sends signed transactions to one ledger, one nonce stream per signing account."""

    def __init__(
        self,
        name: str,
        w3: Web3,
        *,
        decoder: ErrorDecoder,
        confirmations: int = 1,
        receipt_timeout: float = 60.0,
        transport: GuardedTransport | None = None,
        session: requests.Session | None = None,
        chain_id: int | None = None,
    ) -> None:
        self.name = name
        self.w3 = w3
        self.decoder = decoder
        self.confirmations = confirmations
        self.receipt_timeout = receipt_timeout
        self.transport = transport
        self._nonces: dict[str, int] = {}
        self._nonce_lock = threading.Lock()
        self._fee_fields: dict[str, int] | None = None
        self._gas_limit: int | None = None
        self._contracts: dict[tuple[str, str], Contract] = {}
        self._rpc_url = str(getattr(w3.provider, "endpoint_uri", "") or "")
        self._rpc_session = session or _rpc_session(transport)
        self._rpc_ids = iter(range(1, 2**62))
        self.chain_id = chain_id if chain_id is not None else w3.eth.chain_id
        # True once the node has shown a pending block timed after its head (anvil does: its pending block
        # carries its own clock); such a node's clock needs no stand-in while it is idle
        self.live_pending = False

    @classmethod
    def connect(cls, name: str, rpc_url: str, *, decoder: ErrorDecoder, confirmations: int = 1,
                timeouts: RpcTimeouts | None = None, chain_id: int | None = None) -> LedgerClient:  # fmt: skip
        """A client for the ledger at ``rpc_url``, its calls bounded by ``timeouts`` and guarded by a
        circuit breaker (:mod:`corridor.transport`); web3's own retries are off (a retried call to a
        hung node would multiply its timeout). With ``chain_id`` given, the ledger need not answer now
        (a bridge may start while a ledger is down); otherwise its chain id is read at once."""
        transport = GuardedTransport(CircuitBreaker(name), timeouts)
        session = _rpc_session(transport)
        w3 = Web3(Web3.HTTPProvider(rpc_url, session=session, exception_retry_configuration=None))
        # Every transaction is signed here with the chain id read once below, and no ENS names are
        # used: these two middlewares would cost an eth_chainId round trip on every call.
        for middleware in ("validation", "ens_name_to_address"):
            w3.middleware_onion.remove(middleware)
        return cls(name, w3, decoder=decoder, confirmations=confirmations, transport=transport, session=session, chain_id=chain_id)

    @property
    def breaker(self) -> CircuitBreaker | None:
        """This ledger's circuit breaker (None for a client built over a bare Web3)."""
        return self.transport.breaker if self.transport is not None else None

    @property
    def rpc_url(self) -> str:
        return self._rpc_url

    def set_timeouts(self, timeouts: RpcTimeouts) -> None:
        """Bounds every later call to this ledger by ``timeouts``."""
        if self.transport is not None:
            self.transport.timeouts = timeouts

    def clock(self) -> int:
        """The ledger's time as the next transaction will see it: the pending block's timestamp when
        the node offers one (an automining ledger's latest block can be long past), else the latest
        block's. One round trip."""
        answers = self._rpc_batch([("eth_getBlockByNumber", ["latest", False]), ("eth_getBlockByNumber", ["pending", False])])
        return self._clock_of(answers[0], answers[1])

    def _clock_of(self, latest_answer: dict[str, Any], pending_answer: dict[str, Any]) -> int:
        latest = int(self._result(latest_answer)["timestamp"], 16)
        pending = pending_answer.get("result") if "error" not in pending_answer else None
        if not (isinstance(pending, dict) and pending.get("timestamp")):
            return latest
        pending_time = int(pending["timestamp"], 16)
        if pending_time > latest:
            self.live_pending = True
        return max(latest, pending_time)

    # ─── contracts ───────────────────────────────────────────────────────────────────────

    def contract(self, artifact: Artifact, address: str) -> Contract:
        """The contract at ``address``; built once per (artifact, address), as building one parses its ABI."""
        key = (artifact.name, address.lower())
        contract = self._contracts.get(key)
        if contract is None:
            contract = self._contracts[key] = self.w3.eth.contract(address=to_checksum_address(address), abi=artifact.abi)
        return contract

    def deploy(self, account: LocalAccount, artifact: Artifact, *args: Any) -> Contract:
        """Deploys ``artifact`` with constructor ``args``, signed by ``account``."""
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = self.transact(account, factory.constructor(*args))
        address = receipt["contractAddress"]
        logger.info("deployed ledger=%s contract=%s address=%s", self.name, artifact.name, address)
        return self.contract(artifact, address)

    # ─── transactions ────────────────────────────────────────────────────────────────────

    def transact(self, account: LocalAccount, call: Any, *, gas: int | None = None) -> TxReceipt:
        """Estimates, signs, sends and waits for ``call``; raises :class:`ChainRejected` on a revert."""
        tx_hash = self.send(account, call, gas=gas)
        return self.wait(tx_hash)

    def send(self, account: LocalAccount, call: Any, *, gas: int | None = None) -> str:
        """Signs and sends ``call`` (a contract function or constructor); returns the tx hash at once.

        Gas is estimated first, so a call the contract would refuse raises :class:`ChainRejected`
        before anything is sent and no nonce is spent.
        """
        params: TxParams = {"from": account.address, "chainId": self.chain_id, **self._fees()}  # type: ignore[typeddict-item]
        if isinstance(call, PreparedCall):
            params = {**params, "to": call.to, "data": call.data}  # type: ignore[typeddict-item]
        if gas is None:
            gas = self._estimate(call, params)
        with self._nonce_lock:
            nonce = self._next_nonce(account.address)
            if isinstance(call, PreparedCall):
                tx = {**params, "gas": gas, "nonce": nonce}
            else:
                tx = call.build_transaction({**params, "gas": gas, "nonce": nonce})
            signed = account.sign_transaction(tx)
            try:
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except LedgerUnavailable:  # it may or may not have arrived: resync the nonce stream next time
                self._nonces.pop(account.address, None)
                raise
            except Exception as exc:  # the node refused it: resync the nonce stream next time
                self._nonces.pop(account.address, None)
                raise ChainError(ledger=self.name, reason=f"send failed: {exc}") from exc
            self._nonces[account.address] = nonce + 1
        return "0x" + bytes(tx_hash).hex()

    def send_simulated(self, account: LocalAccount, call: PreparedCall, *, gas: int) -> str:
        """Runs ``call`` once as an ``eth_call`` with gas limit ``gas`` (at most the block's), then sends
        it with that limit; raises :class:`ChainRejected`, sending nothing, when the simulation fails.

        For large batches: estimating their gas would execute them a dozen times over (a binary
        search; 200 ms for a batch of 100 on anvil), one simulation costs one execution. An unused
        gas limit costs nothing: fees are charged on the gas used.
        """
        gas = min(gas, self._block_gas_limit())
        params: TxParams = {"from": account.address, "to": call.to, "data": call.data, "gas": gas}  # type: ignore[typeddict-item]
        try:
            self.w3.eth.call(params)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._rejected(exc) from exc
        except Web3RPCError as exc:  # e.g. out of gas at this limit: no revert data to decode
            raise ChainRejected(ledger=self.name, error="Reverted", args={"message": str(exc)}) from exc
        return self.send(account, call, gas=gas)

    def _block_gas_limit(self) -> int:
        if self._gas_limit is None:
            self._gas_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
        return self._gas_limit

    def wait(self, tx_hash: str) -> TxReceipt:
        """Waits for the receipt (and the ledger's confirmation depth); raises on a failed transaction."""
        receipt = self._receipt(tx_hash)
        if receipt["status"] != 1:
            raise ChainError(ledger=self.name, reason="transaction reverted", tx_hash=tx_hash)
        if self.confirmations > 1:
            target = receipt["blockNumber"] + self.confirmations - 1
            while self.w3.eth.block_number < target:
                threading.Event().wait(0.1)
        return receipt

    def _receipt(self, tx_hash: str) -> TxReceipt:
        """Polls for the receipt from 2 ms up, doubling to at most 100 ms between tries: an instantly
        mining ledger (anvil) answers within milliseconds, a ledger with block times is not flooded."""
        deadline = time.monotonic() + self.receipt_timeout
        delay = 0.002
        while True:
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                pass
            if time.monotonic() > deadline:
                raise ChainError(ledger=self.name, reason="no receipt in time", tx_hash=tx_hash)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def call(self, fn: ContractFunction) -> Any:
        """A read-only call, with reverts decoded like transactions."""
        try:
            return fn.call()
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._rejected(exc) from exc

    def call_many(self, *fns: ContractFunction) -> list[Any]:
        """Several read-only calls in one JSON-RPC batch (one round trip), reverts decoded like :meth:`call`."""
        try:
            with self.w3.batch_requests() as batch:
                for fn in fns:
                    batch.add(fn)
                return list(batch.execute())
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._rejected(exc) from exc

    def snapshot(self, reads: Sequence[tuple[str, AbiFunction, tuple[Any, ...]]]) -> tuple[int, list[Any]]:
        """The ledger's clock (as :meth:`clock`: the pending block's time when the node offers one, else
        the latest block's) and the result of each read ``(contract address, function, args)``, all in
        one JSON-RPC batch (one round trip). A read that reverts yields its :class:`ChainRejected` in
        its place instead of failing the others."""
        calls = [("eth_getBlockByNumber", ["latest", False]), ("eth_getBlockByNumber", ["pending", False])]
        calls += [("eth_call", [{"to": to, "data": fn.calldata(*args)}, "latest"]) for to, fn, args in reads]
        answers = self._rpc_batch(calls)
        timestamp = self._clock_of(answers[0], answers[1])
        results: list[Any] = []
        for (_, fn, _), answer in zip(reads, answers[2:], strict=True):
            error = answer.get("error")
            if error is not None:
                data = error.get("data")
                if not isinstance(data, str):
                    raise ChainError(ledger=self.name, reason=f"eth_call {fn.name} failed: {error.get('message')}")
                name, args = self.decoder.decode(data)
                results.append(ChainRejected(ledger=self.name, error=name, args=args))
            else:
                results.append(fn.decode(decode_hex(answer["result"])))
        return timestamp, results

    def _rpc_batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Sends ``calls`` as one JSON-RPC batch; the answers in the order of ``calls``."""
        ids = [next(self._rpc_ids) for _ in calls]
        payload = [{"jsonrpc": "2.0", "id": i, "method": method, "params": params} for i, (method, params) in zip(ids, calls, strict=True)]
        try:
            response = self._rpc_session.post(self._rpc_url, json=payload, timeout=30)
            response.raise_for_status()
            answers = {answer["id"]: answer for answer in response.json()}
            return [answers[i] for i in ids]
        except LedgerUnavailable:
            raise
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise ChainError(ledger=self.name, reason=f"JSON-RPC batch failed: {exc}") from exc

    def _result(self, answer: dict[str, Any]) -> Any:
        if "error" in answer:
            raise ChainError(ledger=self.name, reason=f"JSON-RPC error: {answer['error']}")
        return answer["result"]

    def _estimate(self, call: Any, params: TxParams) -> int:
        try:
            if isinstance(call, PreparedCall):
                estimate = int(self.w3.eth.estimate_gas(params))
            else:
                estimate = int(call.estimate_gas(params))
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._rejected(exc) from exc
        return estimate + estimate // 5 + 10_000  # headroom for state drift between estimate and inclusion

    def _rejected(self, exc: Exception) -> ChainRejected:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        name, args = self.decoder.decode(data if isinstance(data, str | bytes) else None)
        if name == "UnknownError" and not data:
            return ChainRejected(ledger=self.name, error="Reverted", args={"message": str(exc)})
        return ChainRejected(ledger=self.name, error=name, args=args)

    def reset_nonces(self) -> None:
        """Forgets cached nonces (after a chain revert, or when another process used the same key)."""
        with self._nonce_lock:
            self._nonces.clear()

    def _next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            self._nonces[address] = self.w3.eth.get_transaction_count(address, "pending")  # type: ignore[arg-type]
        return self._nonces[address]

    def _fees(self) -> dict[str, int]:
        """Fee fields for this ledger: zero on gas-free permissioned networks, EIP-1559 otherwise."""
        if self._fee_fields is None:
            base_fee = self.w3.eth.get_block("latest").get("baseFeePerGas")
            gas_price = int(self.w3.eth.gas_price)
            if gas_price == 0 and not base_fee:
                self._fee_fields = {"gasPrice": 0}
            elif base_fee is None:
                self._fee_fields = {"gasPrice": gas_price}
            else:
                tip = 10**9
                self._fee_fields = {"maxFeePerGas": 4 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}
        return self._fee_fields

"""Regression tests for the defects a pilot bank's developer found integrating from the published contract."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bridge.api.auth import SECP256K1_N, sign_request
from bridge.engine.coordinator import Coordinator
from bridge.sdk.client import BridgeClient, BridgeRequestError
from bridge.sdk.signer import BankSigner
from corridor.network import Network
from tests.integration.bridge.conftest import mid, now, quoted, run_until

pytestmark = pytest.mark.integration


def _signed(network: Network, method: str, path: str, body: bytes = b"", participant: str = "yangtze") -> dict[str, str]:
    return {"X-Corridor-Participant": participant, "Content-Type": "application/json",
            **sign_request(network.keys.account(participant), method, path, body)}  # fmt: skip


def _reencoded(signature: str) -> dict[str, str]:
    raw = bytes.fromhex(signature[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # (r, n - s, v') recovers the same signer
    return {"no 0x": signature[2:], "upper-case 0X": "0X" + signature[2:], "malleated high s": "0x" + malleated.hex(),
            "v as 0/1": "0x" + (raw[:64] + bytes([v - 27])).hex()}  # fmt: skip


def test_a_captured_request_is_refused_however_its_signature_is_rewritten(bridge_url: str, bridge_network: Network) -> None:
    headers = _signed(bridge_network, "GET", "/v1/swaps")
    assert httpx.get(bridge_url + "/v1/swaps", headers=headers).status_code == 200
    for name, signature in _reencoded(headers["X-Corridor-Signature"]).items():
        answer = httpx.get(bridge_url + "/v1/swaps", headers={**headers, "X-Corridor-Signature": signature})
        assert answer.status_code == 401, (name, answer.text)
        assert answer.json()["field"] == "X-Corridor-Signature", name
    # a fresh request written in a non-canonical form is refused too: one request, one accepted signature
    fresh = _signed(bridge_network, "GET", "/v1/swaps")
    for name, signature in _reencoded(fresh["X-Corridor-Signature"]).items():
        answer = httpx.get(bridge_url + "/v1/swaps", headers={**fresh, "X-Corridor-Signature": signature})
        assert answer.status_code == 401 and "replay" not in answer.json()["detail"], (name, answer.text)
    assert httpx.get(bridge_url + "/v1/swaps", headers=fresh).status_code == 200  # its canonical form still passes, once
    assert "replay" in httpx.get(bridge_url + "/v1/swaps", headers=fresh).json()["detail"]


@pytest.mark.parametrize("amount", ['"10000"', "10000.0", "1e4", "true"])
def test_integers_are_strict(bridge_url: str, bridge_network: Network, amount: str) -> None:
    body = ('{"base": "CNY", "quote": "HKD", "side": "buy", "amount": %s}' % amount).encode()
    answer = httpx.post(bridge_url + "/v1/quotes", content=body, headers=_signed(bridge_network, "POST", "/v1/quotes", body))
    assert answer.status_code == 422 and answer.json()["field"] == "amount", answer.text


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/swaps?since=0.5", "query.since"),
    ("/v1/swaps?since=1700000000", "query.since"),
    ("/v1/events?follow_seconds=1e9", "query.follow_seconds"),
    ("/v1/rates/CNY/CNY", "quote"),
])  # fmt: skip
def test_out_of_contract_parameters_are_refused(bridge_url: str, bridge_network: Network, path: str, field: str) -> None:
    answer = httpx.get(bridge_url + path, headers=_signed(bridge_network, "GET", path), timeout=10)
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text


def test_iso_since_is_accepted(bridge_url: str, bridge_network: Network) -> None:
    path = "/v1/swaps?since=2026-01-01T00:00:00Z"
    assert httpx.get(bridge_url + path, headers=_signed(bridge_network, "GET", path)).status_code == 200


def test_bodies_over_the_limit_get_413_and_malformed_json_says_where(bridge_url: str, bridge_network: Network) -> None:
    big = b'{"swaps": [' + b" " * (3 * 1024 * 1024) + b"]}"
    answer = httpx.post(bridge_url + "/v1/swaps/batch", content=big, headers=_signed(bridge_network, "POST", "/v1/swaps/batch", big))
    assert answer.status_code == 413 and answer.json()["error"] == "body_too_large"
    broken = b'{\n  "base": "CNY",\n  "quote": HKD\n}'
    answer = httpx.post(bridge_url + "/v1/quotes", content=broken, headers=_signed(bridge_network, "POST", "/v1/quotes", broken))
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "body" and "line 3, column 12" in answer.json()["detail"], answer.text


def test_a_swap_with_yourself_is_refused(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a = clients["yangtze"]
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    with pytest.raises(BridgeRequestError) as caught:
        a.submit_pvp(counterparty=a.account.address, sell="CNY", sell_amount=1_00, buy="HKD", rate=rate, deadline=now(bridge_network) + 600)
    assert (caught.value.status, caught.value.field) == (422, "terms.partyB")


def test_quotes_take_an_idempotency_key_and_concurrent_retries_get_the_first_answer(bridge_url: str, bridge_network: Network) -> None:
    body = json.dumps({"base": "CNY", "quote": "THB", "side": "sell", "amount": 1_000_00}).encode()

    def post(key: str) -> httpx.Response:
        return httpx.post(bridge_url + "/v1/quotes", content=body,
                          headers={**_signed(bridge_network, "POST", "/v1/quotes", body), "Idempotency-Key": key})  # fmt: skip

    first, second = post("quote-1"), post("quote-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["Idempotent-Replay"] == "true"
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(post, ["quote-2"] * 6))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["hash"] for a in answers}) == 1


def test_concurrent_identical_swap_retries_get_the_first_answer(clients: dict[str, BridgeClient], bridge_url: str,
                                                               bridge_network: Network) -> None:  # fmt: skip
    a, b = clients["yangtze"], clients["harbour"]
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    ledger, terms, signature = a.signer.pvp_order(counterparty=b.account.address, sell="CNY", sell_amount=2_00, buy="HKD", rate=rate,
                                                  deadline=now(bridge_network) + 600)  # fmt: skip
    body = json.dumps({"model": "pvp", "ledger": ledger, "terms": {k: (v if k.startswith(("party", "token")) else int(v)) for k, v in terms.items()},
                       "signature": signature}).encode()  # fmt: skip

    def post(_: int) -> httpx.Response:
        return httpx.post(bridge_url + "/v1/swaps", content=body,
                          headers={**_signed(bridge_network, "POST", "/v1/swaps", body), "Idempotency-Key": "same-order"}, timeout=30)  # fmt: skip

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(post, range(5)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1


def _idle(network: Network, seconds: int) -> None:
    """The ledgers' clocks move on without a block: an automining ledger left idle (its head grows old)."""
    for client in network.clients.values():
        client.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]


def test_after_an_idle_spell_quotes_start_at_the_next_block_and_stale_deadlines_are_refused(
        clients: dict[str, BridgeClient], bridge_network: Network) -> None:  # fmt: skip
    a, c, b = clients["yangtze"], clients["chaophraya"], clients["harbour"]
    head = now(bridge_network)
    _idle(bridge_network, 600)  # ten minutes with no block: the head is 600 s behind the next block's time
    quote = a.quote("CNY", "THB", "sell", 5_000_00)
    assert int(quote["quote"]["valid_from"]) >= head + 600  # not the old head's time
    next_block = int(quote["quote"]["valid_from"])
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    with pytest.raises(BridgeRequestError) as caught:  # a minute before the next block: already past, though after the head
        a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=1_00, buy="HKD", rate=rate, deadline=next_block - 60)
    assert (caught.value.status, caught.value.field) == (422, "terms.deadline")
    order = a.signer.htlc_order(counterparty=c.account.address, sell="CNY", sell_amount=5_000_00, buy="THB", rate=int(quote["quote"]["mid"]),
                                now=next_block, quote_hash=bytes.fromhex(quote["hash"][2:]),
                                quote_valid_until=int(quote["quote"]["valid_until"]))  # fmt: skip
    swap = a.submit_htlc(order)
    c.accept(swap)
    locked = a.wait_for(swap["id"], {"locked_b", "failed", "refunding"}, timeout=30)
    assert locked["state"] == "locked_b", locked  # no HtlcQuoteExpired at lock
    a.reveal(order)
    assert a.wait_for(swap["id"], {"settled"}, timeout=30)["state"] == "settled"


def test_a_quote_must_fit_the_order(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, c = clients["yangtze"], clients["chaophraya"]
    t = now(bridge_network)
    quote = a.quote("CNY", "THB", "sell", 5_000_00)
    kwargs = {"counterparty": c.account.address, "sell": "CNY", "buy": "THB", "now": t, "quote_hash": bytes.fromhex(quote["hash"][2:]),
              "quote_valid_until": int(quote["quote"]["valid_until"])}  # fmt: skip
    mid_rate = int(quote["quote"]["mid"])
    for changes, field in (({"sell_amount": 4_000_00, "rate": mid_rate}, "order.quoteHash"),
                           ({"sell_amount": 5_000_00, "rate": mid_rate * 101 // 100}, "order.rate")):  # fmt: skip
        order = a.signer.htlc_order(**kwargs, **changes, max_deviation_bps=200)
        with pytest.raises(BridgeRequestError) as caught:
            a.submit_htlc(order)
        assert (caught.value.status, caught.value.field) == (422, field), caught.value
    made_up = a.signer.htlc_order(**{**kwargs, "quote_hash": b"\x42" * 32}, sell_amount=5_000_00, rate=mid_rate)
    with pytest.raises(BridgeRequestError) as caught:
        a.submit_htlc(made_up)
    assert (caught.value.status, caught.value.field) == (422, "order.quoteHash")


def test_a_failed_swap_says_where_and_why(coordinator: Coordinator, signers: dict[str, BankSigner], bridge_network: Network) -> None:
    net, amount = bridge_network, 3_000_00
    order = signers["yangtze"].htlc_order(counterparty=signers["chaophraya"].address, sell="CNY", sell_amount=amount, buy="THB",
                                          rate=mid(net, "A", "CNY", "THB"), now=now(net), **quoted(coordinator, "yangtze", amount))  # fmt: skip
    swap = coordinator.submit_htlc("yangtze", order.order.to_json(), order.signature, order.lock_signature, order.lock_nonce)
    signature, lock_signature, lock_nonce = signers["chaophraya"].htlc_accept(order.order.to_json())
    coordinator.accept("chaophraya", swap.id, signature, lock_signature, lock_nonce)
    cny, alice = net.token("CNY"), net.keys.account("yangtze")
    net.clients["A"].transact(alice, cny.functions.approve(net.contract("A", "htlc").address, 0))  # leg A can never be locked
    assert run_until(coordinator, swap.id, {"failed"}, steps=3) == "failed"
    failure = coordinator.repo.get(swap.id).failure
    assert failure is not None and failure["step"] == "locking_a" and failure["ledger"] == "A"
    assert failure["error"] and failure["reason"].startswith("the CNY lock was refused"), failure
    net.clients["A"].transact(alice, cny.functions.approve(net.contract("A", "htlc").address, 2**256 - 1))

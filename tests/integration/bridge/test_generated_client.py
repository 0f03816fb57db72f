"""A bank integrates from the published contract alone.

A client is generated from ``/openapi.json`` with a standard generator (openapi-python-client) and
settles one same-ledger PvP swap and one cross-ledger HTLC swap, signing every request and every
instruction with eth-account from what ``GET /v1/signing`` publishes, and checking the locks and the
balances on chain with web3 and the published ABIs. Nothing from Corridor is imported here (the
fixtures only start the ledgers and the bridge and hand over the banks' keys); the signing helpers in
``tests/generated_client/bank_signing.py`` are general-purpose code written from docs/integration.md.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from tests.generated_client.bank_signing import amount_b, lock_id, request_headers, sign_typed, typed_digest, typed_message

pytestmark = pytest.mark.integration

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture()
def generated(bridge_url: str, tmp_path: Path) -> Iterator[Any]:
    """The client package openapi-python-client generates from the running bridge's /openapi.json."""
    spec = tmp_path / "openapi.json"
    spec.write_text(httpx.get(bridge_url + "/openapi.json").text)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"project_name_override": "corridor_api_client", "package_name_override": "corridor_api_client",
                                  "post_hooks": []}))  # fmt: skip
    out = tmp_path / "corridor_api_client"
    subprocess.run([str(GENERATOR), "generate", "--path", str(spec), "--meta", "none", "--output-path", str(out), "--config", str(config)],
                   check=True, cwd=tmp_path, capture_output=True)  # fmt: skip
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("corridor_api_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "corridor_api_client"]:
            del sys.modules[name]


class Bank:
    """One bank's view: a generated client whose every request is signed with the bank's key."""

    def __init__(self, api: Any, url: str, name: str, key: str, signing: dict[str, Any]) -> None:
        self.api, self.name, self.key = api, name, key
        template = signing["request_signing"]["template"]

        def sign(request: httpx.Request) -> None:
            body = request.read()
            request.headers.update(request_headers(key, name, template, request.method, request.url.path,
                                                   request.url.query.decode(), body, int(time.time()), secrets.token_hex(12)))  # fmt: skip

        self.client = api.client.Client(base_url=url, raise_on_unexpected_status=True, httpx_args={"event_hooks": {"request": [sign]}})

    def call(self, module: str, **kwargs: Any) -> Any:
        """Calls operation ``module`` (e.g. "market.create_quote"); a 4xx/5xx fails the test with its Error body."""
        tag, operation = module.split(".")
        endpoint = importlib.import_module(f"corridor_api_client.api.{tag}.{operation}")
        response = endpoint.sync_detailed(client=self.client, **kwargs)
        assert int(response.status_code) < 300, (module, response.status_code, response.content)
        return response.parsed


def _wait(bank: Bank, swap_id: str, states: set[str], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        swap = bank.call("swaps.get_swap", swap_id=swap_id)
        if swap.state in states or swap.state in {"failed", "refunded", "expired", "cancelled"}:
            return swap
        assert time.monotonic() < deadline, f"swap {swap_id} still {swap.state}"
        time.sleep(0.2)


def test_generated_client_settles_pvp_and_htlc_from_the_published_contract(generated: Any, bridge_url: str,
                                                                          bank_keys: dict[str, str]) -> None:  # fmt: skip
    api = generated
    anonymous = api.client.Client(base_url=bridge_url, raise_on_unexpected_status=True)
    from corridor_api_client.api.signing import get_signing  # the generated package (not Corridor's code)

    signing = get_signing.sync_detailed(client=anonymous)
    assert signing.status_code == 200
    published = json.loads(signing.content)  # the data as published, for signing
    yangtze, harbour, chaophraya = (Bank(api, bridge_url, name, bank_keys[name], published) for name in ("yangtze", "harbour", "chaophraya"))
    participants = {p.name: p.address for p in yangtze.call("market.list_participants")}
    currencies = {c.code: c for c in yangtze.call("market.list_currencies")}
    network = yangtze.call("market.get_network")
    eip712 = published["eip712"]
    token_abi = published["abis"]["token"]

    def balance(code: str, bank: str) -> int:
        ledger = network.ledgers[currencies[code].ledger]
        w3 = Web3(Web3.HTTPProvider(ledger.rpc_url))
        return int(w3.eth.contract(address=currencies[code].token, abi=token_abi).functions.balanceOf(participants[bank]).call())

    # ── same ledger: CNY for HKD, both on ledger A, PvP ─────────────────────────────────────────
    models = api.models
    quote = yangtze.call("market.create_quote", body=models.QuoteCreate(base="CNY", quote="HKD", side=models.QuoteCreateSide.SELL,
                                                                         amount=250_000_00))  # fmt: skip
    now = int(quote.quote.valid_from)  # the ledger's next block time
    rate = int(quote.quote.mid)
    cny, hkd = currencies["CNY"], currencies["HKD"]
    terms = {"partyA": participants["yangtze"], "tokenA": cny.token, "amountA": 250_000_00, "partyB": participants["harbour"],
             "tokenB": hkd.token, "amountB": amount_b(250_000_00, rate, cny.decimals, hkd.decimals), "rate": rate,
             "maxDeviationBps": 50, "deadline": now + 600, "nonce": secrets.randbits(64)}  # fmt: skip
    pvp_set = eip712["pvp_swap"]
    message = typed_message(pvp_set, pvp_set["domains"][cny.ledger], terms)
    before = {(code, bank): balance(code, bank) for code in ("CNY", "HKD") for bank in ("yangtze", "harbour")}
    swap = yangtze.call("swaps.submit_swap", body=models.PvPSwapCreate.from_dict(
        {"model": "pvp", "ledger": cny.ledger, "terms": terms, "signature": sign_typed(yangtze.key, message)}))  # fmt: skip
    assert swap.id == typed_digest(message) and swap.state == "proposed"
    shown = harbour.call("swaps.get_swap", swap_id=swap.id)
    agreed = {k: (int(v) if k not in ("partyA", "partyB", "tokenA", "tokenB") else v) for k, v in shown.terms.to_dict().items()}
    assert agreed == terms  # the counterparty signs only what it agreed to
    harbour.call("swaps.accept_swap", swap_id=swap.id, body=models.SwapAccept(signature=sign_typed(harbour.key, typed_message(
        pvp_set, pvp_set["domains"][cny.ledger], agreed))))  # fmt: skip
    done = _wait(yangtze, swap.id, {"settled"})
    assert done.state == "settled", done.to_dict()
    assert balance("CNY", "yangtze") == before[("CNY", "yangtze")] - 250_000_00
    assert balance("CNY", "harbour") == before[("CNY", "harbour")] + 250_000_00
    assert balance("HKD", "harbour") == before[("HKD", "harbour")] - terms["amountB"]
    assert balance("HKD", "yangtze") == before[("HKD", "yangtze")] + terms["amountB"]

    # ── linked ledgers: CNY (ledger A) for THB (ledger B), HTLC ─────────────────────────────────
    thb = currencies["THB"]
    quote = yangtze.call("market.create_quote", body=models.QuoteCreate(base="CNY", quote="THB", side=models.QuoteCreateSide.SELL,
                                                                         amount=80_000_00))  # fmt: skip
    now, rate = int(quote.quote.valid_from), int(quote.quote.mid)
    secret = os.urandom(32)
    hashlock = "0x" + hashlib.sha256(secret).hexdigest()
    margin = published["rules"]["htlc"]["safety_margin_seconds"]
    order = {"initiator": participants["yangtze"], "counterparty": participants["chaophraya"], "sellCurrency": "CNY",
             "sellAmount": 80_000_00, "buyCurrency": "THB", "buyAmount": amount_b(80_000_00, rate, cny.decimals, thb.decimals),
             "rate": rate, "maxDeviationBps": 50, "hashlock": hashlock, "initiatorExpiry": now + 1800 + margin + 1200,
             "counterpartyExpiry": now + 1800, "deadline": now + 600, "nonce": secrets.randbits(64), "quoteHash": quote.to_dict()["hash"],
             "quoteValidUntil": int(quote.quote.valid_until)}  # fmt: skip
    order_set, lock_set = eip712["swap_order"], eip712["lock_authorisation"]
    order_message = typed_message(order_set, order_set["domains"][cny.ledger], order)
    swap_id = typed_digest(order_message)

    def lock_authorisation(leg: str, key: str, signed_order: dict[str, Any], nonce: int) -> str:
        o = signed_order
        if leg == "a":
            fields = (cny.token, o["initiator"], o["counterparty"], o["sellAmount"], o["initiatorExpiry"], cny.ledger)
        else:
            fields = (thb.token, o["counterparty"], o["initiator"], o["buyAmount"], o["counterpartyExpiry"], thb.ledger)
        token, sender, receiver, amount, expiry, ledger = fields
        values = {"token": token, "sender": sender, "receiver": receiver, "amount": amount, "hashlock": o["hashlock"], "expiry": expiry,
                  "swapId": swap_id, "quoteHash": o["quoteHash"], "quoteValidUntil": o["quoteValidUntil"], "nonce": nonce}  # fmt: skip
        return sign_typed(key, typed_message(lock_set, lock_set["domains"][ledger], values))

    lock_nonce_a = secrets.randbits(64)
    before = {(code, bank): balance(code, bank) for code in ("CNY", "THB") for bank in ("yangtze", "chaophraya")}
    swap = yangtze.call("swaps.submit_swap", body=models.HtlcSwapCreate.from_dict({
        "model": "htlc", "order": order, "signature": sign_typed(yangtze.key, order_message),
        "lock_signature": lock_authorisation("a", yangtze.key, order, lock_nonce_a), "lock_nonce": lock_nonce_a}))  # fmt: skip
    assert swap.id == swap_id
    shown = chaophraya.call("swaps.get_swap", swap_id=swap_id).terms.to_dict()
    agreed = {k: (v if k in ("initiator", "counterparty", "sellCurrency", "buyCurrency", "hashlock", "quoteHash") else int(v))
              for k, v in shown.items()}  # fmt: skip
    assert agreed == order
    lock_nonce_b = secrets.randbits(64)
    chaophraya.call("swaps.accept_swap", swap_id=swap_id, body=models.SwapAccept(
        signature=sign_typed(chaophraya.key, typed_message(order_set, order_set["domains"][cny.ledger], agreed)),
        lock_signature=lock_authorisation("b", chaophraya.key, agreed, lock_nonce_b), lock_nonce=lock_nonce_b))  # fmt: skip
    assert _wait(yangtze, swap_id, {"locked_b", "claiming_b", "claiming_a", "settled"}).state == "locked_b"

    # before revealing: both locks on chain commit to exactly the agreed terms (eth_call, published HTLC ABI)
    htlc_abi = published["abis"]["htlc"]
    for code, sender, receiver, amount, expiry in (("CNY", order["initiator"], order["counterparty"], order["sellAmount"], order["initiatorExpiry"]),
                                                    ("THB", order["counterparty"], order["initiator"], order["buyAmount"], order["counterpartyExpiry"])):  # fmt: skip
        ledger = currencies[code].ledger
        w3 = Web3(Web3.HTTPProvider(network.ledgers[ledger].rpc_url))
        htlc = w3.eth.contract(address=published["contracts"][ledger]["htlc"], abi=htlc_abi)
        terms_tuple = (currencies[code].token, sender, receiver, amount, bytes.fromhex(hashlock[2:]), expiry)
        stored = htlc.functions.storedCommitment(bytes.fromhex(lock_id(sender, hashlock)[2:])).call()
        assert stored == htlc.functions.commitmentOf(terms_tuple).call(), f"the {code} lock does not match the agreed terms"
    yangtze.call("swaps.reveal_secret", swap_id=swap_id, body=models.SecretReveal(secret="0x" + secret.hex()))
    done = _wait(yangtze, swap_id, {"settled"})
    assert done.state == "settled", done.to_dict()
    assert balance("CNY", "yangtze") == before[("CNY", "yangtze")] - order["sellAmount"]
    assert balance("CNY", "chaophraya") == before[("CNY", "chaophraya")] + order["sellAmount"]
    assert balance("THB", "chaophraya") == before[("THB", "chaophraya")] - order["buyAmount"]
    assert balance("THB", "yangtze") == before[("THB", "yangtze")] + order["buyAmount"]

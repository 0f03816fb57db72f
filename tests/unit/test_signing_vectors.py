"""The test vectors published in docs/integration.md hold for Corridor's own signer and for the
independent signer the generated-client test uses (eth-account only, written from the published
contract), and the EIP-712 types published at GET /v1/signing are the ones the contracts hash."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak

from bridge.api.auth import request_message, sign_request, verify
from bridge.domain.orders import SwapOrder, order_id, order_message
from bridge.engine.signing_info import contract_type_string, eip712_types, parse_type_string
from bridge.errors import Unauthenticated
from corridor.typed_data import (RATE_ONE, Swap, amount_at, compact_signature, digest, lock_authorisation_message, lock_id_of, sign,
                                 swap_message)
from oracle.quotes import QUOTE_TERMS_FIELDS, Quote
from tests.generated_client import bank_signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
TEMPLATE = "CORRIDOR-REQUEST\n{method}\n{path}\n{body_sha256}\n{timestamp}\n{nonce}"


def _vectors() -> dict[str, Any]:
    found = re.search(r"<!-- test-vectors:begin -->\s*```json\n(.*?)```\s*<!-- test-vectors:end -->", DOC.read_text(), re.S)
    assert found, "docs/integration.md has no test-vector block"
    return json.loads(found.group(1))


VECTORS = _vectors()
KEY = VECTORS["key"]


def _published_types() -> dict[str, dict[str, Any]]:
    """The type sets as GET /v1/signing publishes them (contract sources; the bridge's SwapOrder)."""
    domain = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}, {"name": "chainId", "type": "uint256"}]
    contract_domain = [*domain, {"name": "verifyingContract", "type": "address"}]
    sample = order_message(0, SwapOrder("0x" + "00" * 20, "0x" + "00" * 20, "", 0, "", 0, 0, 0, b"\0" * 32, 0, 0, 0, 0, b"\0" * 32, 0))
    return {
        "pvp_swap": {"primaryType": "Swap", "types": {"EIP712Domain": contract_domain, **eip712_types("Swap")}},
        "swap_order": {"primaryType": "SwapOrder", "types": sample["types"]},
        "lock_authorisation_leg_a": {"primaryType": "LockAuthorisation",
                                     "types": {"EIP712Domain": contract_domain, **eip712_types("LockAuthorisation")}},
    }  # fmt: skip


def test_the_vector_key_is_the_vector_address() -> None:
    assert Account.from_key(KEY).address == VECTORS["address"]


@pytest.mark.parametrize("vector", VECTORS["requests"], ids=lambda v: f"{v['method']} {v['path']}")
def test_request_vectors(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    path = vector["path"] + (f"?{vector['query']}" if vector["query"] else "")
    # Corridor's signer and verifier
    assert request_message(vector["method"], path, body, vector["timestamp"], vector["nonce"]) == vector["canonical_text"]
    headers = sign_request(Account.from_key(KEY), vector["method"], path, body, vector["timestamp"], vector["nonce"])
    assert headers["X-Corridor-Signature"] == vector["signature"]
    stamp, _ = verify(participant="bank", timestamp=str(vector["timestamp"]), nonce=vector["nonce"], signature=vector["signature"],
                      expected_address=VECTORS["address"], method=vector["method"], path=path, body=body, now=vector["timestamp"])  # fmt: skip
    assert stamp == vector["timestamp"]
    # the independent signer
    text = bank_signing.canonical_request(TEMPLATE, vector["method"], vector["path"], vector["query"], body, vector["timestamp"], vector["nonce"])
    assert text == vector["canonical_text"]
    assert bank_signing.sign_text(KEY, text) == vector["signature"]


def test_only_the_canonical_signature_is_accepted() -> None:
    vector = VECTORS["requests"][0]
    raw = bytes.fromhex(vector["signature"][2:])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = raw[:32] + (n - int.from_bytes(raw[32:64], "big")).to_bytes(32, "big") + bytes([55 - raw[64]])
    for bad in (vector["signature"][2:], "0x" + high_s.hex(), "0x" + (raw[:64] + bytes([raw[64] - 27])).hex(), vector["signature"] + "00"):
        with pytest.raises(Unauthenticated):
            verify(participant="bank", timestamp=str(vector["timestamp"]), nonce=vector["nonce"], signature=bad,
                   expected_address=VECTORS["address"], method=vector["method"], path=vector["path"], body=vector["body"].encode(),
                   now=vector["timestamp"])  # fmt: skip


@pytest.mark.parametrize("name", ["pvp_swap", "swap_order", "lock_authorisation_leg_a"])
def test_eip712_vectors_with_the_independent_signer(name: str) -> None:
    vector = VECTORS["eip712"][name]
    message = bank_signing.typed_message(_published_types()[name], vector["domain"], vector["message"])
    assert bank_signing.typed_digest(message) == vector["digest"]
    assert bank_signing.sign_typed(KEY, message) == vector["signature"]


def test_eip712_vectors_with_corridors_signer() -> None:
    account = Account.from_key(KEY)
    pvp = VECTORS["eip712"]["pvp_swap"]
    swap = Swap(**pvp["message"])
    message = swap_message(pvp["domain"]["chainId"], pvp["domain"]["verifyingContract"], swap)
    assert "0x" + digest(message).hex() == pvp["digest"] and "0x" + sign(account, message).hex() == pvp["signature"]
    vector = VECTORS["eip712"]["swap_order"]
    order = SwapOrder.from_json(vector["message"])
    assert order_id(vector["domain"]["chainId"], order) == vector["digest"]
    assert "0x" + sign(account, order_message(vector["domain"]["chainId"], order)).hex() == vector["signature"]
    lock = VECTORS["eip712"]["lock_authorisation_leg_a"]
    from bridge.domain.orders import lock_request

    request = lock_request(order, leg="a", token=lock["message"]["token"], swap_id=vector["digest"])
    message = lock_authorisation_message(lock["domain"]["chainId"], lock["domain"]["verifyingContract"], request, lock["message"]["nonce"])
    assert "0x" + digest(message).hex() == lock["digest"] and "0x" + sign(account, message).hex() == lock["signature"]
    r, vs = compact_signature(sign(account, message))
    assert "0x" + (r + vs).hex() == lock["signature_compact"] == bank_signing.compact_signature(lock["signature"])


def test_lock_id_and_amount_rounding_vectors() -> None:
    lock = VECTORS["lock_id"]
    assert "0x" + hashlib.sha256(bytes.fromhex(lock["secret"][2:])).hexdigest() == lock["hashlock"]
    assert "0x" + lock_id_of(lock["sender"], bytes.fromhex(lock["hashlock"][2:])).hex() == lock["lock_id"]
    assert bank_signing.lock_id(lock["sender"], lock["hashlock"]) == lock["lock_id"]
    rounding = VECTORS["amount_b"]
    args = (rounding["amount_a"], rounding["rate"], rounding["decimals_a"], rounding["decimals_b"])
    assert amount_at(*args) == bank_signing.amount_b(*args) == rounding["amount_b"]


def test_published_types_are_the_contracts_and_the_code_agrees() -> None:
    """The type strings are read from the contracts' sources; Corridor's Python builders use the same fields."""
    sample = Swap("0x" + "00" * 20, "0x" + "00" * 20, 0, "0x" + "00" * 20, "0x" + "00" * 20, 0, 0, 0, 0, 0)
    assert eip712_types("Swap")["Swap"] == swap_message(1, "0x" + "00" * 20, sample)["types"]["Swap"]
    assert eip712_types("Quote")["QuoteTerms"] == QUOTE_TERMS_FIELDS
    assert keccak(text=contract_type_string("Quote")).hex() == keccak(
        text="Quote(QuoteTerms terms,uint64 validUntil)QuoteTerms(" + ",".join(f"{f['type']} {f['name']}" for f in QUOTE_TERMS_FIELDS) + ")").hex()
    quote = Quote("CNY", "THB", "sell", 1, RATE_ONE, RATE_ONE, 5, 1, 0, 10, "0x" + "00" * 20)
    assert quote.message()["types"]["Quote"] == eip712_types("Quote")["Quote"]
    assert parse_type_string("A(uint256 x,B b)B(string s)") == {"A": [{"name": "x", "type": "uint256"}, {"name": "b", "type": "B"}],
                                                               "B": [{"name": "s", "type": "string"}]}  # fmt: skip

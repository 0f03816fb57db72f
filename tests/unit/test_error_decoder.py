"""Revert data decodes to the custom error's name and named arguments."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from corridor.chain import ErrorDecoder

ABI = [
    {"type": "error", "name": "LockExpired", "inputs": [{"name": "lockId", "type": "bytes32"}, {"name": "expiresAt", "type": "uint64"}]},
    {"type": "error", "name": "Ineligible", "inputs": [{"name": "account", "type": "address"}]},
    {"type": "function", "name": "f", "inputs": [], "outputs": []},
]


def test_custom_error_is_decoded_with_names() -> None:
    data = keccak(text="LockExpired(bytes32,uint64)")[:4] + encode(["bytes32", "uint64"], [b"\x11" * 32, 99])
    name, args = ErrorDecoder([ABI]).decode("0x" + data.hex())
    assert name == "LockExpired"
    assert args == {"lockId": "0x" + "11" * 32, "expiresAt": 99}


def test_address_argument_is_checksummed() -> None:
    data = keccak(text="Ineligible(address)")[:4] + encode(["address"], ["0x" + "ab" * 20])
    assert ErrorDecoder([ABI]).decode(data) == ("Ineligible", {"account": to_checksum_address("0x" + "ab" * 20)})


def test_error_string_and_panic() -> None:
    decoder = ErrorDecoder([])
    assert decoder.decode(bytes.fromhex("08c379a0") + encode(["string"], ["nope"])) == ("Error", {"reason": "nope"})
    assert decoder.decode(bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])) == ("Panic", {"code": 0x11})


def test_unknown_selector_keeps_the_raw_data() -> None:
    assert ErrorDecoder([ABI]).decode("0xdeadbeef") == ("UnknownError", {"data": "0xdeadbeef"})


def test_currency_and_pair_arguments_read_as_names_never_hex() -> None:
    abi = [{"type": "error", "name": "FxStale", "inputs": [{"name": "pair", "type": "bytes6"}, {"name": "observedAt", "type": "uint256"}]},
           {"type": "error", "name": "Unregistered", "inputs": [{"name": "currency", "type": "bytes3"}]},
           {"type": "error", "name": "BadBic", "inputs": [{"name": "bic", "type": "bytes11"}]}]  # fmt: skip
    decoder = ErrorDecoder([abi])
    stale = keccak(text="FxStale(bytes6,uint256)")[:4] + encode(["bytes6", "uint256"], [b"EURLTL", 7])
    assert decoder.decode(stale) == ("FxStale", {"pair": "EUR/LTL", "observedAt": 7})
    assert decoder.decode(keccak(text="Unregistered(bytes3)")[:4] + encode(["bytes3"], [b"THB"])) == ("Unregistered", {"currency": "THB"})
    # what is not a code stays hex, so nothing is hidden
    assert decoder.decode(keccak(text="Unregistered(bytes3)")[:4] + encode(["bytes3"], [b"\x00\x01\x02"]))[1] == {"currency": "0x000102"}
    assert decoder.decode(keccak(text="BadBic(bytes11)")[:4] + encode(["bytes11"], [b"PBOCCNBJ\0\0\0"]))[1]["bic"].startswith("0x")

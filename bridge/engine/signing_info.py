"""What a bank needs to sign anything for this network, as data (served at ``GET /v1/signing``).

Nothing here is written by hand where the contracts say it: the EIP-712 domains are read from each
deployed escrow (``eip712Domain()``, EIP-5267), the struct types are parsed from the type strings the
contracts hash (``_SWAP_TYPEHASH``, ``_AUTHORISATION_TYPEHASH``, ``_QUOTE_TYPEHASH`` in their sources),
the ABIs come from the compiled artifacts, and the limits from the contracts and the bridge's policy
in force. Only the linked-ledger ``SwapOrder`` is the bridge's own type (:mod:`bridge.domain.orders`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from bridge.domain.orders import BRIDGE_DOMAIN_NAME, SwapOrder, order_message
from bridge.domain.timing import NEXT_BLOCK_SKEW
from bridge.engine.chain import ChainView
from bridge.engine.intake import Policy
from corridor.artifacts import SOURCES_DIR
from corridor.typed_data import RATE_ONE

_TYPE_STRINGS = {  # (source file, constant) holding each struct's EIP-712 encodeType string
    "Swap": ("settlement/PvPEscrow.sol", "_SWAP_TYPEHASH"),
    "LockAuthorisation": ("settlement/HashedTimelockEscrow.sol", "_AUTHORISATION_TYPEHASH"),
    "Quote": ("settlement/HashedTimelockEscrow.sol", "_QUOTE_TYPEHASH"),
}
_DOMAIN_FIELDS = [("name", "string"), ("version", "string"), ("chainId", "uint256"), ("verifyingContract", "address"),
                  ("salt", "bytes32")]  # fmt: skip
_ABIS = {"htlc": "HashedTimelockEscrow", "pvp": "PvPEscrow", "token": "SettlementToken"}


@functools.cache
def contract_type_string(primary: str) -> str:
    """The encodeType string a contract hashes for ``primary`` (read from its source)."""
    path, constant = _TYPE_STRINGS[primary]
    source = (SOURCES_DIR / path).read_text()
    found = re.search(constant + r"\s*=\s*keccak256\(\s*\"([^\"]+)\"", source)
    if found is None:
        raise LookupError(f"{constant} not found in {path}")
    return found.group(1)


def parse_type_string(encoded: str) -> dict[str, list[dict[str, str]]]:
    """EIP-712 ``types`` from an encodeType string: ``A(uint256 x,B b)B(string s)`` ->
    ``{"A": [{"name": "x", "type": "uint256"}, …], "B": […]}``."""
    types = {}
    for name, fields in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\)", encoded):
        types[name] = [{"name": member, "type": kind} for kind, member in (field.split(" ") for field in fields.split(",") if field)]
    return types


def eip712_types(primary: str) -> dict[str, list[dict[str, str]]]:
    return parse_type_string(contract_type_string(primary))


def domain_of(chain: ChainView, ledger: str, contract: str) -> dict[str, Any]:
    """An escrow's EIP-712 domain as it reports it (EIP-5267 ``eip712Domain()``)."""
    fields, name, version, chain_id, verifying, salt, _ = chain.contract(ledger, contract).functions.eip712Domain().call()
    values = {"name": name, "version": version, "chainId": int(chain_id), "verifyingContract": verifying, "salt": "0x" + bytes(salt).hex()}
    present = [key for bit, (key, _) in enumerate(_DOMAIN_FIELDS) if int.from_bytes(bytes(fields), "big") >> bit & 1]
    return {key: values[key] for key in present}


def _domain_type(domain: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": key, "type": kind} for key, kind in _DOMAIN_FIELDS if key in domain]


def signing_info(chain: ChainView, policy: Policy, *, quote_validity: int, quote_spread_bps: int) -> dict[str, Any]:
    """What ``GET /v1/signing`` publishes besides the request-signing scheme (the API's own: see
    :mod:`bridge.api.routes.signing`); docs/integration.md walks through it."""
    network = chain.network
    settings = network.settings
    ledgers = list(settings.ledgers)
    pvp_domains = {ledger: domain_of(chain, ledger, "pvp") for ledger in ledgers}
    htlc_domains = {ledger: domain_of(chain, ledger, "htlc") for ledger in ledgers}
    order_domains = {ledger: {"name": BRIDGE_DOMAIN_NAME, "version": "1", "chainId": chain.client(ledger).chain_id} for ledger in ledgers}
    sample = order_message(0, SwapOrder("0x" + "00" * 20, "0x" + "00" * 20, "", 0, "", 0, 0, 0, b"\0" * 32, 0, 0, 0, 0, b"\0" * 32, 0))
    quote_types = eip712_types("Quote")
    max_deviation = {ledger: int(chain.contract(ledger, "pvp").functions.MAX_DEVIATION_BPS().call()) for ledger in ledgers}
    max_lock = {ledger: int(chain.contract(ledger, "htlc").functions.maxLockDuration().call()) for ledger in ledgers}
    return {
        "eip712": {
            "pvp_swap": {
                "what": "same-ledger swap: both parties sign the PvPEscrow Swap; the swap id is its EIP-712 digest",
                "primaryType": "Swap",
                "types": {"EIP712Domain": _domain_type(next(iter(pvp_domains.values()))), **eip712_types("Swap")},
                "domains": pvp_domains,
                "domain_rule": "the domain of the ledger both currencies live on",
            },
            "swap_order": {
                "what": "linked-ledger swap: both parties sign the SwapOrder; the swap id is its EIP-712 digest",
                "primaryType": "SwapOrder",
                "types": sample["types"],
                "domains": order_domains,
                "domain_rule": "the domain of the sell currency's ledger (the initiator's leg A)",
            },
            "lock_authorisation": {
                "what": "each party's authorisation for the bridge to lock its own HTLC leg (leg A: initiator pays sellAmount "
                        "to the counterparty; leg B: counterparty pays buyAmount to the initiator)",
                "primaryType": "LockAuthorisation",
                "types": {"EIP712Domain": _domain_type(next(iter(htlc_domains.values()))), **eip712_types("LockAuthorisation")},
                "domains": htlc_domains,
                "domain_rule": "the domain of the ledger of the leg being locked",
                "fields_from_order": {
                    "leg_a": {"token": "sellCurrency's token", "sender": "initiator", "receiver": "counterparty", "amount": "sellAmount",
                              "hashlock": "hashlock", "expiry": "initiatorExpiry", "swapId": "the swap id", "quoteHash": "quoteHash",
                              "quoteValidUntil": "quoteValidUntil", "nonce": "lock_nonce (chosen by the signer, used once)"},
                    "leg_b": {"token": "buyCurrency's token", "sender": "counterparty", "receiver": "initiator", "amount": "buyAmount",
                              "hashlock": "hashlock", "expiry": "counterpartyExpiry", "swapId": "the swap id", "quoteHash": "quoteHash",
                              "quoteValidUntil": "quoteValidUntil", "nonce": "lock_nonce (chosen by the signer, used once)"},
                },  # fmt: skip
            },
            "quote": {
                "what": "signed by the bridge's quote service (POST /v1/quotes answers hash, terms_hash, signature); a bank only cites "
                        "its hash and validity in a SwapOrder; the HTLC escrow recomputes the hash and checks the signer",
                "primaryType": "Quote",
                "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}], **quote_types},
                "domain": {"name": "Corridor Quotes", "version": "1"},
            },
        },
        "units": {
            "amounts": "integers in the currency's minor units (GET /v1/currencies: decimals)",
            "rate_decimals": 18,
            "rate": "units of the second currency per unit of the first, whole units, fixed point with 18 decimals "
                    "(PvP: tokenB per tokenA; SwapOrder: buyCurrency per sellCurrency)",
            "oracle_rate_decimals": 8,
            "oracle_rate": "GET /v1/rates: mid_fixed_8 has 8 decimals (multiply by 10^10 for a swap rate); quotes (POST /v1/quotes) "
                           "carry 18-decimal mid and rate",
            "rate_one": str(RATE_ONE),
            "amount_b": "floor(amountA * rate * 10^decimalsB / (10^18 * 10^decimalsA)); the bridge and the PvP escrow accept "
                        "amountB within 1 minor unit of it",
            "amount_b_tolerance_minor_units": 1,
            "integers": "JSON integers in requests (no strings, no floats); responses write integers beyond 2^53 inside `terms` "
                        "and `quote` as decimal strings",
        },
        "rules": {
            "max_amount_minor_units": policy.max_amount,
            "max_deviation_bps": max_deviation,
            "deviation": "|rate - oracle mid| * 10000 / mid <= maxDeviationBps (the PvP escrow checks amountB/amountA too)",
            "pvp": {"deadline": "after the ledger's next block time; the last second (inclusive) the swap may settle"},
            "htlc": {
                "safety_margin_seconds": policy.expiry_margin,
                "min_counterparty_window_seconds": policy.min_counterparty_window,
                "claim_safety_seconds": policy.claim_safety,
                "max_lock_seconds": max_lock,
                "order": [
                    "deadline > next block time (the counterparty must accept by then)",
                    f"counterpartyExpiry >= next block time + {policy.min_counterparty_window}",
                    f"initiatorExpiry >= counterpartyExpiry + {policy.expiry_margin} (the safety margin)",
                    f"initiatorExpiry <= next block time + {settings.settlement.htlc_max_lock_seconds}",
                    "deadline <= counterpartyExpiry",
                    "quoteValidUntil >= next block time, and quoteValidUntil <= counterpartyExpiry (a quote may not outlive a lock)",
                ],
                "reveal": f"the secret moves only while leg A has at least {policy.expiry_margin}s left on ledger A's clock and leg B "
                          f"at least {policy.claim_safety}s on ledger B's",
            },
            "quote": {
                "validity_seconds": quote_validity,
                "spread_bps": quote_spread_bps,
                "starts": "at the ledger's next block time",
                "fit": "a SwapOrder cites a quote issued to its initiator for its pair: quoted on the sell currency, side 'sell' and "
                       "amount sellAmount; on the buy currency, side 'buy' and amount buyAmount; the order's rate within "
                       f"{2 * quote_spread_bps + 1} bps of the quoted rate; quoteValidUntil exactly the quote's valid_until",
            },
            "next_block_time": "the ledger's pending block time when its node keeps one (anvil); else its head's time, or the "
                               f"bridge's clock when that is ahead of the head by at most {NEXT_BLOCK_SKEW}s (an idle head grows old)",
            "self_swap": "refused: the counterparty must be another participant",
        },
        "htlc": {
            "secret": "32 random bytes, kept by the initiator until both legs are locked",
            "hashlock": "sha256(secret)",
            "lock_id": "keccak256(abi.encode(address sender, bytes32 hashlock))",
            "commitment": "the escrow's commitmentOf(LockTerms(token, sender, receiver, amount, hashlock, expiry)); before revealing, "
                          "check storedCommitment(lockId) == commitmentOf(terms) on both ledgers (eth_call)",
            "claim_window": "block.timestamp < expiry; refund from expiry on",
            "calls": "lock(params, quote) locks the caller's funds; claim((token, sender, receiver, amount, expiry), secret) derives "
                     "the hashlock as sha256(secret); the escrow takes signatures compact (EIP-2098: r, vs = s | (v - 27) << 255)",
        },
        "contracts": {ledger: {"chain_id": chain.client(ledger).chain_id,
                               **{role: getattr(network.deployment.ledgers[ledger], role) for role in ("pvp", "htlc", "oracle", "registry")}}
                      for ledger in ledgers},  # fmt: skip
        "tokens": {code: {"ledger": settings.currency_ledger(code), "address": chain.token(code).address, "decimals": c.decimals,
                          "note": "token addresses repeat across ledgers: key tokens by (ledger, address)"}
                   for code, c in settings.currencies.items()},  # fmt: skip
        "abis": {name: network.build[artifact].abi for name, artifact in _ABIS.items()},
    }

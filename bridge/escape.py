"""The escape hatch: a party claims or refunds its HTLC leg directly on the ledger with its own key,
with no bridge running. Everything it needs is the order it signed and the network description."""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from bridge.domain.orders import SwapOrder
from bridge.sdk.signer import NetworkInfo
from corridor.artifacts import build
from corridor.chain import ErrorDecoder, LedgerClient
from corridor.typed_data import LockTerms


def leg_terms(order: SwapOrder, network: NetworkInfo, leg: str) -> tuple[str, LockTerms]:
    """(ledger, terms) of leg "a" (the initiator's) or "b" (the counterparty's)."""
    if leg == "a":
        ledger = network.ledger_of(order.sellCurrency)
        return ledger.name, LockTerms(network.token(order.sellCurrency), order.initiator, order.counterparty,
                                      order.sellAmount, order.hashlock, order.initiatorExpiry)  # fmt: skip
    if leg == "b":
        ledger = network.ledger_of(order.buyCurrency)
        return ledger.name, LockTerms(network.token(order.buyCurrency), order.counterparty, order.initiator,
                                      order.buyAmount, order.hashlock, order.counterpartyExpiry)  # fmt: skip
    raise ValueError("leg must be 'a' or 'b'")


def _htlc(network: NetworkInfo, ledger: str) -> tuple[LedgerClient, Any]:
    artifacts = build()
    info = network.ledgers[ledger]
    client = LedgerClient.connect(ledger, info.rpc_url, decoder=ErrorDecoder(artifacts.all_abis()))
    return client, client.contract(artifacts["HashedTimelockEscrow"], info.htlc)


def refund(account: LocalAccount, order: SwapOrder, network: NetworkInfo, leg: str) -> str:
    """Refunds ``leg`` to its sender (allowed from its expiry on); returns the tx hash."""
    ledger, terms = leg_terms(order, network, leg)
    client, htlc = _htlc(network, ledger)
    receipt = client.transact(account, htlc.functions.refund(terms.as_tuple()))
    return Web3.to_hex(receipt["transactionHash"])


def claim(account: LocalAccount, order: SwapOrder, network: NetworkInfo, leg: str, secret: bytes) -> str:
    """Claims ``leg`` for its receiver with the preimage (before its expiry); returns the tx hash."""
    ledger, terms = leg_terms(order, network, leg)
    client, htlc = _htlc(network, ledger)
    receipt = client.transact(account, htlc.functions.claim(terms.as_tuple(), secret))
    return Web3.to_hex(receipt["transactionHash"])

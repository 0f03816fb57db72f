"""Opening state for a fresh embedded network: the latest real ECB fixing observed now, and the
development banks' approvals of both escrows (on a real network each bank approves with its own key,
e.g. ``BridgeClient.ensure_allowances``)."""

from __future__ import annotations

from datetime import date

from corridor.network import Network
from oracle.publisher import Publication
from oracle.replay import publish_current


def publish_current_rates(network: Network, on: date | None = None) -> Publication:
    """Publishes the ECB fixings in force on ``on`` (default: the last day the shipped history has),
    stamped with the ledgers' current time so the oracle treats them as fresh. A configured pair with
    no usable fixing that day is left out and reads as unavailable; the others are published."""
    return publish_current(network, on)


def approve_development_banks(network: Network) -> None:
    for bank in network.settings.banks:
        account = network.keys.account(bank)
        for code in network.settings.currencies:
            ledger = network.settings.currency_ledger(code)
            token = network.token(code)
            for escrow in ("pvp", "htlc"):
                spender = network.contract(ledger, escrow).address
                if token.functions.allowance(account.address, spender).call() == 0:
                    network.clients[ledger].transact(account, token.functions.approve(spender, 2**256 - 1))

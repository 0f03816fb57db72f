"""Opening state for a fresh embedded network: the latest real ECB fixing observed now, and the
development banks' approvals of both escrows (on a real network each bank approves with its own key,
e.g. ``BridgeClient.ensure_allowances``)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from corridor.network import Network
from oracle.feeds import EcbHistoryFeed, StaticFeed
from oracle.replay import publisher_for


def publish_current_rates(network: Network, on: date | None = None) -> None:
    """Publishes the ECB fixings in force on ``on`` (default: the last day the shipped history has),
    stamped with the ledgers' current time so the oracle treats them as fresh."""
    history = EcbHistoryFeed()
    day = on or max(history.fixing_dates(date(2026, 1, 1), date(2100, 1, 1)) or [date(2026, 10, 30)])
    codes = network.settings.oracle.pairs
    rates = {code: history.fixing(code, day).rate for code in codes}
    # the earliest ledger clock: an observation may not be in the future on any ledger
    now = min(int(c.w3.eth.get_block("latest")["timestamp"]) for c in network.clients.values())
    feed = StaticFeed(rates, observed_at=datetime.fromtimestamp(now, timezone.utc))
    publisher = publisher_for(network)
    publisher.publish(publisher.fixings(feed, day, codes))


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

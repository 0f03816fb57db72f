"""Bridge fixtures: a coordinator over the session's deployed network with a fresh SQLite file per
test, banks' signers, approvals in place, and the oracle publishing today's rates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bridge.engine.coordinator import Coordinator
from bridge.server import ServerThread
from bridge.engine.network_info import network_info
from bridge.sdk.client import BridgeClient
from bridge.sdk.signer import BankSigner, NetworkInfo
from bridge.store.swaps import SwapRepository
from corridor.network import Network
from oracle.feeds import StaticFeed
from oracle.replay import publisher_for

RATES = {"CNY": "7.80", "HKD": "8.46", "THB": "37.50", "CHF": "0.94"}  # per EUR


def publish_rates(network: Network) -> None:
    """Publishes RATES observed at the ledgers' current time, on every ledger."""
    now = max(int(c.w3.eth.get_block("latest")["timestamp"]) for c in network.clients.values())
    network.set_time(now + 1)  # both ledgers on one clock, so the observation is fresh and not future on either
    feed = StaticFeed(RATES, observed_at=datetime.fromtimestamp(now + 1, timezone.utc))
    publisher = publisher_for(network)
    publisher.publish(publisher.fixings(feed, datetime.now(timezone.utc).date(), list(RATES)))


from bridge.engine.rates import approve_development_banks as approve_all  # noqa: E402


@pytest.fixture()
def bridge_network(chain: Network) -> Network:
    approve_all(chain)
    publish_rates(chain)
    return chain


@pytest.fixture()
def coordinator(bridge_network: Network, repo: SwapRepository) -> Coordinator:
    return Coordinator(bridge_network, repo)


@pytest.fixture()
def signers(bridge_network: Network) -> dict[str, BankSigner]:
    info = NetworkInfo.from_json(network_info(bridge_network))
    return {bank: BankSigner(bridge_network.keys.account(bank), info) for bank in bridge_network.settings.banks}


def mid(network: Network, ledger: str, base: str, quote: str) -> int:
    return int(network.contract(ledger, "oracle").functions.settlementRate(base.encode(), quote.encode()).call()[0])


def quoted(coordinator: Coordinator, seller: str, amount: int, sell: str = "CNY", buy: str = "THB") -> dict[str, object]:
    """A quote the bridge issues to ``seller`` (and records), as keyword arguments for ``htlc_order``."""
    signed = coordinator.quotes.issue(seller, base=sell, quote=buy, side="sell", amount=amount)
    return {"quote_hash": signed.quote.hash, "quote_valid_until": signed.quote.valid_until}


def now(network: Network, ledger: str = "A") -> int:
    """The ledger's next block time (its pending block's, else its head's): an automining ledger's head
    grows old while idle, and the bridge judges deadlines against the next block."""
    return network.clients[ledger].clock()


def balances(network: Network) -> dict[tuple[str, str], int]:
    return {(bank, code): int(network.token(code).functions.balanceOf(network.keys.address(bank)).call())
            for bank in network.settings.banks for code in network.settings.currencies}  # fmt: skip


def supply(network: Network) -> dict[str, int]:
    return {code: int(network.token(code).functions.totalSupply().call()) for code in network.settings.currencies}


def run_until(coordinator: Coordinator, swap_id: str, states: set[str], steps: int = 20) -> str:
    for _ in range(steps):
        swap = coordinator.advance(swap_id)
        if swap.state.value in states:
            return swap.state.value
    return coordinator.repo.get(swap_id).state.value



@pytest.fixture()
def bridge_url(bridge_network: Network, tmp_path: Path) -> Iterator[str]:
    from bridge.api.app import create_app

    app = create_app(bridge_network, f"sqlite:///{tmp_path / 'api.db'}", worker_interval=0.05)
    with ServerThread(app) as server:
        yield server.url


@contextmanager
def open_clients(url: str, network: Network) -> Iterator[dict[str, BridgeClient]]:
    """An SDK client for every bank and the regulator, each with its own key."""
    made = {name: BridgeClient(url, name, network.keys.account(name)) for name in [*network.settings.banks, "regulator"]}
    try:
        yield made
    finally:
        for client in made.values():
            client.close()


@pytest.fixture()
def clients(bridge_url: str, bridge_network: Network) -> Iterator[dict[str, BridgeClient]]:
    with open_clients(bridge_url, bridge_network) as made:
        yield made


@pytest.fixture()
def bank_keys(bridge_network: Network) -> dict[str, str]:
    """Each development bank's private key (hex), as `corridor up` prints them: what a bank holds."""
    return {bank: "0x" + bytes(bridge_network.keys.account(bank).key).hex() for bank in bridge_network.settings.banks}

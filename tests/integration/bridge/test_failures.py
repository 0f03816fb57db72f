"""Every failure path ends with every balance where it started: nobody loses principal.

These tests move the ledgers' clocks past deadlines and expiries, so they run on a network of
their own (time only moves forward there; the session network is left alone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import escape
from bridge.engine.coordinator import Coordinator
from bridge.engine.network_info import network_info
from bridge.sdk.signer import BankSigner, HtlcOrder, NetworkInfo
from bridge.store.db import make_engine, migrate, session_factory
from bridge.store.swaps import SwapRepository
from corridor.config import Settings
from corridor.network import Network, open_network
from tests.integration.bridge.conftest import approve_all, balances, mid, now, publish_rates, quoted, run_until, supply

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def timed_network(settings: Settings) -> Iterator[Network]:
    with open_network(settings) as network:
        network.deploy()
        approve_all(network)
        yield network


@pytest.fixture()
def net(timed_network: Network) -> Network:
    publish_rates(timed_network)  # fresh rates at the current (possibly advanced) clock
    return timed_network


@pytest.fixture()
def coordinator(net: Network, tmp_path: Path) -> Coordinator:
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    migrate(url)
    return Coordinator(net, SwapRepository(session_factory(make_engine(url))))


@pytest.fixture()
def signers(net: Network) -> dict[str, BankSigner]:
    info = NetworkInfo.from_json(network_info(net))
    return {bank: BankSigner(net.keys.account(bank), info) for bank in net.settings.banks}


def _htlc(coordinator: Coordinator, signers: dict[str, BankSigner], net: Network, amount: int = 10_000_00) -> tuple[str, HtlcOrder]:
    t = now(net)
    order = signers["yangtze"].htlc_order(counterparty=signers["chaophraya"].address, sell="CNY", sell_amount=amount,
                                          buy="THB", rate=mid(net, "A", "CNY", "THB"), now=t,
                                          **quoted(coordinator, "yangtze", amount))  # fmt: skip
    swap = coordinator.submit_htlc("yangtze", order.order.to_json(), order.signature, order.lock_signature, order.lock_nonce)
    return swap.id, order


def _accept(coordinator: Coordinator, signers: dict[str, BankSigner], swap_id: str, order: HtlcOrder) -> None:
    signature, lock_signature, lock_nonce = signers["chaophraya"].htlc_accept(order.order.to_json())
    coordinator.accept("chaophraya", swap_id, signature, lock_signature, lock_nonce)


def test_counterparty_never_accepts(coordinator: Coordinator, signers: dict[str, BankSigner], net: Network) -> None:
    before, total = balances(net), supply(net)
    swap_id, order = _htlc(coordinator, signers, net)
    net.set_time(order.order.deadline + 1)
    assert run_until(coordinator, swap_id, {"expired"}) == "expired"
    assert balances(net) == before and supply(net) == total


def test_counterparty_never_locks_initiator_refunded_at_expiry(coordinator: Coordinator, signers: dict[str, BankSigner], net: Network) -> None:
    before, total = balances(net), supply(net)
    swap_id, order = _htlc(coordinator, signers, net)
    _accept(coordinator, signers, swap_id, order)
    assert run_until(coordinator, swap_id, {"locked_a"}, steps=2) == "locked_a"
    # the counterparty withdraws its approval: its leg can never be locked
    thb, bob = net.token("THB"), net.keys.account("chaophraya")
    net.clients["B"].transact(bob, thb.functions.approve(net.contract("B", "htlc").address, 0))
    assert run_until(coordinator, swap_id, {"refunding"}, steps=2) == "refunding"
    assert balances(net)[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 10_000_00  # locked, waiting for expiry
    coordinator.advance(swap_id)
    assert coordinator.repo.get(swap_id).state.value == "refunding"  # not before its expiry
    net.set_time(order.order.initiatorExpiry)
    assert run_until(coordinator, swap_id, {"refunded"}) == "refunded"
    assert balances(net) == before and supply(net) == total
    net.clients["B"].transact(bob, thb.functions.approve(net.contract("B", "htlc").address, 2**256 - 1))


def test_initiator_never_reveals_both_refunded(coordinator: Coordinator, signers: dict[str, BankSigner], net: Network) -> None:
    before, total = balances(net), supply(net)
    swap_id, order = _htlc(coordinator, signers, net)
    _accept(coordinator, signers, swap_id, order)
    assert run_until(coordinator, swap_id, {"locked_b"}) == "locked_b"
    net.set_time(order.order.counterpartyExpiry)
    assert run_until(coordinator, swap_id, {"refunding"}, steps=2) == "refunding"
    coordinator.advance(swap_id)  # refunds leg B now; leg A waits for its own expiry
    assert balances(net)[("chaophraya", "THB")] == before[("chaophraya", "THB")]
    assert coordinator.repo.get(swap_id).state.value == "refunding"
    net.set_time(order.order.initiatorExpiry)
    assert run_until(coordinator, swap_id, {"refunded"}) == "refunded"
    assert balances(net) == before and supply(net) == total


def test_bridge_gone_after_lock_a_initiator_refunds_itself(coordinator: Coordinator, signers: dict[str, BankSigner], net: Network) -> None:
    before, total = balances(net), supply(net)
    swap_id, order = _htlc(coordinator, signers, net)
    _accept(coordinator, signers, swap_id, order)
    assert run_until(coordinator, swap_id, {"locked_a"}, steps=2) == "locked_a"
    # the bridge disappears for good; the initiator waits for its expiry and refunds directly on chain
    info = NetworkInfo.from_json(network_info(net))
    net.set_time(order.order.initiatorExpiry)
    escape.refund(net.keys.account("yangtze"), order.order, info, "a")
    assert balances(net) == before and supply(net) == total


def test_bridge_gone_after_both_locks_parties_settle_themselves(coordinator: Coordinator, signers: dict[str, BankSigner], net: Network) -> None:
    before, total = balances(net), supply(net)
    swap_id, order = _htlc(coordinator, signers, net)
    _accept(coordinator, signers, swap_id, order)
    assert run_until(coordinator, swap_id, {"locked_b"}) == "locked_b"
    info = NetworkInfo.from_json(network_info(net))
    # the initiator claims the counterparty's leg itself, revealing the secret on ledger B ...
    escape.claim(net.keys.account("yangtze"), order.order, info, "b", order.secret)
    # ... where the counterparty reads it from the Claimed event and claims the initiator's leg
    htlc_b = net.contract("B", "htlc")
    lock_b = htlc_b.functions.lockIdOf(order.order.counterparty, order.order.hashlock).call()
    seen = htlc_b.events.Claimed().get_logs(from_block=0, argument_filters={"lockId": lock_b})
    escape.claim(net.keys.account("chaophraya"), order.order, info, "a", bytes(seen[-1]["args"]["secret"]))
    after = balances(net)
    assert after[("yangtze", "THB")] == before[("yangtze", "THB")] + order.order.buyAmount
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + order.order.sellAmount
    assert supply(net) == total
    # a bridge that comes back finds both legs settled on chain and agrees
    assert run_until(coordinator, swap_id, {"settled"}) in {"settled"}


def test_pvp_never_accepted_expires(coordinator: Coordinator, signers: dict[str, BankSigner], net: Network) -> None:
    before = balances(net)
    ledger, terms, signature = signers["yangtze"].pvp_order(counterparty=signers["harbour"].address, sell="CNY",
                                                            sell_amount=1_000_00, buy="HKD", rate=mid(net, "A", "CNY", "HKD"),
                                                            deadline=now(net) + 300)  # fmt: skip
    swap = coordinator.submit_pvp("yangtze", ledger, terms, signature)
    net.set_time(int(terms["deadline"]) + 1)
    assert run_until(coordinator, swap.id, {"expired"}) == "expired"
    assert balances(net) == before

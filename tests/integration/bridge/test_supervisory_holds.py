"""A supervisory hold (freeze, suspension, pause) during a cross-ledger swap's claims, on real ledgers:
the held leg's claim becomes pending on chain, nobody can refund it, and the bridge pays it the moment
the hold lifts, even long after the leg's expiry. Both legs always reach their receivers."""

from __future__ import annotations

import pytest

from bridge.engine.coordinator import Coordinator
from bridge.sdk.signer import BankSigner
from corridor.errors import ChainRejected
from corridor.keys import OPERATOR, REGULATOR
from corridor.network import Network
from corridor.typed_data import lock_id_of
from tests.integration.bridge.conftest import balances, mid, now, quoted, run_until, supply

pytestmark = pytest.mark.integration


def _advance_both_ledgers(network: Network, seconds: int) -> None:
    """Moves both ledgers' clocks together (the clock rule compares them; the session's ledgers stay in step)."""
    for client in network.clients.values():
        client.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _locked_swap(coordinator: Coordinator, signers: dict[str, BankSigner], network: Network, amount: int):  # type: ignore[no-untyped-def]
    order = signers["yangtze"].htlc_order(counterparty=signers["chaophraya"].address, sell="CNY", sell_amount=amount,
                                          buy="THB", rate=mid(network, "A", "CNY", "THB"), now=now(network),
                                          **quoted(coordinator, "yangtze", amount))  # fmt: skip
    swap = coordinator.submit_htlc("yangtze", order.order.to_json(), order.signature, order.lock_signature, order.lock_nonce)
    coordinator.accept("chaophraya", swap.id, *signers["chaophraya"].htlc_accept(order.order.to_json()))
    assert run_until(coordinator, swap.id, {"locked_b"}) == "locked_b"
    return swap, order


def test_a_freeze_after_the_secret_is_out_holds_leg_a_and_pays_it_when_lifted(
    coordinator: Coordinator, signers: dict[str, BankSigner], bridge_network: Network
) -> None:
    net = bridge_network
    before, total = balances(net), supply(net)
    swap, order = _locked_swap(coordinator, signers, net, 20_000_00)
    regulator, counterparty = net.keys.account(REGULATOR), net.keys.address("chaophraya")
    cny, htlc_a = net.token("CNY"), net.contract("A", "htlc")
    coordinator.reveal("yangtze", swap.id, "0x" + order.secret.hex())
    # The regulator freezes the counterparty in CNY on ledger A just as the secret goes public on ledger B.
    net.clients["A"].transact(regulator, cny.functions.freeze(counterparty))
    assert run_until(coordinator, swap.id, {"settled", "refunded", "failed"}, steps=6) == "claiming_a"
    lock_a = lock_id_of(net.keys.address("yangtze"), order.order.hashlock)
    assert htlc_a.functions.isClaimPending(lock_a).call(), "leg A's claim is held on chain"
    assert balances(net)[("yangtze", "THB")] == before[("yangtze", "THB")] + order.order.buyAmount  # leg B paid

    # Leg A's expiry passes while the freeze lasts: nobody can take the CNY back.
    _advance_both_ledgers(net, order.order.initiatorExpiry - now(net) + 600)
    assert run_until(coordinator, swap.id, {"settled", "refunded", "failed"}, steps=4) == "claiming_a"
    with pytest.raises(ChainRejected) as refused:
        net.clients["A"].call(htlc_a.functions.refund(coordinator.chain.request_for(swap.leg_a, swap).terms.as_tuple()))
    assert refused.value.error == "HtlcClaimPending"
    assert balances(net)[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 20_000_00

    net.clients["A"].transact(regulator, cny.functions.unfreeze(counterparty))
    assert run_until(coordinator, swap.id, {"settled", "refunded", "failed"}, steps=4) == "settled"
    after = balances(net)
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + 20_000_00, "paid once the freeze lifted"
    assert after[("chaophraya", "THB")] == before[("chaophraya", "THB")] - order.order.buyAmount
    assert supply(net) == total
    journal = " ".join(j["detail"] or "" for j in coordinator.repo.journal(swap.id))
    assert "claim held" in journal and "the hold was lifted" in journal


def test_a_suspension_of_the_initiator_holds_leg_b_and_leg_a_still_reaches_the_counterparty(
    coordinator: Coordinator, signers: dict[str, BankSigner], bridge_network: Network
) -> None:
    net = bridge_network
    before, total = balances(net), supply(net)
    swap, order = _locked_swap(coordinator, signers, net, 10_000_00)
    operator, initiator = net.keys.account(OPERATOR), net.keys.address("yangtze")
    coordinator.reveal("yangtze", swap.id, "0x" + order.secret.hex())
    # The operator suspends the initiator on ledger B: its THB claim is held, but the secret is public.
    net.clients["B"].transact(operator, net.contract("B", "registry").functions.suspend(initiator))
    assert run_until(coordinator, swap.id, {"settled", "refunded", "failed"}, steps=6) == "claiming_a"
    after = balances(net)
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + 10_000_00, "leg A reached the counterparty"
    assert after[("yangtze", "THB")] == before[("yangtze", "THB")], "leg B is held for the initiator"
    net.clients["B"].transact(operator, net.contract("B", "registry").functions.reinstate(initiator))
    assert run_until(coordinator, swap.id, {"settled", "refunded", "failed"}, steps=4) == "settled"
    assert balances(net)[("yangtze", "THB")] == before[("yangtze", "THB")] + order.order.buyAmount
    assert supply(net) == total

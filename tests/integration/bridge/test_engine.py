"""The coordinator against real anvil ledgers: both models, end to end, with balances on both chains."""

from __future__ import annotations

import pytest

from bridge.engine.coordinator import Coordinator
from bridge.sdk.signer import BankSigner
from corridor.network import Network
from tests.integration.bridge.conftest import balances, mid, now, quoted, run_until, supply

pytestmark = pytest.mark.integration


def test_same_ledger_pvp_settles_both_legs(coordinator: Coordinator, signers: dict[str, BankSigner], bridge_network: Network) -> None:
    net = bridge_network
    before = balances(net)
    rate = mid(net, "A", "CNY", "HKD")
    ledger, terms, signature = signers["yangtze"].pvp_order(counterparty=signers["harbour"].address, sell="CNY",
                                                    sell_amount=100_000_00, buy="HKD", rate=rate, deadline=now(net) + 600)  # fmt: skip
    swap = coordinator.submit_pvp("yangtze", ledger, terms, signature)
    coordinator.accept("harbour", swap.id, signers["harbour"].sign_pvp(ledger, terms))
    assert run_until(coordinator, swap.id, {"settled"}) == "settled"
    after = balances(net)
    buy = int(terms["amountB"])
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 100_000_00
    assert after[("harbour", "CNY")] == before[("harbour", "CNY")] + 100_000_00
    assert after[("yangtze", "HKD")] == before[("yangtze", "HKD")] + buy
    assert after[("harbour", "HKD")] == before[("harbour", "HKD")] - buy
    journal = coordinator.repo.journal(swap.id)
    assert [j["to"] for j in journal if j["from"] != j["to"]] == ["proposed", "accepted", "settling", "settled"]
    assert any(j["tx_hash"] for j in journal)


def test_cross_ledger_htlc_settles_both_legs(coordinator: Coordinator, signers: dict[str, BankSigner], bridge_network: Network) -> None:
    net = bridge_network
    before, total = balances(net), supply(net)
    rate = mid(net, "A", "CNY", "THB")
    t = now(net)
    order = signers["yangtze"].htlc_order(counterparty=signers["chaophraya"].address, sell="CNY", sell_amount=50_000_00,
                                          buy="THB", rate=rate, now=t, **quoted(coordinator, "yangtze", 50_000_00))  # fmt: skip
    swap = coordinator.submit_htlc("yangtze", order.order.to_json(), order.signature, order.lock_signature, order.lock_nonce)
    assert swap.id == order.swap_id
    signature, lock_signature, lock_nonce = signers["chaophraya"].htlc_accept(order.order.to_json())
    coordinator.accept("chaophraya", swap.id, signature, lock_signature, lock_nonce)
    assert run_until(coordinator, swap.id, {"locked_b"}) == "locked_b"
    coordinator.reveal("yangtze", swap.id, "0x" + order.secret.hex())
    assert run_until(coordinator, swap.id, {"settled"}) == "settled"
    after = balances(net)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 50_000_00
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + 50_000_00
    assert after[("yangtze", "THB")] == before[("yangtze", "THB")] + order.order.buyAmount
    assert after[("chaophraya", "THB")] == before[("chaophraya", "THB")] - order.order.buyAmount
    assert supply(net) == total


def test_ready_same_ledger_swaps_settle_in_one_netted_batch(coordinator: Coordinator, signers: dict[str, BankSigner], bridge_network: Network) -> None:
    from bridge.engine.coordinator import Worker

    net = bridge_network
    before, total = balances(net), supply(net)
    rate = mid(net, "A", "CNY", "HKD")
    swap_ids, legs = [], []
    for seller, buyer, amount in (("yangtze", "harbour", 100_00), ("pearlriver", "harbour", 200_00), ("yangtze", "pearlriver", 300_00)):
        ledger, terms, signature = signers[seller].pvp_order(counterparty=signers[buyer].address, sell="CNY", sell_amount=amount,
                                                             buy="HKD", rate=rate, deadline=now(net) + 600)  # fmt: skip
        swap = coordinator.submit_pvp(seller, ledger, terms, signature)
        coordinator.accept(buyer, swap.id, signers[buyer].sign_pvp(ledger, terms))
        swap_ids.append(swap.id)
        legs.append((seller, buyer, amount, int(terms["amountB"])))
    Worker(coordinator).run_once()
    swaps = [coordinator.repo.get(i) for i in swap_ids]
    assert [s.state.value for s in swaps] == ["settled"] * 3
    assert len({s.leg_a.settle_tx for s in swaps}) == 1  # one transaction for the three
    expected = dict(before)
    for seller, buyer, amount, buy in legs:
        expected[(seller, "CNY")] -= amount
        expected[(buyer, "CNY")] += amount
        expected[(buyer, "HKD")] -= buy
        expected[(seller, "HKD")] += buy
    assert balances(net) == expected and supply(net) == total


def test_more_ready_swaps_than_a_batch_holds_go_in_several_batches(coordinator: Coordinator, signers: dict[str, BankSigner],
                                                                    bridge_network: Network) -> None:  # fmt: skip
    """Five ready same-ledger swaps with at most two per batch: three netted transactions in one pass."""
    from bridge.engine.coordinator import Worker

    net = bridge_network
    before, total = balances(net), supply(net)
    rate = mid(net, "A", "CNY", "HKD")
    instructions = []
    for i in range(5):
        ledger, terms, signature = signers["yangtze"].pvp_order(counterparty=signers["harbour"].address, sell="CNY",
                                                                sell_amount=100_00 + i, buy="HKD", rate=rate, deadline=now(net) + 600)  # fmt: skip
        instructions.append({"model": "pvp", "ledger": ledger, "terms": terms, "signature": signature})
    swaps = coordinator.intake.submit("yangtze", instructions)
    coordinator.intake.accept("harbour", [{"id": swap.id, "signature": signers["harbour"].sign_pvp("A", i["terms"])}
                                          for swap, i in zip(swaps, instructions, strict=True)])  # fmt: skip
    Worker(coordinator, max_batch=2).run_once()
    settled = [coordinator.repo.get(swap.id) for swap in swaps]
    assert [s.state.value for s in settled] == ["settled"] * 5
    assert len({s.leg_a.settle_tx for s in settled}) == 3
    paid_a, paid_b = sum(int(i["terms"]["amountA"]) for i in instructions), sum(int(i["terms"]["amountB"]) for i in instructions)
    after = balances(net)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - paid_a
    assert after[("harbour", "HKD")] == before[("harbour", "HKD")] - paid_b
    assert supply(net) == total


def test_ready_linked_ledger_steps_run_in_batches(coordinator: Coordinator, signers: dict[str, BankSigner], bridge_network: Network) -> None:
    """Three linked-ledger swaps ready together: each of their four steps (lock A, lock B, claim B,
    claim A) is one batched transaction for all three, and every balance ends where three single
    swaps would leave it."""
    from bridge.engine.coordinator import Worker

    net = bridge_network
    before, total = balances(net), supply(net)
    rate = mid(net, "A", "CNY", "THB")
    t = now(net)
    orders = []
    for seller, amount in (("yangtze", 10_000_00), ("pearlriver", 20_000_00), ("yangtze", 30_000_00)):
        order = signers[seller].htlc_order(counterparty=signers["chaophraya"].address, sell="CNY", sell_amount=amount,
                                           buy="THB", rate=rate, now=t, **quoted(coordinator, seller, amount))  # fmt: skip
        swap = coordinator.submit_htlc(seller, order.order.to_json(), order.signature, order.lock_signature, order.lock_nonce)
        coordinator.accept("chaophraya", swap.id, *signers["chaophraya"].htlc_accept(order.order.to_json()))
        orders.append((seller, order))
    worker = Worker(coordinator)
    ids = [order.swap_id for _, order in orders]

    def step(expected: str) -> list:
        worker.run_once()
        swaps = [coordinator.repo.get(i) for i in ids]
        assert [s.state.value for s in swaps] == [expected] * 3
        return swaps

    assert len({s.leg_a.lock_tx for s in step("locked_a")}) == 1
    assert len({s.leg_b.lock_tx for s in step("locked_b")}) == 1
    for seller, order in orders:
        coordinator.reveal(seller, order.swap_id, "0x" + order.secret.hex())
    assert len({s.leg_b.settle_tx for s in step("claiming_a")}) == 1
    settled = step("settled")
    assert len({s.leg_a.settle_tx for s in settled}) == 1
    sent = [j for s in settled for j in coordinator.repo.journal(s.id) if j["tx_hash"]]
    assert len(sent) == 3 * 8 and all("batch of 3" in j["detail"] for j in sent)  # 4 steps x (sent, confirmed)
    expected = dict(before)
    for seller, order in orders:
        expected[(seller, "CNY")] -= order.order.sellAmount
        expected[("chaophraya", "CNY")] += order.order.sellAmount
        expected[("chaophraya", "THB")] -= order.order.buyAmount
        expected[(seller, "THB")] += order.order.buyAmount
    assert balances(net) == expected and supply(net) == total


def test_swaps_a_batch_leaves_out_still_take_their_own_step(coordinator: Coordinator, signers: dict[str, BankSigner],
                                                             bridge_network: Network) -> None:  # fmt: skip
    """Two swaps locked on ledger A whose leg B can no longer be locked safely: no batch is sent for
    them, and each still moves on (to a refund) through its own step rather than waiting forever."""
    from bridge.engine.coordinator import Worker

    net = bridge_network
    rate = mid(net, "A", "CNY", "THB")
    t = now(net)
    ids = []
    for seller in ("yangtze", "pearlriver"):
        order = signers[seller].htlc_order(counterparty=signers["chaophraya"].address, sell="CNY", sell_amount=1_000_00,
                                           buy="THB", rate=rate, now=t, **quoted(coordinator, seller, 1_000_00))  # fmt: skip
        coordinator.submit_htlc(seller, order.order.to_json(), order.signature, order.lock_signature, order.lock_nonce)
        coordinator.accept("chaophraya", order.swap_id, *signers["chaophraya"].htlc_accept(order.order.to_json()))
        ids.append(order.swap_id)
    worker = Worker(coordinator)
    worker.run_once()
    swaps = [coordinator.repo.get(i) for i in ids]
    assert [s.state.value for s in swaps] == ["locked_a"] * 2
    net.set_time(max(s.leg_b.expiry for s in swaps) - coordinator.policy.claim_safety // 2)
    worker.run_once()
    assert [coordinator.repo.get(i).state.value for i in ids] == ["refunding"] * 2


def test_proposals_are_read_for_expiry_every_few_seconds_not_every_pass(coordinator: Coordinator, signers: dict[str, BankSigner],
                                                                        bridge_network: Network,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A file of proposals waiting for acceptance is not re-read on every worker pass; a proposal
    whose deadline passed is still expired, at the next scan."""
    import time

    from bridge.engine import coordinator as coordinator_module
    from bridge.engine.coordinator import Worker

    monkeypatch.setattr(coordinator_module, "PROPOSED_SCAN_SECONDS", 1.0)
    net = bridge_network
    ledger, terms, signature = signers["yangtze"].pvp_order(counterparty=signers["harbour"].address, sell="CNY", sell_amount=100_00,
                                                            buy="HKD", rate=mid(net, "A", "CNY", "HKD"), deadline=now(net) + 60)  # fmt: skip
    swap = coordinator.submit_pvp("yangtze", ledger, terms, signature)
    worker = Worker(coordinator)
    worker.run_once()  # reads the proposals: within its deadline, nothing to do
    net.set_time(swap.deadline + 1)
    worker.run_once()  # within the scan interval: proposals are not read
    assert coordinator.repo.get(swap.id).state.value == "proposed"
    time.sleep(1.1)
    worker.run_once()
    assert coordinator.repo.get(swap.id).state.value == "expired"


def test_a_proposal_expires_on_time_while_no_block_is_mined(coordinator: Coordinator, signers: dict[str, BankSigner],
                                                            bridge_network: Network, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The acceptance deadline is judged on the ledger's clock as its next block will read it: an idle
    ledger (no block mined since the proposal) does not keep an expired proposal "proposed"."""
    import time

    from bridge.engine import coordinator as coordinator_module
    from bridge.engine.coordinator import Worker

    monkeypatch.setattr(coordinator_module, "PROPOSED_SCAN_SECONDS", 0.0)
    net = bridge_network
    client = net.clients["A"]
    deadline = client.clock() + 3
    ledger, terms, signature = signers["yangtze"].pvp_order(counterparty=signers["harbour"].address, sell="CNY", sell_amount=100_00,
                                                            buy="HKD", rate=mid(net, "A", "CNY", "HKD"), deadline=deadline)  # fmt: skip
    swap = coordinator.submit_pvp("yangtze", ledger, terms, signature)
    head = client.w3.eth.block_number
    while client.clock() <= deadline:
        time.sleep(0.25)
    assert client.w3.eth.block_number == head  # nothing was mined: the latest block's time is still before the deadline
    assert int(client.w3.eth.get_block("latest")["timestamp"]) <= deadline
    Worker(coordinator).run_once()
    expired = coordinator.repo.get(swap.id)
    assert expired.state.value == "expired"
    assert swap.received_at == {"A": expired.received_at["A"]} and expired.received_at["A"] <= deadline

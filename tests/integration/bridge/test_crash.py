"""Crash safety: the bridge process is killed with SIGKILL right after each transition in turn (and
right after each transaction is sent); restarted on the same database, every swap completes and
every token's supply and the parties' balances end exactly where a clean run would leave them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.sdk.client import BridgeClient, BridgeRequestError
from bridge.server import BridgeProcess
from corridor.config import Settings
from corridor.network import Network, open_network
from tests.integration.bridge.conftest import approve_all, balances, now, publish_rates, supply

pytestmark = pytest.mark.integration

HTLC_POINTS = ["accepted", "locking_a", "sent:locking_a", "locked_a", "locking_b", "sent:locking_b", "locked_b",
               "claiming_b", "sent:claiming_b", "claiming_a", "sent:claiming_a"]  # fmt: skip
PVP_POINTS = ["accepted", "settling", "sent:settling"]


@pytest.fixture(scope="module")
def crash_network(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, Path]]:
    with open_network(settings) as network:
        network.deploy()
        approve_all(network)
        path = tmp_path_factory.mktemp("crash") / "deployment.json"
        assert network.deployment is not None
        network.deployment.save(path)
        yield network, path


def _client(url: str, net: Network, bank: str) -> BridgeClient:
    return BridgeClient(url, bank, net.keys.account(bank))


def _run_with_crash(net: Network, deployment: Path, tmp_path: Path, fault: str, start: "callable", finish: "callable") -> dict:
    database = f"sqlite:///{tmp_path / 'bridge.db'}"
    first = BridgeProcess(deployment, database, tmp_path, fault)
    try:
        a, b = _client(first.url, net, "yangtze"), _client(first.url, net, "chaophraya")
        first.wait_ready()
        context = start(a, b)
        assert first.wait_killed() == -9, "the fault point was never reached"
    finally:
        first.stop()
    second = BridgeProcess(deployment, database, tmp_path)  # same database, no fault: recovery
    try:
        a, b = _client(second.url, net, "yangtze"), _client(second.url, net, "chaophraya")
        second.wait_ready()
        return finish(a, b, context)
    finally:
        second.stop()


@pytest.mark.parametrize("fault", HTLC_POINTS)
def test_htlc_swap_survives_sigkill(crash_network: tuple[Network, Path], tmp_path: Path, fault: str) -> None:
    net, deployment = crash_network
    publish_rates(net)
    before, total = balances(net), supply(net)

    def start(a: BridgeClient, b: BridgeClient) -> dict:
        quote = a.quote("CNY", "THB", "sell", 20_000_00)
        order = a.signer.htlc_order(counterparty=b.account.address, sell="CNY", sell_amount=20_000_00, buy="THB",
                                    rate=int(quote["quote"]["mid"]), now=now(net), quote_hash=bytes.fromhex(quote["hash"][2:]),
                                    quote_valid_until=int(quote["quote"]["valid_until"]))  # fmt: skip
        swap = a.submit_htlc(order)
        try:
            b.accept(swap)
            a.wait_for(swap["id"], {"locked_b"}, timeout=60)
            a.reveal(order)
        except (BridgeRequestError, TimeoutError):
            pass  # the bridge died under us: expected at the fault point
        return {"order": order}

    def finish(a: BridgeClient, b: BridgeClient, context: dict) -> dict:
        order = context["order"]
        swap = a.wait_for(order.swap_id, {"locked_b", "settled", "refunded", "failed"}, timeout=60)
        if swap["state"] == "locked_b":
            a.reveal(order)
        return a.wait_for(order.swap_id, {"settled", "refunded", "failed"}, timeout=60) | {"order": order}

    done = _run_with_crash(net, deployment, tmp_path, fault, start, finish)
    assert done["state"] == "settled", done["transitions"]
    after, order = balances(net), done["order"].order
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - order.sellAmount
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + order.sellAmount
    assert after[("yangtze", "THB")] == before[("yangtze", "THB")] + order.buyAmount
    assert after[("chaophraya", "THB")] == before[("chaophraya", "THB")] - order.buyAmount
    assert supply(net) == total


@pytest.mark.parametrize("fault", PVP_POINTS)
def test_pvp_swap_survives_sigkill(crash_network: tuple[Network, Path], tmp_path: Path, fault: str) -> None:
    net, deployment = crash_network
    publish_rates(net)
    before, total = balances(net), supply(net)

    def start(a: BridgeClient, b: BridgeClient) -> dict:
        b_bank = _client(a._http.base_url.__str__(), net, "harbour")
        rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
        swap = a.submit_pvp(counterparty=b_bank.account.address, sell="CNY", sell_amount=30_000_00, buy="HKD", rate=rate,
                            deadline=now(net) + 600)  # fmt: skip
        try:
            b_bank.accept(swap)
        except BridgeRequestError:
            pass
        return {"swap": swap}

    def finish(a: BridgeClient, b: BridgeClient, context: dict) -> dict:
        return a.wait_for(context["swap"]["id"], {"settled", "failed", "expired"}, timeout=60) | context

    done = _run_with_crash(net, deployment, tmp_path, fault, start, finish)
    assert done["state"] == "settled", done["transitions"]
    after = balances(net)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 30_000_00
    assert after[("harbour", "HKD")] == before[("harbour", "HKD")] - done["leg_b"]["amount"]
    assert after[("yangtze", "HKD")] == before[("yangtze", "HKD")] + done["leg_b"]["amount"]
    assert supply(net) == total


def test_a_file_survives_sigkill_and_its_retried_acceptance_gets_its_first_answer(crash_network: tuple[Network, Path],
                                                                                 tmp_path: Path) -> None:  # fmt: skip
    """The bridge dies right after committing a file of acceptances, before answering. Restarted, the
    bank's retry (same Idempotency-Key) gets the answer recorded with the acceptances, not a refusal
    for swaps already accepted; and every swap of the file settles, balances exact."""
    net, deployment = crash_network
    publish_rates(net)
    before, total = balances(net), supply(net)

    def start(a: BridgeClient, b: BridgeClient) -> dict:
        harbour = _client(str(a._http.base_url), net, "harbour")
        rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
        instructions = [a.pvp_instruction(counterparty=harbour.account.address, sell="CNY", sell_amount=1_000_00 + i, buy="HKD",
                                          rate=rate, deadline=now(net) + 600) for i in range(5)]  # fmt: skip
        ids = [item["id"] for item in a.submit_many(instructions)["items"]]
        agreed = [BridgeClient.agreed(instruction, swap_id) for instruction, swap_id in zip(instructions, ids, strict=True)]
        with pytest.raises(BridgeRequestError) as caught:
            harbour.accept_many(agreed, idempotency_key="accept-file-1")
        assert caught.value.status == 0  # no answer: the process died after the commit
        return {"ids": ids, "agreed": agreed, "instructions": instructions}

    def finish(a: BridgeClient, b: BridgeClient, context: dict) -> dict:
        harbour = _client(str(a._http.base_url), net, "harbour")
        retried = harbour.accept_many(context["agreed"], idempotency_key="accept-file-1")
        assert [item["id"] for item in retried["items"]] == context["ids"]
        assert {item["state"] for item in retried["items"]} == {"accepted"}  # the first answer, replayed
        return {"reached": a.wait_all(context["ids"], {"settled", "failed", "expired"}, timeout=60)} | context

    done = _run_with_crash(net, deployment, tmp_path, "accepted", start, finish)
    assert done["reached"] == dict.fromkeys(done["ids"], "settled")
    paid_a = sum(int(i["terms"]["amountA"]) for i in done["instructions"])
    paid_b = sum(int(i["terms"]["amountB"]) for i in done["instructions"])
    after = balances(net)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - paid_a
    assert after[("harbour", "HKD")] == before[("harbour", "HKD")] - paid_b
    assert after[("yangtze", "HKD")] == before[("yangtze", "HKD")] + paid_b
    assert supply(net) == total

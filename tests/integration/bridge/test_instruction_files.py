"""Instruction files: many orders, acceptances or secrets in one request, checked against one
snapshot of the ledgers and recorded all or none, over HTTP through the bank SDK."""

from __future__ import annotations

import pytest

from bridge.sdk.client import BridgeClient, BridgeRequestError
from corridor.network import Network
from tests.integration.bridge.conftest import balances, now, supply

pytestmark = pytest.mark.integration


def _rate(client: BridgeClient, base: str, quote: str) -> int:
    return int(client.rate(base, quote)["mid_fixed_8"]) * 10**10


def _pvp_file(a: BridgeClient, b: BridgeClient, network: Network, amounts: list[int]) -> list[dict]:
    rate, deadline = _rate(a, "CNY", "HKD"), now(network) + 600
    return [a.pvp_instruction(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=rate, deadline=deadline)
            for amount in amounts]  # fmt: skip


def _balance(network: Network, bank: str, code: str) -> int:
    return int(network.token(code).functions.balanceOf(network.keys.address(bank)).call())


def test_a_file_of_same_ledger_swaps_settles_every_swap(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    before, total = balances(bridge_network), supply(bridge_network)
    amounts = [10_000_00 + i for i in range(12)]
    instructions = _pvp_file(a, b, bridge_network, amounts)
    answer = a.submit_many(instructions)
    ids = [item["id"] for item in answer["items"]]
    assert len(set(ids)) == 12 and {item["state"] for item in answer["items"]} == {"proposed"}
    accepted = b.accept_many([BridgeClient.agreed(instruction, swap_id) for instruction, swap_id in zip(instructions, ids, strict=True)])
    assert [item["id"] for item in accepted["items"]] == ids
    assert a.wait_all(ids, {"settled", "failed"}, after=answer["seq"], timeout=60) == dict.fromkeys(ids, "settled")
    after = balances(bridge_network)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - sum(amounts)
    paid_b = sum(int(i["terms"]["amountB"]) for i in instructions)
    assert after[("harbour", "HKD")] == before[("harbour", "HKD")] - paid_b
    assert after[("yangtze", "HKD")] == before[("yangtze", "HKD")] + paid_b
    assert supply(bridge_network) == total
    assert a.swap(ids[5])["leg_a"]["settle_tx"]  # each swap keeps its own record


def test_a_file_of_cross_ledger_swaps_settles_every_swap(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, c = clients["yangtze"], clients["chaophraya"]
    before, total = balances(bridge_network), supply(bridge_network)
    orders = a.htlc_orders_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=5_000_00, buy="THB",
                                    now=now(bridge_network), count=6)  # fmt: skip
    instructions = [BridgeClient.htlc_instruction(order) for order in orders]
    answer = a.submit_many(instructions)
    ids = [item["id"] for item in answer["items"]]
    assert ids == [order.swap_id for order in orders]
    c.accept_many([BridgeClient.agreed(instruction, swap_id) for instruction, swap_id in zip(instructions, ids, strict=True)])
    a.wait_all(ids, {"locked_b"}, after=answer["seq"], timeout=60)
    a.reveal_many(orders)  # the SDK checks all twelve locks on chain first
    assert a.wait_all(ids, {"settled", "refunded", "failed"}, after=answer["seq"], timeout=60) == dict.fromkeys(ids, "settled")
    after, bought = balances(bridge_network), sum(order.order.buyAmount for order in orders)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 6 * 5_000_00
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + 6 * 5_000_00
    assert after[("yangtze", "THB")] == before[("yangtze", "THB")] + bought
    assert supply(bridge_network) == total


def test_one_bad_order_refuses_the_whole_file_naming_its_place(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    instructions = _pvp_file(a, b, bridge_network, [1_00, 2_00, 3_00])
    instructions[2] = {**instructions[2], "signature": instructions[0]["signature"]}  # signed for other terms
    with pytest.raises(BridgeRequestError) as caught:
        a.submit_many(instructions)
    assert caught.value.status == 401 and caught.value.field == "swaps.2.signature"
    assert a.swaps()["items"] == []  # none of the file was recorded

    instructions = _pvp_file(a, b, bridge_network, [1_00, 2_00])
    instructions[1]["terms"]["rate"] = instructions[1]["terms"]["rate"] * 2
    with pytest.raises(BridgeRequestError) as caught:
        a.submit_many(instructions)
    assert caught.value.status == 422 and caught.value.field == "swaps.1.terms.amountB"


def test_a_file_must_be_fundable_as_a_whole(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    """Each order alone fits the payer's balance; together they do not: refused at the first order
    that crosses it, and nothing is recorded."""
    a, b = clients["yangtze"], clients["harbour"]
    half = _balance(bridge_network, "yangtze", "CNY") // 2 + 1
    with pytest.raises(BridgeRequestError) as caught:
        a.submit_many(_pvp_file(a, b, bridge_network, [half, half]))
    assert caught.value.status == 409 and caught.value.field == "swaps.1.terms.amountA"
    assert "together with this request's earlier legs" in caught.value.detail
    assert a.swaps()["items"] == []


def test_the_same_order_twice_in_a_file_is_refused(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    [instruction] = _pvp_file(a, b, bridge_network, [7_00])
    with pytest.raises(BridgeRequestError) as caught:
        a.submit_many([instruction, instruction])
    assert caught.value.status == 409 and caught.value.field == "swaps.1"


def test_acceptances_are_all_or_none(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b, c = clients["yangtze"], clients["harbour"], clients["chaophraya"]
    instructions = _pvp_file(a, b, bridge_network, [1_00, 2_00])
    ids = [item["id"] for item in a.submit_many(instructions)["items"]]
    agreed = [BridgeClient.agreed(instruction, swap_id) for instruction, swap_id in zip(instructions, ids, strict=True)]
    with pytest.raises(BridgeRequestError) as caught:  # someone else's acceptance
        c.accept_many(agreed)
    assert caught.value.status == 403 and caught.value.field == "acceptances.0.participant"
    with pytest.raises(BridgeRequestError) as caught:
        b.accept_many([agreed[0], agreed[1], agreed[0]])
    assert caught.value.status == 409 and caught.value.field == "acceptances.2.id"
    with pytest.raises(BridgeRequestError) as caught:
        b.accept_many([agreed[0], {**agreed[1], "id": "0x" + "ab" * 32}])
    assert caught.value.status == 404 and caught.value.field == "acceptances.1.id"
    assert {a.swap(swap_id)["state"] for swap_id in ids} == {"proposed"}  # no refused file accepted any
    b.accept_many(agreed)
    with pytest.raises(BridgeRequestError) as caught:  # accepted already
        b.accept_many(agreed[:1])
    assert caught.value.status == 409 and caught.value.field == "acceptances.0.state"


def test_secrets_are_refused_before_both_legs_are_locked(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, c = clients["yangtze"], clients["chaophraya"]
    orders = a.htlc_orders_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=1_000_00, buy="THB",
                                    now=now(bridge_network), count=2)  # fmt: skip
    a.submit_many([BridgeClient.htlc_instruction(order) for order in orders])
    secrets = [{"id": order.swap_id, "secret": "0x" + order.secret.hex()} for order in orders]
    with pytest.raises(BridgeRequestError) as caught:
        a.request("POST", "/v1/swaps/batch/secrets", {"secrets": secrets})
    assert caught.value.status == 409 and caught.value.field == "secrets.0.state"
    with pytest.raises(BridgeRequestError) as caught:
        c.request("POST", "/v1/swaps/batch/secrets", {"secrets": secrets})
    assert caught.value.status == 403 and caught.value.field == "secrets.0.participant"


def test_a_retried_file_is_recorded_once(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    instructions = _pvp_file(a, b, bridge_network, [1_00, 2_00, 3_00])
    first = a.submit_many(instructions, idempotency_key="file-7")
    second = a.submit_many(instructions, idempotency_key="file-7")
    assert first == second
    assert len(a.swaps()["items"]) == 3


@pytest.mark.parametrize(("body", "field"), [
    ({"swaps": []}, "swaps"),
    ({"swaps": [{"model": "pvp"}] * 501}, "swaps"),
    ({"acceptances": [{"id": "0x12", "signature": "0x" + "11" * 65}]}, "acceptances.0.id"),
])  # fmt: skip
def test_malformed_files_name_the_field(clients: dict[str, BridgeClient], body: dict, field: str) -> None:
    path = "/v1/swaps/batch" if "swaps" in body else "/v1/swaps/batch/accept"
    with pytest.raises(BridgeRequestError) as caught:
        clients["yangtze"].request("POST", path, body)
    assert caught.value.status == 422 and caught.value.field == field

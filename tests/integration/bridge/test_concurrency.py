"""Fifty swaps in flight at once, both models, one relayer key: no nonce collision, all settle,
every token's supply unchanged and every bank's balance exactly the sum of its swaps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bridge.sdk.client import BridgeClient
from corridor.network import Network
from tests.integration.bridge.conftest import balances, now, supply

pytestmark = pytest.mark.integration
PAIRS = [("yangtze", "harbour"), ("pearlriver", "harbour"), ("harbour", "yangtze"), ("harbour", "pearlriver")]
CROSS = [("yangtze", "chaophraya"), ("pearlriver", "chaophraya"), ("chaophraya", "yangtze"), ("harbour", "chaophraya")]


def test_fifty_swaps_in_flight_all_settle(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    net = bridge_network
    before, total = balances(net), supply(net)
    expected = dict(before)
    cny_hkd = int(clients["yangtze"].rate("CNY", "HKD")["mid_fixed_8"]) * 10**10

    def pvp(i: int) -> dict:
        seller, buyer = PAIRS[i % len(PAIRS)]
        sell, buy = ("CNY", "HKD") if seller != "harbour" else ("HKD", "CNY")
        rate = cny_hkd if sell == "CNY" else int(clients[seller].rate("HKD", "CNY")["mid_fixed_8"]) * 10**10
        swap = clients[seller].submit_pvp(counterparty=clients[buyer].account.address, sell=sell, sell_amount=1_000_00 + i,
                                          buy=buy, rate=rate, deadline=now(net) + 900)  # fmt: skip
        clients[buyer].accept(swap)
        return {"swap": swap, "seller": seller, "buyer": buyer}

    def htlc(i: int) -> dict:
        seller, buyer = CROSS[i % len(CROSS)]
        sell = {"yangtze": "CNY", "pearlriver": "CNY", "harbour": "HKD", "chaophraya": "THB"}[seller]
        buy = "THB" if sell != "THB" else "CNY"
        quote = clients[seller].quote(sell, buy, "sell", 2_000_00 + i)
        order = clients[seller].signer.htlc_order(counterparty=clients[buyer].account.address, sell=sell, sell_amount=2_000_00 + i,
                                                  buy=buy, rate=int(quote["quote"]["mid"]), now=now(net),
                                                  quote_hash=bytes.fromhex(quote["hash"][2:]),
                                                  quote_valid_until=int(quote["quote"]["valid_until"]))  # fmt: skip
        swap = clients[seller].submit_htlc(order)
        clients[buyer].accept(swap)
        clients[seller].wait_for(swap["id"], {"locked_b"}, timeout=120)
        clients[seller].reveal(order)
        return {"swap": swap, "seller": seller, "buyer": buyer, "order": order}

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(pvp if i % 2 == 0 else htlc, i) for i in range(50)]
        results = [f.result(timeout=300) for f in futures]
    for r in results:
        done = clients[r["seller"]].wait_for(r["swap"]["id"], {"settled", "failed", "refunded"}, timeout=180)
        assert done["state"] == "settled", done["transitions"]
        leg_a, leg_b = done["leg_a"], done["leg_b"]
        expected[(r["seller"], leg_a["currency"])] -= leg_a["amount"]
        expected[(r["buyer"], leg_a["currency"])] += leg_a["amount"]
        expected[(r["buyer"], leg_b["currency"])] -= leg_b["amount"]
        expected[(r["seller"], leg_b["currency"])] += leg_b["amount"]
    assert balances(net) == expected
    assert supply(net) == total

"""The bridge over HTTP, driven through the bank SDK against a running server and real ledgers."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from bridge.api.auth import sign_request
from bridge.sdk.client import BridgeClient, BridgeRequestError
from bridge.server import ServerThread
from corridor.network import Network
from tests.integration.bridge.conftest import balances, now, supply

pytestmark = pytest.mark.integration


def _rate(client: BridgeClient, base: str, quote: str) -> int:
    return int(client.rate(base, quote)["mid_fixed_8"]) * 10**10


def test_same_ledger_swap_through_the_sdk(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    before = balances(bridge_network)
    rate = _rate(a, "CNY", "HKD")
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=250_000_00, buy="HKD", rate=rate,
                        deadline=now(bridge_network) + 600)  # fmt: skip
    assert swap["state"] == "proposed"
    assert int(swap["oracle_mid"]) == rate  # beyond 2^53: a decimal string
    b.accept(swap, expect={"amountA": 250_000_00, "partyB": b.account.address})
    done = a.wait_for(swap["id"], {"settled", "failed"}, timeout=30)
    assert done["state"] == "settled", done
    assert done["leg_a"]["settle_tx"]
    after = balances(bridge_network)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 250_000_00
    assert after[("harbour", "HKD")] == before[("harbour", "HKD")] - done["leg_b"]["amount"]
    assert [t["to"] for t in done["transitions"] if t["from"] != t["to"]] == ["proposed", "accepted", "settling", "settled"]


def test_cross_ledger_swap_through_the_sdk(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, c = clients["yangtze"], clients["chaophraya"]
    before, total = balances(bridge_network), supply(bridge_network)
    quote = a.quote("CNY", "THB", "sell", 80_000_00)
    rate = int(quote["quote"]["mid"])
    order = a.signer.htlc_order(counterparty=c.account.address, sell="CNY", sell_amount=80_000_00, buy="THB", rate=rate,
                                now=now(bridge_network), quote_hash=bytes.fromhex(quote["hash"][2:]),
                                quote_valid_until=int(quote["quote"]["valid_until"]))  # fmt: skip
    swap = a.submit_htlc(order)
    assert swap["id"] == order.swap_id and swap["model"] == "htlc"
    c.accept(swap, expect={"sellAmount": 80_000_00, "buyAmount": order.order.buyAmount})
    a.wait_for(swap["id"], {"locked_b"}, timeout=30)
    a.reveal(order)  # the SDK checks both locks on chain first
    done = a.wait_for(swap["id"], {"settled"}, timeout=30)
    after = balances(bridge_network)
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - 80_000_00
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + 80_000_00
    assert after[("yangtze", "THB")] == before[("yangtze", "THB")] + order.order.buyAmount
    assert after[("chaophraya", "THB")] == before[("chaophraya", "THB")] - order.order.buyAmount
    assert supply(bridge_network) == total
    legs = (done["leg_a"], done["leg_b"])
    assert all(leg["lock_tx"] and leg["settle_tx"] for leg in legs)


def test_idempotency_key_returns_the_original_swap(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    rate = _rate(a, "CNY", "HKD")
    ledger, terms, signature = a.signer.pvp_order(counterparty=b.account.address, sell="CNY", sell_amount=1_00, buy="HKD",
                                                  rate=rate, deadline=now(bridge_network) + 600)  # fmt: skip
    body = {"model": "pvp", "ledger": ledger, "terms": {k: (int(v) if v.isdigit() else v) for k, v in terms.items()},
            "signature": signature}  # fmt: skip
    first = a.request("POST", "/v1/swaps", body, idempotency_key="retry-1")
    second = a.request("POST", "/v1/swaps", body, idempotency_key="retry-1")
    assert first["id"] == second["id"]
    assert a.swaps()["items"].__len__() == 1
    with pytest.raises(BridgeRequestError) as caught:
        a.request("POST", "/v1/swaps", {**body, "signature": "0x" + "11" * 65}, idempotency_key="retry-1")
    assert caught.value.status == 409 and caught.value.field == "Idempotency-Key"


def test_a_bank_sees_only_its_own_swaps_and_the_regulator_sees_all(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b, d = clients["yangtze"], clients["harbour"], clients["pearlriver"]
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=1_00, buy="HKD",
                        rate=_rate(a, "CNY", "HKD"), deadline=now(bridge_network) + 600)  # fmt: skip
    with pytest.raises(BridgeRequestError) as caught:
        d.swap(swap["id"])
    assert caught.value.status == 403
    assert d.swaps()["items"] == []
    assert [s["id"] for s in clients["regulator"].swaps()["items"]] == [swap["id"]]
    with pytest.raises(BridgeRequestError) as caught:
        clients["regulator"].cancel(swap["id"])
    assert caught.value.status == 403


def test_requests_must_be_signed_fresh_and_unique(bridge_url: str, bridge_network: Network) -> None:
    account = bridge_network.keys.account("yangtze")
    stale = {"X-Corridor-Participant": "yangtze", **sign_request(account, "GET", "/v1/swaps", b"", int(time.time()) - 120)}
    response = httpx.get(bridge_url + "/v1/swaps", headers=stale)
    assert response.status_code == 401 and response.json()["field"] == "X-Corridor-Timestamp"
    forged = {"X-Corridor-Participant": "harbour", **sign_request(account, "GET", "/v1/swaps", b"")}
    response = httpx.get(bridge_url + "/v1/swaps", headers=forged)
    assert response.status_code == 401 and response.json()["field"] == "X-Corridor-Signature"
    good = {"X-Corridor-Participant": "yangtze", **sign_request(account, "GET", "/v1/swaps", b"")}
    assert httpx.get(bridge_url + "/v1/swaps", headers=good).status_code == 200
    replay = httpx.get(bridge_url + "/v1/swaps", headers=good)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"]
    assert httpx.get(bridge_url + "/v1/swaps").json()["field"] == "X-Corridor-Participant"


@pytest.mark.parametrize(
    ("mutate", "status", "field"),
    [
        (lambda t: {**t, "amountA": 0}, 422, "terms.amountA"),
        (lambda t: {**t, "partyA": "0x123"}, 422, "terms.partyA"),
        (lambda t: {**t, "extra": 1}, 422, "terms.extra"),
        (lambda t: {**t, "amountB": t["amountB"] + 500}, 422, "terms.amountB"),
        (lambda t: {**t, "rate": t["rate"] * 2, "amountB": t["amountB"] * 2}, 422, "terms.rate"),
        (lambda t: {**t, "deadline": 1}, 422, "terms.deadline"),
        (lambda t: {**t, "amountA": 10**30, "amountB": 10**30 * t["rate"] // 10**18}, 422, "terms.amountA"),
    ],
)
def test_bad_swap_terms_get_4xx_naming_the_field(clients: dict[str, BridgeClient], bridge_network: Network, mutate, status, field) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    ledger, terms, _ = a.signer.pvp_order(counterparty=b.account.address, sell="CNY", sell_amount=1_000_00, buy="HKD",
                                          rate=_rate(a, "CNY", "HKD"), deadline=now(bridge_network) + 600)  # fmt: skip
    bad = mutate({k: (int(v) if isinstance(v, str) and v.isdigit() else v) for k, v in terms.items()})
    signature = a.signer.sign_pvp(ledger, {k: str(v) for k, v in bad.items()}) if "extra" not in bad and bad["partyA"] != "0x123" else "0x" + "00" * 65
    with pytest.raises(BridgeRequestError) as caught:
        a.request("POST", "/v1/swaps", {"model": "pvp", "ledger": ledger, "terms": bad, "signature": signature})
    assert (caught.value.status, caught.value.field) == (status, field), caught.value


def test_wrong_signature_and_wrong_state(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    ledger, terms, signature = a.signer.pvp_order(counterparty=b.account.address, sell="CNY", sell_amount=1_00, buy="HKD",
                                                  rate=_rate(a, "CNY", "HKD"), deadline=now(bridge_network) + 600)  # fmt: skip
    body = {"model": "pvp", "ledger": ledger, "terms": {k: (int(v) if v.isdigit() else v) for k, v in terms.items()}}
    with pytest.raises(BridgeRequestError) as caught:
        a.request("POST", "/v1/swaps", {**body, "signature": b.signer.sign_pvp(ledger, terms)})
    assert (caught.value.status, caught.value.field) == (401, "signature")
    swap = a.request("POST", "/v1/swaps", {**body, "signature": signature})
    with pytest.raises(BridgeRequestError) as caught:
        a.accept(swap)  # the initiator cannot accept its own order
    assert caught.value.status == 403
    with pytest.raises(BridgeRequestError) as caught:
        a.request("POST", f"/v1/swaps/{swap['id']}/secret", {"secret": "0x" + "00" * 32})
    assert caught.value.status == 409 and caught.value.field == "secret"
    a.cancel(swap["id"])
    with pytest.raises(BridgeRequestError) as caught:
        b.accept(swap)
    assert (caught.value.status, caught.value.field) == (409, "state")


def test_market_endpoints(clients: dict[str, BridgeClient]) -> None:
    a = clients["yangtze"]
    rate = a.rate("CNY", "THB")
    assert rate["derived"] is True and rate["market"] in {"open", "weekend", "holiday"}
    with pytest.raises(BridgeRequestError) as caught:
        a.rate("CNY", "XYZ")
    assert (caught.value.status, caught.value.field) == (422, "quote")
    participants = a.request("GET", "/v1/participants")
    assert {p["name"] for p in participants} >= {"yangtze", "harbour", "chaophraya", "pearlriver"}
    assert {c["code"] for c in a.request("GET", "/v1/currencies")} == {"CNY", "HKD", "THB"}
    quote = a.quote("CNY", "HKD", "buy", 100_00)
    assert int(quote["quote"]["rate"]) > int(quote["quote"]["mid"])
    with pytest.raises(BridgeRequestError) as caught:
        a.quote("CNY", "CNY", "buy", 100_00)
    assert caught.value.status == 422


def test_health_and_metrics(bridge_url: str) -> None:
    health = httpx.get(bridge_url + "/v1/health").json()
    assert health["ok"] is True and health["database"]["reachable"] is True
    assert all(ledger["reachable"] and ledger["oracle"]["fresh"] for ledger in health["ledgers"].values())
    metrics = httpx.get(bridge_url + "/metrics").text
    assert "corridor_swaps" in metrics and "corridor_settlement_seconds" in metrics
    assert httpx.get(bridge_url + "/openapi.json").json()["info"]["title"] == "Corridor bridge"




def test_event_stream_follows_a_swap_to_its_end(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b = clients["yangtze"], clients["harbour"]
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=5_00, buy="HKD",
                        rate=_rate(a, "CNY", "HKD"), deadline=now(bridge_network) + 600)  # fmt: skip
    b.accept(swap)
    states = [event["to"] for event in a.events(swap["id"])]
    assert states[0] == "proposed" and states[-1] == "settled"


def test_regulator_views_are_for_the_regulator_only(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b, regulator = clients["yangtze"], clients["harbour"], clients["regulator"]
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=7_00, buy="HKD",
                        rate=_rate(a, "CNY", "HKD"), deadline=now(bridge_network) + 600)  # fmt: skip
    b.accept(swap)
    a.wait_for(swap["id"], {"settled"}, timeout=30)
    overview = regulator.request("GET", "/v1/regulator/overview")
    assert overview["counts"]["by_state"] == {"settled": 1}
    settled = {m["currency"]: m["minor_units"] for m in overview["counts"]["settled_value"]}
    assert settled == {"CNY": 7_00, "HKD": swap["leg_b"]["amount"]}
    assert {m["display"] for m in overview["counts"]["settled_value"]} >= {"7.00 CNY"}
    assert {p["participant"] for p in overview["positions"]} == {"yangtze", "harbour", "chaophraya", "pearlriver"}
    assert {(p["participant"], p["currency"]): p["balance"]["minor_units"] for p in overview["positions"]} == balances(bridge_network)
    timeline = regulator.request("GET", f"/v1/regulator/swaps/{swap['id']}/timeline")
    assert [s["to"] for s in timeline["steps"] if s["from"] != s["to"]][-1] == "settled"
    assert str(timeline["oracle_round"]) == str(swap["oracle_round"])
    report = regulator.request("GET", "/v1/regulator/report")
    assert [i["id"] for i in report["indicators"]["items"]] == [swap["id"]]
    assert report["indicators"]["holds"] == "swaps 1–1 of 1, in the order the bridge received them"
    legs = [m for m in report["movements"]["items"] if m["swap_id"] == swap["id"] and m["currency"] == "CNY"]
    assert {(m["holder"], m["change"]["display"]) for m in legs} == {("Yangtze Commercial Bank", "-7.00 CNY"), ("Harbour Bank", "7.00 CNY")}
    assert report["reconciliation"]["ok"] is True, report["reconciliation"]
    with pytest.raises(BridgeRequestError) as caught:
        a.request("GET", "/v1/regulator/overview")
    assert caught.value.status == 403


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/swaps?offset=100000000000000000000", "query.offset"),  # beyond the database's 64-bit integers
    ("/v1/events?after=100000000000000000000", "query.after"),
])  # fmt: skip
def test_positions_beyond_the_database_range_are_refused(clients: dict[str, BridgeClient], path: str, field: str) -> None:
    """Found by schemathesis: an offset past 2**63 reached SQLite and came back as a 500."""
    with pytest.raises(BridgeRequestError) as caught:
        clients["yangtze"].request("GET", path)
    assert caught.value.status == 422 and caught.value.field == field


def test_refused_instructions_are_recorded_by_rule_with_the_swap_they_named(clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    a, b, regulator = clients["yangtze"], clients["harbour"], clients["regulator"]
    off = _rate(a, "CNY", "HKD") * 103 // 100
    with pytest.raises(BridgeRequestError) as refused:
        a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=3_00, buy="HKD", rate=off, deadline=now(bridge_network) + 600,
                     max_deviation_bps=50)  # fmt: skip
    assert refused.value.status == 422 and "HKD per CNY" in (refused.value.detail or "") and "round #" in (refused.value.detail or "")
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=3_00, buy="HKD", rate=_rate(a, "CNY", "HKD"),
                        deadline=now(bridge_network) + 600)  # fmt: skip
    with pytest.raises(BridgeRequestError):
        a.accept(swap)  # only the counterparty may accept
    report = regulator.request("GET", "/v1/regulator/report")
    by_rule = {r["rule"]: r for r in report["refusals"]}
    assert set(by_rule) == {"rate outside tolerance", "not permitted"}
    assert by_rule["rate outside tolerance"]["status"] == "422" and by_rule["rate outside tolerance"]["swap_state"] == "never recorded"
    assert by_rule["not permitted"]["swap_id"] == swap["id"] and by_rule["not permitted"]["swap_state"] == "proposed"
    assert by_rule["not permitted"]["participant"] == "Yangtze Commercial Bank" and by_rule["not permitted"]["action"] == "accept"
    assert {r["rule"]: r["count"] for r in report["refusals_by_rule"]} == {"rate outside tolerance": 1, "not permitted": 1}


def test_the_bridge_hands_the_interpreter_lock_as_configured(bridge_network: Network, tmp_path: Path) -> None:
    """``bridge.interpreter_switch_ms`` is the process's interpreter switch interval once the app runs."""
    from bridge.api.app import create_app

    chosen = 2.5
    assert sys.getswitchinterval() != pytest.approx(chosen / 1000)
    settings = bridge_network.settings
    configured = replace(bridge_network, settings=settings.model_copy(update={"bridge": settings.bridge.model_copy(update={"interpreter_switch_ms": chosen})}))
    before = sys.getswitchinterval()
    try:
        with ServerThread(create_app(configured, f"sqlite:///{tmp_path / 'switch.db'}")) as server:
            assert httpx.get(f"{server.url}/v1/health").status_code == 200
            assert sys.getswitchinterval() == pytest.approx(chosen / 1000)
    finally:
        sys.setswitchinterval(before)

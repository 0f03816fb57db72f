"""Ledger clocks that diverge beyond the safety margin: no secret moves, no one-legged swap; the
affected swaps refund on both ledgers; the skew is measured and alerted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import escape
from bridge.sdk.client import BridgeClient, BridgeRequestError, LockNotVerified
from bridge.sdk.signer import HtlcOrder, NetworkInfo
from corridor.config import Settings
from corridor.network import Network
from tests.integration.bridge.conftest import balances, open_clients, supply
from tests.integration.bridge.fault_injection.harness import FaultLedgers, fault_network, health, metric, move_clock, running_bridge, sync_clocks, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.fixture(scope="module")
def clocks(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, FaultLedgers]]:
    with fault_network(settings, tmp_path_factory.mktemp("clocks")) as made:
        yield made


def _locked_swap(a: BridgeClient, c: BridgeClient, net: Network, amount: int) -> HtlcOrder:
    """A CNY→THB swap (leg A on ledger A, leg B on ledger B) with both legs locked."""
    order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=net.clients["A"].clock())
    swap = a.submit_htlc(order)
    c.accept(swap)
    assert a.wait_for(order.swap_id, {"locked_b"}, timeout=20)["state"] == "locked_b"
    return order


def _no_claim_on_b(net: Network, order: HtlcOrder) -> bool:
    htlc_b = net.contract("B", "htlc")
    lock_b = htlc_b.functions.lockIdOf(order.order.counterparty, order.order.hashlock).call()
    return not htlc_b.events.Claimed().get_logs(from_block=0, argument_filters={"lockId": lock_b})


def test_ledger_a_clock_ahead_no_secret_moves_and_both_legs_refund(clocks: tuple[Network, FaultLedgers], tmp_path: Path) -> None:
    """Defect 2: both legs locked; ledger A's clock alone jumps 3,700 s (leg A expired on A, leg B
    still open on B). The old SDK's check passed, the bridge claimed leg B for the initiator and then
    failed to claim leg A: the counterparty lost its THB. Now the SDK refuses to reveal, the bridge
    refuses the secret, the escape hatch refuses to claim leg B, the watchtower sends the swap to
    refunds, both legs go back, and the skew is alerted."""
    net, _ = clocks
    sync_clocks(net)
    before, total = balances(net), supply(net)
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        a, c, regulator = clients["yangtze"], clients["chaophraya"], clients["regulator"]
        order = _locked_swap(a, c, net, 96_154_00)
        app.state.worker.pause()  # the bridge stands still: the checks below are the SDK's, the escape hatch's, the intake's

        move_clock(net, "A", 3_700)  # leg A (3,600 s) expired on ledger A; leg B (1,800 s) open on ledger B
        wait_until(lambda: health(url)[1]["clocks"]["alert"], timeout=3)
        clocks_seen = health(url)[1]["clocks"]
        assert 3_600 < clocks_seen["skew_seconds"] < 3_800 and clocks_seen["between"] == ["A", "B"]
        assert (metric(url, "corridor_ledger_clock_skew_seconds") or 0) > 3_600
        wait_until(lambda: metric(url, "corridor_alerts_open", kind="clock_skew", severity="warning") == 1.0, timeout=3)
        alerts = regulator.request("GET", "/v1/regulator/alerts?open_only=true")["items"]
        assert [alert["kind"] for alert in alerts] == ["clock_skew"]

        with pytest.raises(LockNotVerified, match="safety margin"):  # the SDK's check, on ledger A's own clock
            a.reveal(order)
        with pytest.raises(escape.EscapeRefused, match="safety margin"):  # the escape hatch's
            escape.claim(net.keys.account("yangtze"), order.order, NetworkInfo.from_json(a.request("GET", "/v1/network")), "b", order.secret)
        # a secret sent anyway (a signed request without the SDK's check) is refused: the swap refunds
        with pytest.raises(BridgeRequestError) as refused:
            a.request("POST", f"/v1/swaps/{order.swap_id}/secret", {"secret": "0x" + order.secret.hex()})
        assert refused.value.status == 409 and refused.value.field == "secret" and "safety margin" in str(refused.value.detail)
        app.state.worker.resume()
        assert a.wait_for(order.swap_id, {"refunding"}, timeout=10)["state"] == "refunding"
        journal = a.swap(order.swap_id)["transitions"]
        assert any("safety margin" in (t["detail"] or "") for t in journal)

        sync_clocks(net)  # ledger B's clock catches up: leg B expires there too
        assert a.wait_for(order.swap_id, {"refunded", "settled", "failed"}, timeout=20)["state"] == "refunded"
        assert _no_claim_on_b(net, order)
        assert balances(net) == before and supply(net) == total  # nobody lost anything
        wait_until(lambda: not health(url)[1]["clocks"]["alert"], timeout=3)
        assert regulator.request("GET", "/v1/regulator/alerts?open_only=true")["items"] == []


def test_bridge_does_not_claim_leg_b_when_ledger_a_jumps_after_the_reveal(clocks: tuple[Network, FaultLedgers], tmp_path: Path) -> None:
    """The secret was accepted while the clocks agreed; before the bridge claims leg B, ledger A's clock
    jumps past leg A's expiry. The old bridge claimed leg B anyway, then failed on leg A (one-legged);
    now the claim of leg B is refused by the same rule and both legs refund."""
    net, _ = clocks
    sync_clocks(net)
    before, total = balances(net), supply(net)
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        a, c = clients["yangtze"], clients["chaophraya"]
        order = _locked_swap(a, c, net, 40_000_00)
        app.state.worker.pause()
        assert a.reveal(order)["state"] == "claiming_b"
        move_clock(net, "A", 3_700)
        app.state.worker.resume()
        assert a.wait_for(order.swap_id, {"refunding", "claiming_a", "settled", "failed"}, timeout=10)["state"] == "refunding"
        sync_clocks(net)
        assert a.wait_for(order.swap_id, {"refunded", "settled", "failed"}, timeout=20)["state"] == "refunded"
        assert _no_claim_on_b(net, order)
        assert balances(net) == before and supply(net) == total
        wait_until(lambda: not health(url)[1]["clocks"]["alert"], timeout=3)  # the skew alert resolves once the clocks agree

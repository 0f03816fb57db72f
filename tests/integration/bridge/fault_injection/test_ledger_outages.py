"""A ledger restarted or frozen while swaps are mid-flight: the worker survives, the other ledger's
swaps and refunds go on, health tells the truth within a second (answering at once throughout),
requests that need the missing ledger get a JSON 503 naming it, and everything resumes after."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bridge.sdk.client import BridgeClient, BridgeRequestError
from corridor.config import Settings
from corridor.network import Network
from tests.integration.bridge.conftest import open_clients
from tests.integration.bridge.fault_injection.harness import FaultLedgers, fault_network, health, metric, running_bridge, sync_clocks, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.fixture(scope="module")
def outage(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, FaultLedgers]]:
    with fault_network(settings, tmp_path_factory.mktemp("outage")) as made:
        yield made


def _rate(client: BridgeClient, base: str, quote: str) -> int:
    return int(client.rate(base, quote)["mid_fixed_8"]) * 10**10


def _pvp(a: BridgeClient, b: BridgeClient, net: Network, amount: int) -> str:
    """A same-ledger CNY/HKD swap on ledger A, submitted and accepted; its id."""
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=_rate(a, "CNY", "HKD"),
                        deadline=net.clients["A"].clock() + 600)  # fmt: skip
    b.accept(swap)
    return str(swap["id"])


def test_worker_survives_a_ledger_restart_and_the_other_ledger_settles_meanwhile(outage: tuple[Network, FaultLedgers], tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Defect 1: a THB-selling proposal waits for acceptance (its ledger is B); ledger B is restarted.
    On the old worker the clock read of that proposal killed the worker thread: no swap settled
    afterwards, on ledger A either, while health said ok."""
    from bridge.engine import coordinator as coordinator_module

    monkeypatch.setattr(coordinator_module, "PROPOSED_SCAN_SECONDS", 0.1)  # proposals read on (almost) every pass
    net, ledgers = outage
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        yangtze, harbour, chaophraya = clients["yangtze"], clients["harbour"], clients["chaophraya"]
        order = chaophraya.htlc_order_at_quote(counterparty=yangtze.account.address, sell="THB", sell_amount=500_000_00, buy="CNY",
                                               now=net.clients["B"].clock())  # fmt: skip
        proposal = chaophraya.submit_htlc(order)
        time.sleep(0.3)  # the worker reads the proposal's ledger B clock on its passes

        ledgers.stop("B")
        down = wait_until(lambda: not health(url)[1]["ledgers"]["B"]["up"], timeout=3)
        seconds, answer = health(url)
        assert seconds < 1.0 and answer["ok"] is False and answer["ledgers"]["B"]["down_since"]
        assert answer["ledgers"]["A"]["up"] and any("ledger B down" in problem for problem in answer["problems"])

        # ledger A's same-ledger swaps settle while B is down
        started = time.monotonic()
        swap_id = _pvp(yangtze, harbour, net, 10_000_00)
        assert yangtze.wait_for(swap_id, {"settled", "failed"}, timeout=15)["state"] == "settled"
        settled_in = time.monotonic() - started

        # a request that needs ledger B: a JSON 503 naming it, with Retry-After
        response = httpx.post(f"{url}/v1/quotes", timeout=10)  # unsigned: 401 JSON, never a text 500
        assert response.status_code == 401 and response.json()["error"] == "unauthenticated"
        with pytest.raises(BridgeRequestError) as refused:
            chaophraya.quote("THB", "CNY", "sell", 1_000_00)
        assert refused.value.status == 503 and refused.value.error == "ledger_unavailable" and "ledger B" in str(refused.value.detail)
        assert refused.value.retry_after is not None and refused.value.retry_after >= 1

        assert (metric(url, "corridor_rpc_errors_total", ledger="B", kind="connection") or 0) > 0
        assert metric(url, "corridor_ledger_up", ledger="B") == 0.0
        assert metric(url, "corridor_worker_up") == 1.0
        wait_until(lambda: metric(url, "corridor_swaps_waiting_for_ledger", ledger="B") == 1.0, timeout=2)  # the THB proposal

        ledgers.start("B")
        back = wait_until(lambda: health(url)[1]["ledgers"]["B"]["up"], timeout=5)
        # the proposal on ledger B goes on: accepted, locked on both ledgers, revealed, settled
        yangtze.accept(proposal)
        chaophraya.wait_for(order.swap_id, {"locked_b"}, timeout=20)
        chaophraya.reveal(order)
        assert chaophraya.wait_for(order.swap_id, {"settled", "refunding", "failed"}, timeout=20)["state"] == "settled"
        final = health(url)[1]
        assert final["ok"] and final["worker"]["restarts"] == 0  # it survived: nothing had to restart it
        logging.getLogger(__name__).warning("ledger restart: down seen in %.2fs, PvP on A settled in %.2fs meanwhile, "
                                            "up again %.2fs after the restart", down, settled_in, back)  # fmt: skip


def test_a_frozen_ledger_delays_only_its_own_steps_and_health_answers_at_once(outage: tuple[Network, FaultLedgers], tmp_path: Path) -> None:
    """Defect 3: ledger B frozen (SIGSTOP). Health answers within a second throughout and says B is
    down since when; same-ledger settlement and a refund on ledger A go on; after SIGCONT
    everything resumes. The old bridge's health hung for the whole outage and then said ok."""
    net, ledgers = outage
    sync_clocks(net)
    thb, bank = net.token("THB"), net.keys.account("chaophraya")
    htlc_b = net.contract("B", "htlc").address
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        yangtze, harbour, chaophraya = clients["yangtze"], clients["harbour"], clients["chaophraya"]
        # a linked-ledger swap whose counterparty defaults: leg A locked, waiting for its refund
        order = yangtze.htlc_order_at_quote(counterparty=chaophraya.account.address, sell="CNY", sell_amount=70_000_00, buy="THB",
                                            now=net.clients["A"].clock())  # fmt: skip
        yangtze.submit_htlc(order)
        app.state.worker.pause()  # the counterparty withdraws its approval right after accepting
        chaophraya.accept(yangtze.swap(order.swap_id))
        net.clients["B"].transact(bank, thb.functions.approve(htlc_b, 0))
        app.state.worker.resume()
        assert yangtze.wait_for(order.swap_id, {"refunding"}, timeout=15)["state"] == "refunding"
        wait_until(lambda: app.state.repo.get(order.swap_id).leg_b.outcome == "unlocked", timeout=5)  # lane B saw leg B never locked
        cny_before = int(net.token("CNY").functions.balanceOf(yangtze.account.address).call())

        ledgers.freeze("B")
        frozen_at = time.monotonic()
        latencies = []

        def b_down() -> bool:
            seconds, answer = health(url)
            latencies.append(seconds)
            return not answer["ledgers"]["B"]["up"]

        seen_down = wait_until(b_down, timeout=5)
        # ledger A's clock reaches leg A's expiry (B is frozen: only A's clock moves): the refund on
        # A must not wait for B
        w3a = net.clients["A"].w3
        w3a.provider.make_request("evm_setNextBlockTimestamp", [order.order.initiatorExpiry + 1])  # type: ignore[arg-type]
        w3a.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        swap_id = _pvp(yangtze, harbour, net, 20_000_00)
        assert yangtze.wait_for(swap_id, {"settled", "failed"}, timeout=15)["state"] == "settled"

        def refunded_on_a() -> bool:
            latencies.append(health(url)[0])
            return int(net.token("CNY").functions.balanceOf(yangtze.account.address).call()) == cny_before + 70_000_00 - 20_000_00

        wait_until(refunded_on_a, timeout=15)
        while time.monotonic() - frozen_at < 6:  # a longer outage: health keeps answering at once
            latencies.append(health(url)[0])
            time.sleep(0.1)
        seconds, answer = health(url)
        assert not answer["ledgers"]["B"]["up"] and answer["ledgers"]["B"]["circuit"] == "open"
        # leg B was never locked (known before the freeze) and leg A is back: refunded without ledger B
        assert yangtze.swap(order.swap_id)["state"] == "refunded"
        assert (metric(url, "corridor_rpc_errors_total", ledger="B", kind="timeout") or 0) >= 1
        assert max(latencies) < 1.0, f"health took up to {max(latencies):.2f}s"

        ledgers.thaw("B")
        back = wait_until(lambda: health(url)[1]["ledgers"]["B"]["up"], timeout=5)
        sync_clocks(net)
        net.clients["B"].transact(bank, thb.functions.approve(htlc_b, 2**256 - 1))
        logging.getLogger(__name__).warning("ledger freeze: down seen in %.2fs; health at most %.3fs over %d calls; up %.2fs "
                                            "after SIGCONT", seen_down, max(latencies), len(latencies), back)  # fmt: skip


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the lane killed on purpose
def test_a_lane_that_dies_is_restarted_and_failing_passes_are_logged_once(outage: tuple[Network, FaultLedgers], tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    """Defect 1 (supervision) and 5 (logs): a pass that raises is counted and retried with back-off,
    logged once however often it fails; a lane thread killed outright is restarted; both show in
    health and /metrics, and swaps settle afterwards."""
    net, _ = outage
    sync_clocks(net)

    class Killed(BaseException):
        """Escapes ``except Exception``: ends the thread."""

    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        worker = app.state.worker
        original = worker._pass
        failures = {"left": 5}

        def failing(ledger: str, active: list, proposed: bool = True) -> None:  # type: ignore[type-arg]
            if ledger == "A" and failures["left"] > 0:
                failures["left"] -= 1
                raise ConnectionError("ledger A read failed")  # what killed the old worker
            original(ledger, active, proposed)

        with caplog.at_level(logging.WARNING, logger="bridge.engine.supervisor"):
            worker._pass = failing
            wait_until(lambda: failures["left"] == 0, timeout=15)
        lane = health(url)[1]["worker"]["lanes"]["A"]
        assert lane["alive"] and lane["errors"] >= 5
        assert len([r for r in caplog.records if "lane-A step failed" in r.getMessage()]) == 1

        def killer(ledger: str, active: list, proposed: bool = True) -> None:  # type: ignore[type-arg]
            if ledger != "A":
                return original(ledger, active, proposed)
            worker._pass = original
            killed_at.append(time.monotonic())
            raise Killed()

        killed_at: list[float] = []
        worker._pass = killer
        wait_until(lambda: health(url)[1]["worker"]["restarts"] >= 1 and health(url)[1]["worker"]["alive"], timeout=5, every=0.01)
        logging.getLogger(__name__).warning("lane killed: running again within %.2fs", time.monotonic() - killed_at[0])
        assert metric(url, "corridor_background_restarts_total", loop="lane-A") == 1.0
        swap_id = _pvp(clients["yangtze"], clients["harbour"], net, 5_000_00)
        assert clients["yangtze"].wait_for(swap_id, {"settled", "failed"}, timeout=15)["state"] == "settled"
        wait_until(lambda: health(url)[1]["worker"]["healthy"], timeout=5)

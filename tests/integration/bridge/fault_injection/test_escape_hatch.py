"""The bridge gone for good: every swap of a bank is finished or refunded with ``corridor swap
recover``, from the bank's own store (what its SDK kept when signing) and the chains alone; a
revealed secret is read from the chain with ``corridor swap secret``. And the SDK's retries: an
acceptance or a reveal sent again gets its first answer, the same lock nonce re-sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.sdk.client import BridgeClient
from bridge.sdk.signer import HtlcOrder
from bridge.sdk.store import OrderStore
from apps.cli import cli
from corridor.config import Settings
from corridor.network import Network
from tests.integration.bridge.conftest import balances, supply
from tests.integration.bridge.fault_injection.harness import FaultLedgers, fault_network, running_bridge, sync_clocks

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.fixture(scope="module")
def gone(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, FaultLedgers]]:
    with fault_network(settings, tmp_path_factory.mktemp("gone")) as made:
        yield made


def _corridor(stores: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"CORRIDOR_BANK_STORE": str(stores)})
    return result.exit_code, result.output


def _order(a: BridgeClient, c: BridgeClient, net: Network, amount: int) -> HtlcOrder:
    return a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=net.clients["A"].clock())


def test_with_the_bridge_gone_for_good_recover_finishes_every_swap(gone: tuple[Network, FaultLedgers], tmp_path: Path) -> None:
    """Defect 7. Three swaps when the bridge disappears: both legs locked, secret unrevealed (S1);
    both legs locked, the initiator then claims leg B itself (S2); the counterparty defaulted, leg A
    locked alone (S3). Each bank runs `corridor swap recover`: the counterparty claims S2's leg A
    with the secret read from ledger B; the initiator claims S1 (leg B, then leg A for the
    counterparty); after the expiries both legs of S3 are back. Only the stores and the chains."""
    net, _ = gone
    sync_clocks(net)
    stores = tmp_path / "stores"
    before, total = balances(net), supply(net)
    thb, bank = net.token("THB"), net.keys.account("chaophraya")
    htlc_b = net.contract("B", "htlc").address
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url):
        a = BridgeClient(url, "yangtze", net.keys.account("yangtze"), store=OrderStore.for_bank("yangtze", stores))
        c = BridgeClient(url, "chaophraya", net.keys.account("chaophraya"), store=OrderStore.for_bank("chaophraya", stores))
        s1, s2, s3 = _order(a, c, net, 10_000_00), _order(a, c, net, 20_000_00), _order(a, c, net, 30_000_00)
        for order in (s1, s2):
            c.accept(a.submit_htlc(order))
            assert a.wait_for(order.swap_id, {"locked_b"}, timeout=20)["state"] == "locked_b"
        a.submit_htlc(s3)
        app.state.worker.pause()  # S3's counterparty withdraws its approval right after accepting
        c.accept(a.swap(s3.swap_id))
        net.clients["B"].transact(bank, thb.functions.approve(htlc_b, 0))
        app.state.worker.resume()
        assert a.wait_for(s3.swap_id, {"refunding"}, timeout=20)["state"] == "refunding"
        a.close(), c.close()
    # the bridge is gone for good; nothing below talks to it

    code, output = _corridor(stores, "swap", "claim", "--as", "yangtze", "--swap", s2.swap_id, "--leg", "b")
    assert code == 0, output  # the initiator takes its THB (the clock rule allows it), publishing the secret
    code, output = _corridor(stores, "swap", "secret", "--swap", s2.swap_id, "--as", "chaophraya")
    assert code == 0 and "0x" + s2.secret.hex() in output, output

    code, output = _corridor(stores, "swap", "recover", "--as", "chaophraya")
    assert code == 1, output  # S1 and S3 wait; S2 is settled: its leg A claimed with the secret from ledger B
    assert "1 of 3 swaps final" in output, output
    code, output = _corridor(stores, "swap", "recover", "--as", "yangtze")
    assert code == 1 and "2 of 3 swaps final" in output, output  # S1 claimed both ways; S3's leg A not yet expired

    sync_clocks(net)
    net.set_time(s3.order.initiatorExpiry + 1)
    code, output = _corridor(stores, "swap", "recover", "--as", "yangtze")
    assert code == 0 and "3 of 3 swaps final" in output, output
    outcomes = {record["swap_id"]: record["recovered"] for record in OrderStore.for_bank("yangtze", stores).all()}
    assert outcomes == {s1.swap_id: "settled", s2.swap_id: "settled", s3.swap_id: "refunded"}

    after = balances(net)
    moved_cny = s1.order.sellAmount + s2.order.sellAmount
    moved_thb = s1.order.buyAmount + s2.order.buyAmount
    assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - moved_cny
    assert after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + moved_cny
    assert after[("yangtze", "THB")] == before[("yangtze", "THB")] + moved_thb
    assert after[("chaophraya", "THB")] == before[("chaophraya", "THB")] - moved_thb
    assert supply(net) == total
    net.clients["B"].transact(bank, thb.functions.approve(htlc_b, 2**256 - 1))


def test_a_retried_acceptance_or_reveal_gets_the_first_answer_with_the_same_lock_nonce(gone: tuple[Network, FaultLedgers],
                                                                                        tmp_path: Path) -> None:  # fmt: skip
    """Defect 7 (SDK): an acceptance whose answer was lost is sent again: the same acceptance (the lock
    nonce first drawn, kept in the store) under the same Idempotency-Key, answered with the first
    answer instead of "swap is accepted". The same for a reveal."""
    net, _ = gone
    sync_clocks(net)
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url):
        a = BridgeClient(url, "yangtze", net.keys.account("yangtze"), store=OrderStore(tmp_path / "yangtze"))
        c = BridgeClient(url, "chaophraya", net.keys.account("chaophraya"), store=OrderStore(tmp_path / "chaophraya"))
        order = _order(a, c, net, 5_000_00)
        swap = a.submit_htlc(order)
        app.state.worker.pause()
        first = c.accept(swap)
        again = c.accept(swap)  # a retry: the answer was lost
        assert first == again and first["state"] == "accepted"
        kept = c.store.get(swap["id"])
        assert kept is not None and kept["role"] == "counterparty" and "secret" not in kept
        fresh = BridgeClient(url, "chaophraya", net.keys.account("chaophraya"), store=OrderStore(tmp_path / "chaophraya"))
        assert fresh.accept(swap) == first  # a new process of the same bank: the store gives the same acceptance
        app.state.worker.resume()
        a.wait_for(order.swap_id, {"locked_b"}, timeout=20)
        revealed = a.reveal(order)
        assert a.reveal(order) == revealed
        assert a.wait_for(order.swap_id, {"settled"}, timeout=20)["state"] == "settled"
        assert a.store.get(order.swap_id)["secret"] == "0x" + order.secret.hex()  # type: ignore[index]
        assert (tmp_path / "yangtze" / "swaps" / f"{order.swap_id}.json").stat().st_mode & 0o777 == 0o600
        for client in (a, c, fresh):
            client.close()

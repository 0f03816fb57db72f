"""Records that disagree with the chain: a counterparty that relays the settlement itself, and a
journal that lost its last writes. What the chain settled is recorded settled with its transaction;
what the chain knows and the journal does not is an alert the regulator sees."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bridge.sdk.client import BridgeClient
from corridor.network import Network
from corridor.typed_data import Swap as PvPSwap
from corridor.typed_data import compact_signature
from tests.integration.bridge.conftest import open_clients
from tests.integration.bridge.fault_injection.harness import health, metric, running_bridge, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.faults]


def _instruction(a: BridgeClient, b: BridgeClient, net: Network, amount: int) -> dict[str, Any]:
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    return a.pvp_instruction(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=rate,
                             deadline=net.clients["A"].clock() + 600)  # fmt: skip


def _relay_settle(net: Network, a: BridgeClient, b: BridgeClient, swap_id: str, terms: dict[str, Any]) -> str:
    """The counterparty settles the swap on chain itself, with both banks' signatures (its own from
    its store, the initiator's as the initiator gave it)."""
    swap = PvPSwap(**{k: (int(v) if k not in ("partyA", "partyB", "tokenA", "tokenB") else v) for k, v in terms.items()})
    signatures = [compact_signature(bytes.fromhex(str(bank.store.get(swap_id)["signature"])[2:])) for bank in (a, b)]  # type: ignore[index]
    receipt = net.clients["A"].transact(b.account, net.contract("A", "pvp").functions.settle(swap.as_tuple(), *signatures))
    return "0x" + bytes(receipt["transactionHash"]).hex()


def _backup(database: Path, backup: Path) -> None:
    """A consistent copy of the live database, in one file (no WAL beside it)."""
    source, copy = sqlite3.connect(database), sqlite3.connect(backup)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()
        source.close()


def test_a_swap_the_counterparty_settles_itself_is_recorded_settled_with_its_tx(bridge_network: Network, tmp_path: Path) -> None:
    """Defect 6: the bridge is away; the counterparty relays ``settle`` itself (allowed). The old
    bridge then sent it anyway and recorded "failed: escrow refused, nothing moved: PvPNonceUsed"
    although both legs had moved."""
    net = bridge_network
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        a, b = clients["yangtze"], clients["harbour"]
        app.state.worker.pause()  # the bridge is away
        instruction = _instruction(a, b, net, 30_000_00)
        swap = a.request("POST", "/v1/swaps", instruction)
        b.accept(swap)
        tx_hash = _relay_settle(net, a, b, swap["id"], instruction["terms"])
        app.state.worker.resume()
        done = a.wait_for(swap["id"], {"settled", "failed"}, timeout=10)
        assert done["state"] == "settled" and done["leg_a"]["settle_tx"] == done["leg_b"]["settle_tx"] == tx_hash
        assert "relayed by another party" in done["transitions"][-1]["detail"]


def test_a_journal_that_lost_its_last_writes_is_reconciled_with_the_chains_on_start(bridge_network: Network, tmp_path: Path) -> None:
    """The database comes back without its last writes (a WAL deleted live, an old backup restored):
    on start the reconciler records settled what the chains settled (an alert when the journal had
    said otherwise) and raises an alert, for the regulator, for every swap the chains show and the
    journal does not know."""
    net = bridge_network
    database, backup = tmp_path / "bridge.db", tmp_path / "backup.db"
    with running_bridge(net, f"sqlite:///{database}", reconcile_interval=3600) as (app, url), open_clients(url, net) as clients:
        a, b, c = clients["yangtze"], clients["harbour"], clients["chaophraya"]
        settled_before = _instruction(a, b, net, 1_000_00)
        s_failed = a.request("POST", "/v1/swaps", settled_before)["id"]
        b.accept(a.swap(s_failed))
        assert a.wait_for(s_failed, {"settled"}, timeout=10)["state"] == "settled"
        app.state.worker.pause()
        s_accepted = a.request("POST", "/v1/swaps", _instruction(a, b, net, 2_000_00))["id"]
        b.accept(a.swap(s_accepted))
        _backup(database, backup)  # the database as it will come back
        app.state.worker.resume()
        assert a.wait_for(s_accepted, {"settled"}, timeout=10)["state"] == "settled"
        s_unknown = a.request("POST", "/v1/swaps", _instruction(a, b, net, 3_000_00))["id"]
        b.accept(a.swap(s_unknown))
        order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=4_000_00, buy="THB",
                                      now=net.clients["A"].clock())  # fmt: skip
        c.accept(a.submit_htlc(order))
        a.wait_for(order.swap_id, {"locked_b"}, timeout=15)
        a.reveal(order)
        for swap_id in (s_unknown, order.swap_id):
            assert a.wait_for(swap_id, {"settled"}, timeout=15)["state"] == "settled"
    for suffix in ("-wal", "-shm"):  # the last writes are gone
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, database)
    tampered = sqlite3.connect(database)  # and one settled swap reads failed (the old bug's record)
    body = json.loads(tampered.execute("SELECT body FROM swaps WHERE id = ?", (s_failed,)).fetchone()[0])
    tampered.execute("UPDATE swaps SET state = 'failed', body = ? WHERE id = ?", (json.dumps({**body, "state": "failed"}), s_failed))
    tampered.commit()
    tampered.close()

    with running_bridge(net, f"sqlite:///{database}", reconcile_interval=3600) as (app, url), open_clients(url, net) as clients:
        a, regulator = clients["yangtze"], clients["regulator"]
        wait_until(lambda: app.state.operations.reconciler.runs >= 1, timeout=5)
        for swap_id in (s_failed, s_accepted):  # recorded settled, with the transaction that settled it
            swap = a.wait_for(swap_id, {"settled"}, timeout=10)
            assert swap["leg_a"]["settle_tx"] and swap["leg_a"]["settle_tx"] == swap["leg_b"]["settle_tx"]
        assert any("reconciled with the chain" in (t["detail"] or "") for t in a.swap(s_failed)["transitions"])
        alerts = {(alert["kind"], alert["swap_id"]) for alert in regulator.request("GET", "/v1/regulator/alerts?open_only=true")["items"]}
        assert {("unknown_swap", s_unknown), ("unknown_swap", order.swap_id), ("journal_contradicted", s_failed)} <= alerts
        wait_until(lambda: (metric(url, "corridor_alerts_open", kind="unknown_swap", severity="critical") or 0) >= 2, timeout=3)
        assert (metric(url, "corridor_reconciler_corrections_total") or 0) >= 1
        assert health(url)[1]["alerts"]["open"] >= 3

"""The database full or read-only: every request gets a JSON 503 naming the database (with
Retry-After), health says so within a second, the worker takes no step it cannot journal first, and
no acknowledged instruction is lost: once the database takes writes again, a retried request (same
Idempotency-Key) is recorded and every acknowledged swap settles."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from bridge.sdk.client import BridgeClient, BridgeRequestError
from corridor.network import Network
from tests.integration.bridge.conftest import balances, open_clients, supply
from tests.integration.bridge.fault_injection.harness import health, metric, running_bridge, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.faults]


def _capped(connection: Any, _: Any) -> None:
    """A database that may not grow beyond its current pages (SQLite's max_page_count)."""
    cursor = connection.cursor()
    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    cursor.execute(f"PRAGMA max_page_count = {pages}")
    cursor.close()


def _read_only(connection: Any, _: Any) -> None:
    """A connection that refuses writes: SQLite's "attempt to write a readonly database"."""
    connection.execute("PRAGMA query_only = 1")


@contextmanager
def _database_fault(engine: Engine, fault: Callable[[Any, Any], None]) -> Iterator[None]:
    """Every connection opened from now on has ``fault`` (the pool is emptied so none escapes it)."""
    event.listen(engine, "connect", fault)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "connect", fault)
        engine.dispose()


@contextmanager
def _full(engine: Engine) -> Iterator[None]:
    """The database is full: it may not grow, and its free pages are taken (rows of shrinking sizes
    until SQLite answers "database or disk is full" for each). A write that needs a new page fails."""
    with _database_fault(engine, _capped):
        raw = engine.raw_connection()
        try:
            for size in (4000, 1000, 200):
                while True:
                    try:
                        raw.cursor().execute("INSERT INTO health_probes (at, payload) VALUES ('2026-01-01', ?)", ("f" * size,))
                        raw.commit()
                    except sqlite3.OperationalError as exc:
                        assert "full" in str(exc)
                        raw.rollback()
                        break
        finally:
            raw.close()
        yield


def _instruction(a: BridgeClient, b: BridgeClient, net: Network, amount: int) -> dict[str, Any]:
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    return a.pvp_instruction(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=rate,
                             deadline=net.clients["A"].clock() + 600)  # fmt: skip


def test_a_full_database_answers_json_503s_and_loses_no_acknowledged_instruction(bridge_network: Network, tmp_path: Path) -> None:
    """Defect 4: "database or disk is full" gave a text/plain 500 (the SDK then failed to parse it)
    while health, which only read, stayed green. Now a file of orders that needs room gets a JSON 503
    naming the database; health says the database takes no writes; the same request retried once
    there is room is recorded, and every acknowledged swap settles."""
    net = bridge_network
    before, total = balances(net), supply(net)
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        a, b = clients["yangtze"], clients["harbour"]
        instructions = [_instruction(a, b, net, 1_000_00 + i) for i in range(40)]
        with _full(app.state.db_engine):
            seen = wait_until(lambda: not health(url)[1]["database"]["writable"], timeout=3)
            latency, answer = health(url)
            assert latency < 1.0 and answer["ok"] is False and "database or disk is full" in answer["database"]["reason"]
            assert any("database not writable" in problem for problem in answer["problems"])
            assert metric(url, "corridor_database_up") == 0.0
            with pytest.raises(BridgeRequestError) as refused:
                a.submit_many(instructions, idempotency_key="payments-file-1")
            assert refused.value.status == 503 and refused.value.error == "database_unavailable"
            assert "database or disk is full" in str(refused.value.detail) and refused.value.retry_after is not None
        wait_until(lambda: health(url)[1]["database"]["writable"], timeout=3)
        answer = a.submit_many(instructions, idempotency_key="payments-file-1")  # the same file, recorded now
        ids = [item["id"] for item in answer["items"]]
        b.accept_many([BridgeClient.agreed(i, swap_id) for i, swap_id in zip(instructions, ids, strict=True)])
        assert a.wait_all(ids, {"settled", "failed"}, after=answer["seq"], timeout=30) == dict.fromkeys(ids, "settled")
        paid_a, paid_b = sum(int(i["terms"]["amountA"]) for i in instructions), sum(int(i["terms"]["amountB"]) for i in instructions)
        after = balances(net)
        assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - paid_a
        assert after[("harbour", "HKD")] == before[("harbour", "HKD")] - paid_b
        assert supply(net) == total and seen < 2.0
        logging.getLogger(__name__).warning("database full: seen by health in %.2fs", seen)


def test_a_read_only_database_answers_json_503s_and_the_worker_acts_only_on_what_it_journals(bridge_network: Network,
                                                                                             tmp_path: Path) -> None:  # fmt: skip
    """Every write refused ("attempt to write a readonly database"): every signed request (reads too:
    each records its signature against replays) gets a JSON 503; the worker does not settle a swap
    it cannot journal first; once writable again, the retried order is recorded and both settle."""
    net = bridge_network
    before, total = balances(net), supply(net)
    with running_bridge(net, f"sqlite:///{tmp_path / 'bridge.db'}") as (app, url), open_clients(url, net) as clients:
        a, b = clients["yangtze"], clients["harbour"]
        acknowledged: dict[str, dict[str, Any]] = {}
        app.state.worker.pause()  # acknowledged before the fault, not yet settled
        first = _instruction(a, b, net, 11_000_00)
        acknowledged[a.request("POST", "/v1/swaps", first)["id"]] = first
        b.accept(a.swap(next(iter(acknowledged))))
        pvp, nonce = net.contract("A", "pvp"), (net.keys.address("yangtze"), int(first["terms"]["nonce"]))
        second = _instruction(a, b, net, 22_000_00)  # signed now: during the fault even reading the rate is refused

        with _database_fault(app.state.db_engine, _read_only):
            app.state.worker.resume()
            seen = wait_until(lambda: not health(url)[1]["database"]["writable"], timeout=3)
            logging.getLogger(__name__).warning("database read-only: seen by health in %.2fs", seen)
            assert "readonly database" in health(url)[1]["database"]["reason"]
            with pytest.raises(BridgeRequestError) as refused:
                a.request("POST", "/v1/swaps", second, idempotency_key="second-order")
            assert refused.value.status == 503 and refused.value.error == "database_unavailable"
            assert "readonly database" in str(refused.value.detail) and refused.value.retry_after is not None
            raw = httpx.get(f"{url}/v1/swaps", headers={"X-Corridor-Participant": "yangtze"}, timeout=5)
            assert raw.status_code == 401 and raw.headers["content-type"].startswith("application/json")
            with pytest.raises(BridgeRequestError) as reading:
                a.swaps()
            assert reading.value.status == 503 and reading.value.error == "database_unavailable"
            time.sleep(1.0)  # the worker tried meanwhile: it takes no step it cannot journal first
            assert not pvp.functions.nonceUsed(*nonce).call()
            lane = health(url)[1]["worker"]["lanes"]["A"]
            assert lane["alive"] and lane["step_errors"] >= 1  # counted, retried, never acted on

        wait_until(lambda: health(url)[1]["database"]["writable"], timeout=3)
        retried = a.request("POST", "/v1/swaps", second, idempotency_key="second-order")
        acknowledged[retried["id"]] = second
        b.accept(retried)
        for swap_id in acknowledged:
            assert a.wait_for(swap_id, {"settled", "failed"}, timeout=15)["state"] == "settled"
        after = balances(net)
        assert after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - sum(int(i["terms"]["amountA"]) for i in acknowledged.values())
        assert supply(net) == total

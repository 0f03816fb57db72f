"""The demo's supervisory report, checked against the ledgers themselves.

The demo runs once (in this process, so its ledgers can be read before they stop); while they are up,
this module recomputes each figure of the report with its own code from the chains (token transfers,
balances, escrow events, block timestamps) and the journal's rows, never through ``supervision``:
positions, flows and the reconciliation, total supply, turnover and each bank's peak net debit gross
and netted, time to final in ledger time, FX margins, principal at risk. Then every amount the
report prints (HTML, CSV, JSON, console) must be in major units with its currency's decimals, the
report must render offline in a headless browser without a console error, and the claims the old
report got wrong must now be true."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak, to_checksum_address
from rich.console import Console

from apps.demo import run_demo
from corridor.config import load_settings
from corridor.network import Network
from corridor.typed_data import lock_id_of
from supervision.model import Status, SupervisionModel

pytestmark = pytest.mark.integration

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
ZERO = "0x" + "0" * 40


@dataclass
class Truth:
    """Figures recomputed here from the chains and the journal's rows."""

    opening: dict[tuple[str, str], int] = field(default_factory=dict)  # (holder name, currency) → minor units
    closing: dict[tuple[str, str], int] = field(default_factory=dict)
    flows: dict[tuple[str, str], int] = field(default_factory=dict)
    supply: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    turnover: dict[str, int] = field(default_factory=dict)
    peak_gross: dict[tuple[str, str], int] = field(default_factory=dict)  # (bank name, currency)
    peak_netted: dict[tuple[str, str], int] = field(default_factory=dict)
    time_to_final: dict[str, float] = field(default_factory=dict)  # swap id → ledger seconds
    margin_bps: dict[str, float] = field(default_factory=dict)
    exposure: dict[str, int] = field(default_factory=dict)  # currency → Σ minor units × seconds locked
    open_locks: int = 0


@dataclass
class Demo:
    passed: bool
    reports: Path
    console: str
    model: SupervisionModel
    truth: Truth


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    reports = tmp_path_factory.mktemp("reports")
    console = Console(record=True, width=180, force_terminal=False, color_system=None)
    seen: dict[str, Any] = {}

    def inspect(network: Network, model: SupervisionModel, database_url: str) -> None:
        seen["model"], seen["truth"] = model, recompute(network, model, database_url)

    passed = run_demo(load_settings(), console, reports_dir=reports, demo_dir=tmp_path_factory.mktemp("demo"), inspect=inspect)
    return Demo(passed, reports, console.export_text(), seen["model"], seen["truth"])


# ─── the recomputation, from the chains and the journal's rows ─────────────────────────────


def recompute(network: Network, model: SupervisionModel, database_url: str) -> Truth:
    truth = Truth()
    settings, keys = network.settings, network.keys
    assert network.deployment is not None
    names = {keys.address(name).lower(): p.name for name, p in settings.participants.items()}
    for ledger, deployed in network.deployment.ledgers.items():
        names[deployed.pvp.lower()] = f"PvP escrow on {ledger}"
        names[deployed.htlc.lower()] = f"HTLC escrow on {ledger}"
    banks = {keys.address(name).lower(): p.name for name, p in settings.participants.items() if p.kind != "central_bank"}
    opening = {view.name: view.opening.block for view in model.network.ledgers}
    heads = {view.name: view.closing.block for view in model.network.ledgers}
    rows, received = _journal(database_url)
    times: dict[tuple[str, int], int] = {}

    def time_of(ledger: str, block: int) -> int:
        if (ledger, block) not in times:
            times[(ledger, block)] = int(network.clients[ledger].w3.eth.get_block(block)["timestamp"])
        return times[(ledger, block)]

    by_tx: dict[tuple[str, str], list[tuple[int, str, str, str, int]]] = defaultdict(list)  # (ledger, tx) → (log index, currency, from, to, amount)
    tx_block: dict[tuple[str, str], int] = {}
    for code in settings.currencies:
        ledger, token = settings.currency_ledger(code), network.token(code)
        w3 = network.clients[ledger].w3
        holders = set(names)
        for log in w3.eth.get_logs({"address": token.address, "fromBlock": opening[ledger] + 1, "toBlock": heads[ledger], "topics": [TRANSFER]}):
            sender, receiver = ("0x" + bytes(log["topics"][i])[-20:].hex() for i in (1, 2))
            amount = int.from_bytes(bytes(log["data"]), "big")
            tx = "0x" + bytes(log["transactionHash"]).hex()
            by_tx[(ledger, tx)].append((int(log["logIndex"]), code, sender, receiver, amount))
            tx_block[(ledger, tx)] = int(log["blockNumber"])
            holders |= {sender, receiver}
        holders.discard(ZERO)
        held = 0
        for address in holders:
            name = names.get(address, to_checksum_address(address))
            before = int(token.functions.balanceOf(to_checksum_address(address)).call(block_identifier=opening[ledger]))
            after = int(token.functions.balanceOf(to_checksum_address(address)).call(block_identifier=heads[ledger]))
            held += after
            if before or after:
                truth.opening[(name, code)], truth.closing[(name, code)] = before, after
        truth.supply[code] = int(token.functions.totalSupply().call(block_identifier=heads[ledger]))
        truth.held[code] = held
    for items in by_tx.values():
        for _, code, sender, receiver, amount in items:
            for address, sign in ((sender, -1), (receiver, 1)):
                if address != ZERO:
                    key = (names.get(address, to_checksum_address(address)), code)
                    truth.flows[key] = truth.flows.get(key, 0) + sign * amount
    # netted batches: the swap ids each settleBatch settled, in its order
    pvp = network.contract("A", "pvp")
    batches: dict[str, list[str]] = defaultdict(list)
    settled_in: dict[str, tuple[str, int]] = {}
    settle_txs: set[tuple[str, str]] = set()
    for event in (pvp.events.Settled(), pvp.events.SettledInBatch()):
        for log in sorted(event.get_logs(from_block=opening["A"] + 1, to_block=heads["A"]), key=lambda x: (x["blockNumber"], x["logIndex"])):
            swap_id, tx = "0x" + bytes(log["args"]["swapId"]).hex(), "0x" + bytes(log["transactionHash"]).hex()
            settled_in[swap_id] = ("A", int(log["blockNumber"]))
            if event.event_name == "SettledInBatch":
                batches[tx].append(swap_id)
            elif swap_id in rows:
                settle_txs.add(("A", tx))  # settle pays each leg straight to its receiver: those transfers are the swap's legs
    # peak net debit: running positions per bank, transaction by transaction (netted), or swap by swap inside a batch (gross)
    for gross, peaks in ((True, truth.peak_gross), (False, truth.peak_netted)):
        running: dict[tuple[str, str], int] = defaultdict(int)
        for (ledger, tx), items in sorted(by_tx.items(), key=lambda kv: (kv[0][0], tx_block[kv[0]], min(i[0] for i in kv[1]))):
            if all(s == ZERO for _, _, s, _, _ in items):
                continue
            if gross and tx in batches:  # one by one, in the order the bridge received the orders
                steps = [[(rows[s]["leg_a"]["payer"], rows[s]["leg_a"]["currency"], -int(rows[s]["leg_a"]["amount"])),
                          (rows[s]["leg_a"]["receiver"], rows[s]["leg_a"]["currency"], int(rows[s]["leg_a"]["amount"])),
                          (rows[s]["leg_b"]["payer"], rows[s]["leg_b"]["currency"], -int(rows[s]["leg_b"]["amount"])),
                          (rows[s]["leg_b"]["receiver"], rows[s]["leg_b"]["currency"], int(rows[s]["leg_b"]["amount"]))]
                         for s in sorted(batches[tx], key=lambda s: received[s])]
                steps = [[(settings.participants[p].name, c, d) for p, c, d in step] for step in steps]
            else:
                step = []
                for _, code, sender, receiver, amount in items:
                    if sender in banks:
                        step.append((banks[sender], code, -amount))
                    if receiver in banks:
                        step.append((banks[receiver], code, amount))
                steps = [step]
            for step in steps:
                for bank, code, change in step:
                    running[(bank, code)] += change
                for bank, code, _ in step:
                    peaks[(bank, code)] = max(peaks.get((bank, code), 0), -running[(bank, code)])
    # HTLC locks and their endings
    locks: dict[bytes, dict[str, Any]] = {}
    for ledger in network.deployment.ledgers:
        htlc = network.contract(ledger, "htlc")
        for log in htlc.events.Locked().get_logs(from_block=opening[ledger] + 1, to_block=heads[ledger]):
            args = log["args"]
            lock = lock_id_of(args["sender"], bytes(args["hashlock"]))
            code = next(c for c in settings.currencies_on(ledger) if network.token(c).address.lower() == str(args["token"]).lower())
            locks[lock] = {"ledger": ledger, "swap": "0x" + bytes(args["swapId"]).hex(), "sender": str(args["sender"]).lower(), "amount": int(args["amount"]),
                           "currency": code, "start": time_of(ledger, int(log["blockNumber"]))}  # fmt: skip
        for name in ("Claimed", "Refunded"):
            for log in getattr(htlc.events, name)().get_logs(from_block=opening[ledger] + 1, to_block=heads[ledger]):
                lock = bytes(log["args"]["lockId"])
                if lock in locks:
                    locks[lock]["end"] = time_of(ledger, int(log["blockNumber"]))
                    locks[lock]["end_block"] = int(log["blockNumber"])
                    locks[lock]["kind"] = name
    for lock in locks.values():
        end = lock.get("end", time_of(lock["ledger"], heads[lock["ledger"]]))
        truth.exposure[lock["currency"]] = truth.exposure.get(lock["currency"], 0) + lock["amount"] * (end - lock["start"])
        truth.open_locks += "end" not in lock
    # turnover: every settled PvP leg, every claimed HTLC leg, every direct transfer between participants
    participants = {keys.address(name).lower() for name in settings.participants}
    for swap_id, body in rows.items():
        if body["model"] == "pvp" and swap_id in settled_in:
            for leg in (body["leg_a"], body["leg_b"]):
                truth.turnover[leg["currency"]] = truth.turnover.get(leg["currency"], 0) + int(leg["amount"])
    for lock in locks.values():
        if lock.get("kind") == "Claimed":
            truth.turnover[lock["currency"]] = truth.turnover.get(lock["currency"], 0) + lock["amount"]
    for key, items in by_tx.items():
        if key in settle_txs:
            continue
        for _, code, sender, receiver, amount in items:
            if sender in participants and receiver in participants:
                truth.turnover[code] = truth.turnover.get(code, 0) + amount
    # time to final (ledger time): the final transaction's block time minus the ledger's clock when the bridge took the order
    for swap_id, body in rows.items():
        if body["state"] not in ("settled", "refunded") or not body.get("received_at"):
            continue
        if body["model"] == "pvp":
            ledger, block = settled_in[swap_id]
            end = time_of(ledger, block + settings.ledgers[ledger].confirmations - 1)
        else:
            ends = [(lock["end"], lock["ledger"]) for lock in locks.values() if lock["swap"] == swap_id and "end" in lock]
            end, ledger = max(ends)
        truth.time_to_final[swap_id] = float(end - int(body["received_at"][ledger]))
        if body.get("oracle_mid"):
            truth.margin_bps[swap_id] = float((Decimal(int(body["rate"])) - Decimal(int(body["oracle_mid"]))) * 10_000 / Decimal(int(body["oracle_mid"])))
    return truth


def _journal(database_url: str) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The swaps as the bridge stored them (its own tables, read with sqlite3), and the journal position
    of each one's first entry (the order the bridge received them in)."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        bodies = {row[0]: json.loads(row[1]) for row in db.execute("select id, body from swaps")}
        first = {row[0]: int(row[1]) for row in db.execute("select swap_id, min(seq) from transitions group by swap_id")}
    return bodies, first


# ─── the figures, against the recomputation ───────────────────────────────────────────────


def test_the_demo_passes_and_every_scenario_checks_its_balances(demo: Demo) -> None:
    assert demo.passed, demo.console[-4000:]
    assert [s.number for s in demo.model.scenarios] == list(range(9))
    for scenario in demo.model.scenarios:
        assert scenario.passed and scenario.checks and all(c.passed for c in scenario.checks), scenario
    refusing = {s.number: s for s in demo.model.scenarios if s.refusals}
    assert set(refusing) == {0, 4, 5, 6}
    for scenario in refusing.values():  # a refusal: nothing moved for the parties it refused
        assert any(c.expected_change.minor_units == 0 and c.observed_change.minor_units == 0 for c in scenario.checks)


def test_positions_and_flows_are_the_chains(demo: Demo) -> None:
    truth = demo.truth
    for row in demo.model.positions:
        assert row.opening.minor_units == truth.opening.get((row.holder, row.currency), 0), row
        assert row.closing.minor_units == truth.closing.get((row.holder, row.currency), 0), row
        assert row.received.minor_units - row.paid.minor_units == truth.flows.get((row.holder, row.currency), 0), row
    shown = {(r.holder, r.currency) for r in demo.model.positions}
    assert {key for key, value in truth.closing.items() if value} <= shown


def test_the_reconciliation_holds_cell_by_cell_and_for_supply(demo: Demo) -> None:
    recon = demo.model.reconciliation
    assert recon.ok and not recon.unattributed
    for cell in recon.cells:
        key = (cell.holder, cell.currency)
        assert cell.opening.minor_units == demo.truth.opening.get(key, 0)
        assert cell.closing.minor_units == demo.truth.closing.get(key, 0)
        assert cell.flows.minor_units == demo.truth.flows.get(key, 0)
        assert cell.difference.minor_units == 0 and cell.ok
    for check in recon.supply:
        assert check.total_supply.minor_units == demo.truth.supply[check.currency] == demo.truth.held[check.currency]
    assert recon.attribution and all(a.ok for a in recon.attribution)
    # every movement names what caused it, with ledger, block and transaction
    for movement in demo.model.movements.items:
        assert movement.tx_hash.startswith("0x") and movement.block > 0 and movement.ledger in ("A", "B")
        assert movement.kind != "unattributed"
        assert movement.swap_id or movement.kind in ("issuance", "redemption", "transfer")
    assert demo.model.movements.total == len(demo.model.movements.items)
    assert any(m.what.startswith("foundation transfer") for m in demo.model.movements.items)
    assert sum(1 for m in demo.model.movements.items if "netted in batch" in m.what) == 200 * 4


def test_turnover_and_peak_liquidity_gross_versus_netted(demo: Demo) -> None:
    liquidity = {c.currency: c for c in demo.model.liquidity.currencies}
    for code, currency in liquidity.items():
        assert currency.turnover.minor_units == demo.truth.turnover.get(code, 0), code
        for bank in currency.banks:
            assert bank.peak_net_debit_gross.minor_units == demo.truth.peak_gross.get((bank.bank, code), 0), (code, bank)
            assert bank.peak_net_debit_netted.minor_units == demo.truth.peak_netted.get((bank.bank, code), 0), (code, bank)
        assert currency.peak_need_gross.minor_units == sum(b.peak_net_debit_gross.minor_units for b in currency.banks)
    cny = liquidity["CNY"]
    # the liquidity the banks needed is a fraction of the turnover, and netting needs less of it
    assert cny.peak_need_netted.minor_units < cny.peak_need_gross.minor_units < cny.turnover.minor_units / 2
    assert 20 < (cny.saving_percent or 0) < 90
    assert len(demo.model.liquidity.batches) == 2 and all(b.swaps == 100 for b in demo.model.liquidity.batches)
    gas = demo.model.liquidity.gas[0]
    assert gas.same_final_balances and gas.swaps == 200 and len(gas.receipts) == 200 and "copy of ledger A" in gas.how
    assert 0 < (gas.ratio or 0) < 0.5


def test_time_to_final_is_ledger_time_and_margins_are_against_the_mid(demo: Demo) -> None:
    measured = {i.id: i for i in demo.model.indicators.items}
    assert demo.model.indicators.total == len(measured) == len(demo.truth.time_to_final) + sum(
        1 for i in measured.values() if i.state not in ("settled", "refunded"))
    for swap_id, seconds in demo.truth.time_to_final.items():
        assert measured[swap_id].time_to_final_seconds == seconds, swap_id
    refunded = [i for i in measured.values() if i.state == "refunded"]
    assert len(refunded) == 1 and refunded[0].time_to_final_seconds >= 3_000  # an hour of ledger time, not the bridge's 0.3 s
    assert refunded[0].wall_latency_seconds is not None and refunded[0].wall_latency_seconds < 60
    for swap_id, margin in demo.truth.margin_bps.items():
        assert measured[swap_id].margin_bps == pytest.approx(margin, abs=0.01)
    speed = demo.model.finality
    assert speed.within_one_hour == sum(1 for i in measured.values() if i.state == "settled" and i.time_to_final_seconds is not None
                                        and i.time_to_final_seconds <= 3600)  # fmt: skip


def test_principal_at_risk_is_value_times_time_locked(demo: Demo) -> None:
    exposure = {e.currency: e for e in demo.model.risk.exposure}
    assert {code: e.value_hours_minor for code, e in exposure.items()} == demo.truth.exposure
    assert len(demo.model.risk.open_locks) == demo.truth.open_locks == 0


# ─── what the old report got wrong ────────────────────────────────────────────────────────


def test_verdicts_lead_the_report_each_with_its_evidence(demo: Demo) -> None:
    verdicts = {v.id: v for v in demo.model.verdicts}
    assert list(verdicts) == ["P8", "P12", "P17", "G20-speed", "G20-cost", "G20-transparency", "reconciliation"]
    assert all(v.status is Status.MET for v in verdicts.values()), [(v.id, v.status, v.measured) for v in verdicts.values()]
    assert "block inclusion with 1 confirmation" in verdicts["P8"].target
    assert "failure paths exercised: 1 cancelled, 1 failed, 1 refunded" in verdicts["P12"].measured
    html = (demo.reports / "corridor-report.html").read_text()
    assert html.index('id="verdicts"') < html.index('id="scenarios"') < html.index('id="finality"')
    for verdict in verdicts.values():
        assert f'id="{verdict.evidence[1:]}"' in html


def test_refusals_name_their_rule_and_the_swap_they_refused(demo: Demo) -> None:
    rules = {r.rule for r in demo.model.refusals}
    assert rules == {"not a participant", "rate outside tolerance", "oracle pair halted", "account frozen", "currency paused"}
    by_rule = {r.rule: r for r in demo.model.refusals}
    assert by_rule["account frozen"].swap_state == "cancelled" and "frozen Harbour Bank in HKD" in by_rule["account frozen"].detail
    assert by_rule["currency paused"].swap_id and "paused THB on ledger B" in by_rule["currency paused"].detail
    assert "round #" in by_rule["rate outside tolerance"].detail and "1.17" in by_rule["rate outside tolerance"].detail
    assert "EUR/CHF halted" in by_rule["oracle pair halted"].detail
    failed = [i for i in demo.model.indicators.items if i.state == "failed"]
    assert len(failed) == 1 and failed[0].failure and "Frozen" in failed[0].failure  # refused at settlement: failed, with its reason
    assert not [i for i in demo.model.indicators.items if i.state == "proposed"]


def test_breakers_and_oracle_rows_come_from_the_chain(demo: Demo) -> None:
    tripped = [e for e in demo.model.oracle.events if e.kind == "tripped"]
    assert {("EUR/CHF", "A", 1440), ("EUR/CHF", "B", 1440)} <= {(e.pair, e.ledger, e.jump_bps) for e in tripped}
    assert all("CHF" in e.pair for e in tripped)  # the configured CHF crosses halt with EUR/CHF, by their own breakers
    assert all("×" in (e.round or "") for e in tripped if not e.pair.startswith("EUR/"))  # a cross's round as its two legs, never a raw id
    assert all(e.tx_hash.startswith("0x") and e.ledger_time.startswith("2015-01-1") and e.network.startswith("replay") for e in tripped)
    for row in demo.model.oracle.pairs:
        assert row.fixing_date == "2026-10-30" and row.observed_at and not row.observed_at.startswith("2026-10-30")
        assert "re-stamped" in row.note and row.round.startswith("#")


def test_the_recovery_is_measured_on_the_same_journal(demo: Demo) -> None:
    drill = demo.model.operations.drills[0]
    assert drill.recovered_state == "settled" and drill.lost == 0 and drill.acknowledged == 2
    assert 0 < (drill.recovery_seconds or 0) < 7200 and drill.detection_seconds is not None
    assert drill.swap_id in {i.id for i in demo.model.indicators.items}  # the crash-recovery swap is in the report's journal


def test_the_console_reads_as_a_supervisor_reads(demo: Demo) -> None:
    text = " ".join(demo.console.split())  # the console wraps long lines
    assert "Harbour Bank" in text and "Yangtze Commercial Bank" in text
    assert "rule: rate outside tolerance" in text and "the regulator has frozen Harbour Bank in HKD" in text
    assert "the regulator has paused THB on ledger B" in text
    assert not re.search(r"\b\d{15,}\b", text), "a raw fixed-point number or round id on the console"
    assert "340282366920938463463374607431768211457" not in text
    assert re.search(r"1\.\d{6} HKD per CNY", text) and "round #" in text


# ─── units: never minor units under a major-unit label ────────────────────────────────────

_AMOUNT = re.compile(r"(?<![\w.#×-])(-?\d[\d,]*(?:\.\d+)?)\s(CNY|HKD|THB|EUR|CHF)\b(?!\s+per\b|/)")
DECIMALS = {"CNY": 2, "HKD": 2, "THB": 2, "EUR": 2, "CHF": 2}


def amounts_in_minor_units(text: str) -> list[str]:
    """Every ``<number> <currency code>`` whose number does not carry exactly the currency's decimals."""
    bad = []
    for match in _AMOUNT.finditer(text):
        number, code = match.groups()
        places = len(number.split(".")[1]) if "." in number else 0
        if places != DECIMALS[code]:
            bad.append(match.group(0))
    return bad


def test_the_unit_check_bites() -> None:
    assert amounts_in_minor_units("pays 100000000 CNY") == ["100000000 CNY"]
    assert amounts_in_minor_units("pays 1,000,000.00 CNY at 1.179291 HKD per CNY") == []


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_every_amount_is_in_major_units_everywhere(demo: Demo) -> None:
    parser = _Text()
    parser.feed((demo.reports / "corridor-report.html").read_text())
    html_text = " ".join(parser.parts)
    assert not amounts_in_minor_units(html_text)
    assert not amounts_in_minor_units(demo.console)
    rows = list(csv.DictReader(io.StringIO((demo.reports / "corridor-swaps.csv").read_text())))
    assert len(rows) == demo.model.indicators.total
    for row in rows:
        assert not amounts_in_minor_units(" ".join(row.values()))
        for side in ("pays", "receives"):
            number, code = row[side].split(" ")
            assert Decimal(number.replace(",", "")) == Decimal(int(row[f"{side}_minor_units"])).scaleb(-int(row[f"{side}_decimals"])), row
    document = json.loads((demo.reports / "corridor-report.json").read_text())

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if {"currency", "minor_units", "decimals", "display"} <= set(node):
                number = Decimal(node["display"].split(" ")[0].replace(",", ""))
                assert number == Decimal(node["minor_units"]).scaleb(-node["decimals"]) and node["display"].endswith(node["currency"]), node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            assert not amounts_in_minor_units(node), node

    walk(document)


def test_the_report_renders_offline_without_a_console_error(demo: Demo, headless_browser: Any) -> None:
    page = headless_browser(demo.reports / "corridor-report.html")
    assert page.problems == [] and page.title == "Corridor — supervisory report"
    assert page.text.index("Verdicts") < page.text.index("Scenarios")
    assert "every figure matches" in page.text

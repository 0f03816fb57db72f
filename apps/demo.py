"""The regulator demo: scenarios on a freshly deployed local network, narrated step by step, each
ending with an automatic check of its expected balances, then the supervisory report.

Scenario 0 lays the ground (ledgers, registry, permissioned tokens, a refused transfer); the bridge
then serves the network and scenarios 1–4, 6 and 7 of the regulator's list run through it.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3

from corridor.config import Settings
from corridor.errors import ChainRejected
from corridor.network import Network, open_network
from apps.report import build_report, write_report
from corridor.toolchain import REPO_ROOT

logger = logging.getLogger(__name__)
REPORTS_DIR = REPO_ROOT / "reports"


@dataclass
class CheckResult:
    scenario: str
    passed: bool
    detail: str


def _amount(network: Network, currency: str, minor: int) -> str:
    decimals = network.settings.currencies[currency].decimals
    return f"{minor / 10**decimals:,.{decimals}f} {currency}"


def scenario_foundation(network: Network, console: Console) -> list[CheckResult]:
    """Deploy, onboard, mint; one permitted and one refused transfer."""
    settings, keys = network.settings, network.keys
    console.rule("[bold]0 · Foundation: ledgers, registry, permissioned currency tokens")
    deployment = network.deploy()
    for name, ledger in deployment.ledgers.items():
        tokens = ", ".join(f"{code} {address}" for code, address in ledger.tokens.items())
        console.print(f"Ledger [bold]{name}[/] (chain id {ledger.chain_id}) registry {ledger.registry}; tokens: {tokens}")
    table = Table(title="Opening balances (minted by each currency's central bank)")
    table.add_column("bank")
    for code in settings.currencies:
        table.add_column(code, justify="right")
    for bank in settings.banks:
        address = keys.address(bank)
        table.add_row(settings.participants[bank].name,
                      *(_amount(network, code, network.token(code).functions.balanceOf(address).call())
                        for code in settings.currencies))  # fmt: skip
    console.print(table)

    results: list[CheckResult] = []
    sender, receiver = settings.banks[0], settings.banks[1]
    cny = network.token("CNY")
    client = network.clients[settings.currency_ledger("CNY")]
    amount = 1_250_000_00
    before = (cny.functions.balanceOf(keys.address(sender)).call(), cny.functions.balanceOf(keys.address(receiver)).call())
    receipt = client.transact(keys.account(sender), cny.functions.transfer(keys.address(receiver), amount))
    after = (cny.functions.balanceOf(keys.address(sender)).call(), cny.functions.balanceOf(keys.address(receiver)).call())
    moved = before[0] - after[0] == amount and after[1] - before[1] == amount
    console.print(
        f"[green]Permitted[/]: {settings.participants[sender].name} paid {settings.participants[receiver].name} "
        f"{_amount(network, 'CNY', amount)} in block {receipt['blockNumber']} (tx {Web3.to_hex(receipt['transactionHash'])})"
    )
    results.append(CheckResult("0 · permitted transfer", moved, f"{_amount(network, 'CNY', amount)} moved"))

    outsider = Account.create().address
    try:
        client.transact(keys.account(sender), cny.functions.transfer(outsider, 100))
        results.append(CheckResult("0 · refused transfer", False, "a transfer to a non-participant went through"))
    except ChainRejected as exc:
        console.print(f"[red]Refused[/]: transfer to non-participant {outsider}: [bold]{exc.error}[/] {exc.args_by_name}")
        unchanged = cny.functions.balanceOf(outsider).call() == 0
        results.append(CheckResult("0 · refused transfer", exc.error == "SettlementTokenIneligibleAccount" and unchanged,
                                   f"{exc.error}({exc.args_by_name.get('account')})"))  # fmt: skip
    return results


def run_bridge_scenarios(network: Network, console: Console, reports_dir: Path) -> list[CheckResult]:
    """Serves the bridge on the network and runs the regulator's scenarios through it."""
    from bridge.api.app import create_app
    from bridge.engine.network_info import network_info
    from bridge.engine.rates import approve_development_banks, publish_current_rates
    from bridge.sdk.client import BridgeClient
    from bridge.server import ServerThread
    from apps.scenarios import SCENARIOS, DemoContext

    approve_development_banks(network)
    publish_current_rates(network)
    results, scenario_data = [], []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(network, f"sqlite:///{Path(tmp) / 'demo.db'}", worker_interval=0.05)
        with ServerThread(app) as server:
            names = [*network.settings.banks, "regulator"]
            clients = {name: BridgeClient(server.url, name, network.keys.account(name)) for name in names}
            context = DemoContext(network, clients, console, worker=app.state.worker)
            for scenario in SCENARIOS:
                console.rule(f"[bold]{scenario.__doc__.splitlines()[0] if scenario.__doc__ else scenario.__name__}")
                try:
                    result = scenario(context)
                except Exception as exc:  # a scenario that breaks is a failed check, reported, not a crash
                    logger.exception("scenario %s failed", scenario.__name__)
                    from apps.scenarios import ScenarioResult

                    result = ScenarioResult(0, scenario.__name__, False, f"{type(exc).__name__}: {exc}")
                console.print(f"  → {'[green]PASS' if result.passed else '[red]FAIL'}[/] {result.title}: {result.summary}")
                results.append(CheckResult(f"{result.number} · {result.title}", result.passed, result.summary))
                scenario_data.append(dataclasses.asdict(result))
            swaps = clients["regulator"].swaps(limit=200)["items"]
            positions = {bank: {code: int(network.token(code).functions.balanceOf(network.keys.address(bank)).call())
                                for code in network.settings.currencies} for bank in network.settings.banks}  # fmt: skip
            oracle_rows = []
            for ledger in network.settings.ledgers:
                oracle = network.contract(ledger, "oracle")
                for code in network.settings.oracle.pairs:
                    pair = oracle.functions.pair(f"EUR{code}".encode()).call()
                    oracle_rows.append({"ledger": ledger, "pair": f"EUR/{code}", "round": pair[5], "halted": pair[4],
                                        "mid": pair[7] / 10**8})  # fmt: skip
            report = build_report(scenarios=scenario_data, swaps=swaps, positions=positions, oracle=oracle_rows,
                                  network=network_info(network))  # fmt: skip
            paths = write_report(report, reports_dir)
            console.print(f"Supervisory report: {paths['html']} (+ {paths['json'].name}, {paths['csv'].name})")
            for client in clients.values():
                client.close()
    return results


def run_demo(settings: Settings, console: Console | None = None, *, reports_dir: Path = REPORTS_DIR) -> bool:
    """Runs every scenario on a fresh network; returns True when every check passed."""
    console = console or Console()
    started = time.monotonic()
    with open_network(settings) as network:
        results = scenario_foundation(network, console)
        results += run_bridge_scenarios(network, console, reports_dir)
    summary = Table(title=f"Demo summary ({time.monotonic() - started:.1f}s)")
    for column in ("check", "result", "detail"):
        summary.add_column(column)
    for result in results:
        summary.add_row(result.scenario, "[green]PASS[/]" if result.passed else "[red]FAIL[/]", result.detail)
    console.print(summary)
    return all(result.passed for result in results)

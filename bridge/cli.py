"""``corridor bridge serve`` and ``corridor swap ...`` (including the no-bridge escape hatch)."""

from __future__ import annotations

import csv
import json
import logging
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import uvicorn
from rich.console import Console
from rich.table import Table

from bridge.server import KEEP_ALIVE_SECONDS
from corridor.config import Settings
from corridor.deploy import Deployment
from corridor.errors import CorridorError
from corridor.keys import KeyRing
from corridor.toolchain import STATE_DIR

logger = logging.getLogger(__name__)
NETWORK_FILE = STATE_DIR / "network.json"
DEPLOYMENT_FILE = STATE_DIR / "deployment.json"
ORDERS_DIR = STATE_DIR / "orders"


def _ctx(ctx: click.Context) -> tuple[Settings, Console]:
    return ctx.obj["settings"](), ctx.obj["console"]


def serve_app(settings: Settings, network: Any, *, host: str, port: int, database_url: str, extensions: Any = ()) -> None:
    """Serves the bridge; ``extensions`` (from the application that runs this command: the console) are
    mounted on it (see :func:`bridge.api.app.create_app`)."""
    from bridge.api.app import bridge_timing, create_app
    from bridge.engine.intake import Policy
    from bridge.engine.network_info import network_info

    NETWORK_FILE.parent.mkdir(parents=True, exist_ok=True)
    NETWORK_FILE.write_text(json.dumps(network_info(network), indent=2))
    policy = Policy(max_amount=settings.bridge.max_swap_amount, expiry_margin=settings.bridge.expiry_margin_seconds)
    app = create_app(network, database_url, policy=policy, max_batch=settings.bridge.max_batch_swaps,
                     extensions=extensions, **bridge_timing(settings))
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_SECONDS)


@click.group("bridge")
def bridge_cli() -> None:
    """The bridge service."""


@bridge_cli.command("serve")
@click.option("--deployment", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Deployment JSON of running ledgers; without it, embedded ledgers are started and deployed.")  # fmt: skip
@click.option("--database", "database_url", default=None, help="SQLAlchemy URL (default: bridge.database_url).")
@click.option("--host", default=None)
@click.option("--port", type=click.IntRange(0, 65535), default=None)
@click.pass_context
def serve(ctx: click.Context, deployment: Path | None, database_url: str | None, host: str | None, port: int | None) -> None:
    """Serve the bridge API (and run its worker) until Ctrl-C."""
    from corridor.network import connect_network, open_network

    settings, console = _ctx(ctx)
    host, port = host or settings.bridge.host, port if port is not None else settings.bridge.port
    database_url = database_url or settings.bridge.database_url
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:////"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    extensions = ctx.obj.get("app_extensions", ())
    console.print(f"bridge on http://{host}:{port} (database {database_url})")
    if extensions:
        console.print(f"console on http://{host}:{port}/console/ (sign in: corridor console login --as regulator --url http://{host}:{port})")
    if deployment is not None:
        serve_app(settings, connect_network(settings, Deployment.load(deployment)), host=host, port=port, database_url=database_url,
                  extensions=extensions)
        return
    from bridge.engine.rates import approve_development_banks, publish_current_rates

    with open_network(settings) as network:
        network.deploy()
        network.deployment.save(DEPLOYMENT_FILE)  # type: ignore[union-attr]
        publish_current_rates(network)
        approve_development_banks(network)
        serve_app(settings, network, host=host, port=port, database_url=database_url, extensions=extensions)


# ─── swaps, as a bank ────────────────────────────────────────────────────────────────────


def _client(settings: Settings, bank: str, url: str) -> Any:
    from bridge.sdk.client import BridgeClient

    return BridgeClient(url, bank, KeyRing(settings).account(bank))


def _minor(settings: Settings, currency: str, amount: str) -> int:
    decimals = settings.currencies[currency.upper()].decimals
    return int(Decimal(amount) * 10**decimals)


_as = click.option("--as", "bank", required=True, help="The bank acting (its key comes from the configuration).")
_url = click.option("--url", default=None, help="Bridge URL (default: http://bridge.host:bridge.port).")


def _url_of(settings: Settings, url: str | None) -> str:
    return url or f"http://{settings.bridge.host}:{settings.bridge.port}"


@click.group("swap")
def swap_cli() -> None:
    """Submit, accept and follow swaps; claim or refund directly on chain (escape hatch)."""


@swap_cli.command("submit")
@_as
@_url
@click.option("--to", "counterparty", required=True, help="Counterparty bank name.")
@click.option("--sell", required=True, help="Currency the bank pays.")
@click.option("--amount", required=True, help="Amount it pays, in major units (e.g. 1000.00).")
@click.option("--buy", required=True, help="Currency it receives.")
@click.option("--tolerance-bps", type=click.IntRange(0, 10_000), default=50)
@click.pass_context
def submit(ctx: click.Context, bank: str, url: str | None, counterparty: str, sell: str, amount: str, buy: str, tolerance_bps: int) -> None:
    """Propose a swap at the oracle's current mid (same ledger: PvP; across ledgers: HTLC)."""
    settings, console = _ctx(ctx)
    client = _client(settings, bank, _url_of(settings, url))
    rate = client.quote(sell, buy, "sell", _minor(settings, sell, amount))
    counterparty_address = KeyRing(settings).address(counterparty)
    now = int(time.time())
    if settings.currency_ledger(sell) == settings.currency_ledger(buy):
        swap = client.submit_pvp(counterparty=counterparty_address, sell=sell, sell_amount=_minor(settings, sell, amount),
                                 buy=buy, rate=int(rate["quote"]["mid"]), deadline=now + 600, max_deviation_bps=tolerance_bps)  # fmt: skip
    else:
        order = client.htlc_order_at_quote(counterparty=counterparty_address, sell=sell, sell_amount=_minor(settings, sell, amount),
                                           buy=buy, now=now, max_deviation_bps=tolerance_bps)  # fmt: skip
        swap = client.submit_htlc(order)
        console.print(f"order and secret kept in {client.store.path_of(order.swap_id)} "
                      "(the secret never leaves this machine until you reveal it)")  # fmt: skip
    console.print(f"swap [bold]{swap['id']}[/] {swap['state']}")


@swap_cli.command("submit-file")
@_as
@_url
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def submit_file(ctx: click.Context, bank: str, url: str | None, path: Path) -> None:
    """Propose every swap of a CSV instruction file (columns: to, sell, amount, buy, and optionally
    tolerance_bps), each at the oracle's current mid, in one request: all are recorded, or none."""
    settings, console = _ctx(ctx)
    client = _client(settings, bank, _url_of(settings, url))
    keys, now = KeyRing(settings), int(time.time())
    instructions, orders = [], []
    with path.open(newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                sell, buy, amount = row["sell"].strip().upper(), row["buy"].strip().upper(), _minor(settings, row["sell"], row["amount"])
                counterparty, tolerance = keys.address(row["to"].strip()), int(row.get("tolerance_bps") or 50)
                same_ledger = settings.currency_ledger(sell) == settings.currency_ledger(buy)
            except (KeyError, ValueError, ArithmeticError, AttributeError, CorridorError) as exc:
                raise click.BadParameter(f"line {line}: {exc!r}", param_hint="PATH") from exc
            if same_ledger:
                rate = int(client.quote(sell, buy, "sell", amount)["quote"]["mid"])
                instructions.append(client.pvp_instruction(counterparty=counterparty, sell=sell, sell_amount=amount, buy=buy,
                                                           rate=rate, deadline=now + 600, max_deviation_bps=tolerance))  # fmt: skip
            else:
                order = client.htlc_order_at_quote(counterparty=counterparty, sell=sell, sell_amount=amount, buy=buy, now=now,
                                                   max_deviation_bps=tolerance)  # fmt: skip
                instructions.append(client.htlc_instruction(order))
                orders.append(order)
    if not instructions:
        raise click.BadParameter("the file has no instructions", param_hint="PATH")
    answer = client.submit_many(instructions)
    for item in answer["items"]:
        console.print(f"swap [bold]{item['id']}[/] {item['state']}")
    if orders:
        console.print(f"{len(orders)} orders and their secrets kept in {client.store.swaps_folder}")


@swap_cli.command("accept")
@_as
@_url
@click.argument("swap_ids", nargs=-1, required=True)
@click.pass_context
def accept(ctx: click.Context, bank: str, url: str | None, swap_ids: tuple[str, ...]) -> None:
    """Accept swaps proposed to this bank (several ids: in one request, all or none)."""
    settings, console = _ctx(ctx)
    client = _client(settings, bank, _url_of(settings, url))
    swaps = [client.swap(swap_id) for swap_id in swap_ids]
    if len(swaps) == 1:
        items = [client.accept(swaps[0])]
    else:
        items = client.accept_many(swaps)["items"]
    for swap in items:
        console.print(f"swap [bold]{swap['id']}[/] {swap['state']}")


@swap_cli.command("reveal")
@_as
@_url
@click.argument("swap_id")
@click.pass_context
def reveal(ctx: click.Context, bank: str, url: str | None, swap_id: str) -> None:
    """Reveal the secret of a linked-ledger swap, after checking both locks on chain."""
    from bridge.domain.orders import SwapOrder
    from bridge.sdk.signer import HtlcOrder

    settings, console = _ctx(ctx)
    client = _client(settings, bank, _url_of(settings, url))
    kept = _kept(bank, swap_id)
    if not kept.get("secret"):
        raise click.BadParameter(f"{bank}'s store has no secret for swap {swap_id} (only the initiator holds it)", param_hint="SWAP_ID")
    order = HtlcOrder(SwapOrder.from_json(kept["order"]), swap_id, "", "", 0, bytes.fromhex(kept["secret"][2:]))
    swap = client.reveal(order)
    console.print(f"swap [bold]{swap['id']}[/] {swap['state']}")


@swap_cli.command("status")
@_as
@_url
@click.argument("swap_id")
@click.pass_context
def status(ctx: click.Context, bank: str, url: str | None, swap_id: str) -> None:
    """Show a swap with every transition."""
    settings, console = _ctx(ctx)
    swap = _client(settings, bank, _url_of(settings, url)).swap(swap_id)
    table = Table(title=f"{swap['model']} swap {swap['id'][:18]}… — {swap['state']}")
    for column in ("at", "from", "to", "ledger", "tx", "detail"):
        table.add_column(column)
    for t in swap["transitions"]:
        table.add_row(t["at"][11:19], t["from"] or "", t["to"], t["ledger"] or "", (t["tx_hash"] or "")[:14], t["detail"] or "")
    console.print(table)


@swap_cli.command("list")
@_as
@_url
@click.option("--state", default=None)
@click.pass_context
def list_swaps(ctx: click.Context, bank: str, url: str | None, state: str | None) -> None:
    """List this bank's swaps (the regulator: all)."""
    settings, console = _ctx(ctx)
    page = _client(settings, bank, _url_of(settings, url)).swaps(state=state)
    table = Table(title="swaps")
    for column in ("id", "model", "state", "initiator", "counterparty", "pays", "receives"):
        table.add_column(column)
    for s in page["items"]:
        table.add_row(s["id"][:18] + "…", s["model"], s["state"], s["initiator"], s["counterparty"],
                      f"{s['leg_a']['amount']} {s['leg_a']['currency']}", f"{s['leg_b']['amount']} {s['leg_b']['currency']}")  # fmt: skip
    console.print(table)


# ─── the escape hatch: no bridge, only the bank's store and the chains ───────────────────


def _store(bank: str, folder: Path | None = None) -> Any:
    from bridge.sdk.store import OrderStore

    return OrderStore(folder) if folder is not None else OrderStore.for_bank(bank)


def _kept(bank: str, swap_id: str, folder: Path | None = None) -> dict[str, Any]:
    """What ``bank``'s store kept of ``swap_id`` (an older `corridor swap submit` order file too)."""
    kept = _store(bank, folder).get(swap_id)
    if kept is None and (ORDERS_DIR / f"{swap_id}.json").is_file():
        kept = json.loads((ORDERS_DIR / f"{swap_id}.json").read_text())
    if kept is None:
        raise click.BadParameter(f"{bank}'s store has no swap {swap_id}", param_hint="--swap")
    return kept


def _network_of(bank: str | None, network_file: Path | None, folder: Path | None = None) -> Any:
    """The network the bank signed against: ``--network``, else the copy in its store, else the bridge's file."""
    from bridge.sdk.signer import NetworkInfo

    if network_file is None and bank is not None:
        kept = _store(bank, folder).network()
        if kept is not None:
            return NetworkInfo.from_json(kept)
    path = network_file or NETWORK_FILE
    if not path.is_file():
        raise click.BadParameter(f"no network description at {path}", param_hint="--network")
    return NetworkInfo.from_json(json.loads(path.read_text()))


def _escape_inputs(bank: str, order_file: Path | None, swap_id: str | None, network_file: Path | None,
                   folder: Path | None) -> tuple[Any, Any, dict[str, Any]]:  # fmt: skip
    from bridge.domain.orders import SwapOrder

    if (order_file is None) == (swap_id is None):
        raise click.UsageError("name the swap with --swap ID (from the bank's store) or --order FILE")
    kept = json.loads(order_file.read_text()) if order_file is not None else _kept(bank, str(swap_id), folder)
    order = SwapOrder.from_json(kept.get("order", kept))
    return order, _network_of(bank, network_file, folder), kept


_order = click.option("--order", "order_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                      help="An order JSON the bank signed (a file of its store).")  # fmt: skip
_swap = click.option("--swap", "swap_id", default=None, help="The swap id, read from the bank's store.")
_network = click.option("--network", "network_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                        help="Network description (GET /v1/network; default: the copy in the bank's store).")  # fmt: skip
_store_option = click.option("--store", "store_folder", type=click.Path(file_okay=False, path_type=Path), default=None,
                             help="The bank's store (default: $CORRIDOR_BANK_STORE/<bank> or .corridor/banks/<bank>).")  # fmt: skip
_leg = click.option("--leg", type=click.Choice(["a", "b"]), required=True, help="a: the initiator's leg, b: the counterparty's.")


@swap_cli.command("refund")
@_as
@_order
@_swap
@_network
@_store_option
@_leg
@click.pass_context
def refund_command(ctx: click.Context, bank: str, order_file: Path | None, swap_id: str | None, network_file: Path | None,
                   store_folder: Path | None, leg: str) -> None:  # fmt: skip
    """Escape hatch: refund a leg to its sender directly on the ledger (from its expiry on; no bridge needed)."""
    from bridge.escape import refund

    settings, console = _ctx(ctx)
    order, network, _ = _escape_inputs(bank, order_file, swap_id, network_file, store_folder)
    tx = refund(KeyRing(settings).account(bank), order, network, leg)
    console.print(f"leg {leg} refunded: tx {tx}")


@swap_cli.command("claim")
@_as
@_order
@_swap
@_network
@_store_option
@_leg
@click.option("--secret", default=None, help="The 32-byte preimage (default: the one kept, else the one published on chain).")
@click.pass_context
def claim_command(ctx: click.Context, bank: str, order_file: Path | None, swap_id: str | None, network_file: Path | None,
                  store_folder: Path | None, leg: str, secret: str | None) -> None:  # fmt: skip
    """Escape hatch: claim a leg for its receiver directly on the ledger with the preimage (no bridge
    needed). Leg B only while leg A keeps the safety margin on ledger A's clock (it publishes the secret)."""
    from bridge.escape import claim, revealed_secret

    settings, console = _ctx(ctx)
    order, network, kept = _escape_inputs(bank, order_file, swap_id, network_file, store_folder)
    secret = secret or kept.get("secret")
    if not secret and kept.get("swap_id"):
        found = revealed_secret(network, kept["swap_id"])
        secret = "0x" + found.secret.hex() if found is not None else None
    if not secret:
        raise click.BadParameter("no secret given, none kept and none published on chain yet", param_hint="--secret")
    tx = claim(KeyRing(settings).account(bank), order, network, leg, bytes.fromhex(secret.removeprefix("0x")))
    console.print(f"leg {leg} claimed: tx {tx}")


@swap_cli.command("secret")
@click.option("--swap", "swap_id", required=True, help="The swap id.")
@click.option("--as", "bank", default=None, help="Read the network description from this bank's store.")
@_network
@click.pass_context
def secret_command(ctx: click.Context, swap_id: str, bank: str | None, network_file: Path | None) -> None:
    """Read a swap's secret from the chain, where a claim published it (no bridge needed)."""
    from bridge.escape import revealed_secret

    _, console = _ctx(ctx)
    found = revealed_secret(_network_of(bank, network_file), swap_id)
    if found is None:
        console.print(f"no claim has published the secret of swap {swap_id} yet")
        ctx.exit(1)
    assert found is not None
    console.print(f"0x{found.secret.hex()}")
    console.print(f"published on ledger {found.ledger} in {found.tx_hash}", style="dim")


@swap_cli.command("recover")
@_as
@_network
@_store_option
@click.option("--wait", "wait_seconds", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Keep going, every few seconds, until every swap is final or this many seconds pass.")  # fmt: skip
@click.pass_context
def recover_command(ctx: click.Context, bank: str, network_file: Path | None, store_folder: Path | None, wait_seconds: float) -> None:
    """Escape hatch: finish or refund every linked-ledger swap of BANK with the bridge gone, from the
    bank's store and the chains alone (leg B claimed with the bank's secret while the clock rule
    allows, leg A claimed with the secret published on ledger B, expired legs refunded)."""
    from bridge.escape import recover

    settings, console = _ctx(ctx)
    store, network = _store(bank, store_folder), _network_of(bank, network_file, store_folder)
    account = KeyRing(settings).account(bank)
    deadline = time.monotonic() + wait_seconds
    results = recover(account, store, network)
    while wait_seconds and any(not r.final for r in results) and time.monotonic() < deadline:
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
        results = recover(account, store, network)
    table = Table(title=f"recovery of {bank}'s swaps ({store.folder})")
    for column in ("swap", "role", "outcome", "done now", "detail"):
        table.add_column(column)
    for r in results:
        table.add_row(r.swap_id[:18] + "…", r.role, r.outcome, "\n".join(r.actions) or "-", r.detail)
    console.print(table)
    waiting = [r for r in results if not r.final]
    console.print(f"{len(results) - len(waiting)} of {len(results)} swaps final" + (f"; {len(waiting)} waiting (run again)" if waiting else ""))
    if any(r.outcome == "failed" for r in results):
        ctx.exit(3)
    if waiting:
        ctx.exit(1)

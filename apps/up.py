"""``corridor up``: a local network pilot banks can integrate against.

Starts the embedded ledgers (external ones in ``corridor.toml`` are only connected to), deploys
and configures everything, mints opening balances, publishes real ECB rates for a chosen date
(stamped with the ledgers' time, and again on every heartbeat so they never go stale), approves the escrows for the development banks, serves the bridge,
and prints — and writes to a JSON file — the endpoints, contract addresses and development keys.
Ctrl-C stops everything; ``--state DIR`` keeps the ledgers, the deployment and the database.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console

from corridor.config import Settings
from corridor.deploy import Deployment
from corridor.keys import KeyRing
from corridor.network import Network, open_network
from oracle.replay import fixing_day
from supervision.inputs import Evidence, OracleProvenance


def _reuse_deployment(network: Network, path: Path) -> bool:
    """True when ``path`` holds a deployment whose registry still has code on every ledger."""
    if not path.is_file():
        return False
    deployment = Deployment.load(path)
    for name, ledger in deployment.ledgers.items():
        if name not in network.clients or network.clients[name].w3.eth.get_code(ledger.registry) in (b"", b"\0"):
            return False
    network.deployment = deployment
    return True


def describe(network: Network, bridge_url: str, database_url: str) -> dict[str, Any]:
    from bridge.engine.network_info import network_info

    keys = KeyRing(network.settings)
    development = network.settings.keys.mnemonic is not None
    accounts = {}
    for role in keys.roles:
        account = keys.account(role)
        explicit = role in {k.lower() for k in network.settings.keys.private_keys}
        accounts[role] = {"address": account.address,
                          "private_key": "0x" + bytes(account.key).hex() if development and not explicit else "(not shown)"}  # fmt: skip
    return {"bridge": {"url": bridge_url, "openapi": bridge_url + "/openapi.json", "docs": bridge_url + "/docs",
                       "redoc": bridge_url + "/redoc", "console": bridge_url + "/console/",
                       "console_login": f"corridor console login --as regulator --url {bridge_url}",
                       "database": database_url}, **network_info(network), "accounts": accounts}  # fmt: skip


def _keep_rates_fresh(network: Network, rates_on: date | None, every: float, stop: threading.Event, console: Console) -> None:
    """The oracle's heartbeat: republishes the chosen day's fixings, stamped with the ledgers' time."""
    from bridge.engine.rates import publish_current_rates

    while not stop.wait(every):
        try:
            publish_current_rates(network, rates_on)
        except Exception as exc:  # a missed heartbeat is retried at the next one; the network keeps running
            console.print(f"[yellow]oracle heartbeat failed, retrying in {every:.0f}s:[/] {exc}")


def run_up(settings: Settings, console: Console, *, state_dir: Path | None, rates_on: date | None, host: str, port: int,
           info_file: Path, stop: threading.Event | None = None, heartbeat_seconds: float = 3600) -> dict[str, Any]:  # fmt: skip
    from apps.console import install_console
    from bridge.api.app import bridge_timing, create_app
    from bridge.engine.intake import Policy
    from bridge.engine.rates import approve_development_banks, publish_current_rates
    from bridge.server import ServerThread

    stop = stop or threading.Event()
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
    deployment_file = (state_dir or info_file.parent) / "deployment.json"
    database_url = f"sqlite:///{(state_dir / 'bridge.db').resolve()}" if state_dir else settings.bridge.database_url
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:////"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with open_network(settings, state_dir=state_dir) as network:
        if state_dir is not None and _reuse_deployment(network, deployment_file):
            console.print(f"ledgers and deployment restored from {state_dir}")
        else:
            network.deploy()
            assert network.deployment is not None
            network.deployment.save(deployment_file)
            approve_development_banks(network)
        publication = publish_current_rates(network, rates_on)
        policy = Policy(max_amount=settings.bridge.max_swap_amount, expiry_margin=settings.bridge.expiry_margin_seconds)
        app = create_app(network, database_url, policy=policy, max_batch=settings.bridge.max_batch_swaps,
                         extensions=[install_console], **bridge_timing(settings))
        # the regulator's report says where the oracle's opening fixings came from (re-stamped as fresh)
        day = fixing_day(rates_on)
        app.state.evidence = Evidence(oracle_provenance=tuple(
            OracleProvenance(pair=f"{pair[:3]}/{pair[3:]}", source="ECB", fixing_date=day.isoformat(), restamped=True,
                             note="republished on every heartbeat") for pair in sorted(publication.published_pairs)))  # fmt: skip
        with ServerThread(app, host=host, port=port) as server:
            info = describe(network, server.url, database_url)
            info_file.parent.mkdir(parents=True, exist_ok=True)
            info_file.write_text(json.dumps(info, indent=2))
            _print(console, info, info_file)
            heartbeat = threading.Thread(target=_keep_rates_fresh, args=(network, rates_on, heartbeat_seconds, stop, console),
                                         name="oracle-heartbeat", daemon=True)  # fmt: skip
            heartbeat.start()
            if threading.current_thread() is threading.main_thread():
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, lambda *_: stop.set())
            stop.wait()
            heartbeat.join(timeout=30)
            console.print("stopping the bridge and the ledgers…")
    return info


def _print(console: Console, info: dict[str, Any], info_file: Path) -> None:
    console.rule("[bold]Corridor local network")
    console.print(f"bridge  {info['bridge']['url']}  (docs {info['bridge']['docs']}, {info['bridge']['redoc']})")
    console.print(f"console {info['bridge']['console']}  (sign in: {info['bridge']['console_login']})")
    for name, ledger in info["ledgers"].items():
        console.print(f"ledger {name}  chain id {ledger['chain_id']}  {ledger['rpc_url']}  registry {ledger['registry']}  "
                      f"oracle {ledger['oracle']}  pvp {ledger['pvp']}  htlc {ledger['htlc']}")  # fmt: skip
    for code, currency in info["currencies"].items():
        console.print(f"{code} on ledger {currency['ledger']}: {currency['token']}")
    # One unwrapped line per account: a table would wrap or cut a 66-character key on a narrow terminal.
    console.print("Development accounts (never use these keys on a real network): role, address, private key")
    width = max(len(role) for role in info["accounts"])
    for role, account in info["accounts"].items():
        console.print(f"  {role:<{width}}  {account['address']}  {account['private_key']}", soft_wrap=True, highlight=False,
                      markup=False)  # fmt: skip
    console.print(f"written to {info_file}; Ctrl-C stops everything")

"""Brings a configured network within reach: starts the embedded ledgers, connects a client to
every ledger (embedded or external) and, on request, deploys the contracts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from corridor.artifacts import BuildResult, build
from corridor.chain import ErrorDecoder, LedgerClient
from corridor.config import Settings
from corridor.deploy import Deployer, Deployment
from corridor.keys import KeyRing
from corridor.errors import LedgerError, LedgerUnavailable
from corridor.ledgers import LedgerLauncher, LedgerSpec

logger = logging.getLogger(__name__)

# the deployed contracts by role, and the artifact each is built from
CONTRACT_ARTIFACTS = {"oracle": "FxOracle", "pvp": "PvPEscrow", "htlc": "HashedTimelockEscrow", "registry": "ParticipantRegistry"}


@dataclass
class Network:
    """Everything a scenario needs: settings, keys, compiled contracts, a client per ledger."""

    settings: Settings
    keys: KeyRing
    build: BuildResult
    clients: dict[str, LedgerClient]
    deployment: Deployment | None = None

    def deploy(self) -> Deployment:
        self.deployment = Deployer(self.settings, self.keys, self.build, self.clients).deploy()
        return self.deployment

    def token(self, currency: str):  # noqa: ANN201 - web3 Contract
        assert self.deployment is not None, "deploy() first"
        ledger = self.settings.currency_ledger(currency)
        return self.clients[ledger].contract(self.build["SettlementToken"], self.deployment.ledgers[ledger].tokens[currency])

    def contract(self, ledger: str, name: str):  # noqa: ANN201 - web3 Contract
        """The deployed ``name`` ("oracle", "pvp", "htlc", "registry") on ``ledger``."""
        assert self.deployment is not None, "deploy() first"
        return self.clients[ledger].contract(self.build[CONTRACT_ARTIFACTS[name]], getattr(self.deployment.ledgers[ledger], name))

    def embedded(self, ledger: str) -> bool:
        return self.settings.ledgers[ledger].embedded

    def set_time(self, timestamp: int) -> None:
        """Mines a block at ``timestamp`` on every embedded ledger (anvil only; history replays, tests)."""
        for name, client in self.clients.items():
            if self.embedded(name):
                client.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]
                client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def registry(self, ledger: str):  # noqa: ANN201 - web3 Contract
        assert self.deployment is not None, "deploy() first"
        return self.clients[ledger].contract(self.build["ParticipantRegistry"], self.deployment.ledgers[ledger].registry)


def ledger_specs(
    settings: Settings, state_dir: Path | None = None, *, genesis_timestamp: int | None = None
) -> list[LedgerSpec]:
    """Launcher specs for the embedded ledgers of ``settings``."""
    mnemonic = settings.keys.mnemonic.get_secret_value() if settings.keys.mnemonic else None
    accounts = len(KeyRing(settings).roles) + 4
    specs = []
    for name, ledger in settings.ledgers.items():
        if not ledger.embedded:
            continue
        extra = {"mnemonic": mnemonic} if mnemonic else {}
        state = state_dir / f"ledger-{name}.json" if state_dir else None
        specs.append(
            LedgerSpec(name=name, chain_id=ledger.chain_id, port=ledger.port, block_time=ledger.block_time,
                       state_file=state, accounts=accounts, genesis_timestamp=genesis_timestamp, **extra)
        )  # fmt: skip
    return specs


def connect_network(settings: Settings, deployment: Deployment) -> Network:
    """A :class:`Network` over ledgers that are already running and deployed (no process started):
    each ledger is reached at the RPC URL its deployment recorded."""
    artifacts = build()
    decoder = ErrorDecoder(artifacts.all_abis())
    clients = {}
    for name, ledger in deployment.ledgers.items():
        confirmations = settings.ledgers[name].confirmations
        try:
            clients[name] = LedgerClient.connect(name, ledger.rpc_url, decoder=decoder, confirmations=confirmations)
        except LedgerUnavailable as exc:  # start anyway: the other ledgers' swaps need not wait for this one
            logger.warning("ledger %s unreachable at start (%s); its chain id %s is taken from the deployment", name, exc.reason,
                           ledger.chain_id)  # fmt: skip
            clients[name] = LedgerClient.connect(name, ledger.rpc_url, decoder=decoder, confirmations=confirmations,
                                                 chain_id=ledger.chain_id)  # fmt: skip
        if clients[name].chain_id != ledger.chain_id:
            raise LedgerError(ledger=name, reason=f"{ledger.rpc_url} reports chain id {clients[name].chain_id}, "
                              f"the deployment says {ledger.chain_id}")  # fmt: skip
    return Network(settings=settings, keys=KeyRing(settings), build=artifacts, clients=clients, deployment=deployment)


@contextmanager
def open_network(
    settings: Settings, *, state_dir: Path | None = None, genesis_timestamp: int | None = None
) -> Iterator[Network]:
    """Starts the embedded ledgers of ``settings`` (external ones are only connected to) and yields a
    :class:`Network`; every process it started is stopped on exit."""
    artifacts = build()
    decoder = ErrorDecoder(artifacts.all_abis())
    with LedgerLauncher() as launcher:
        running = launcher.start(ledger_specs(settings, state_dir, genesis_timestamp=genesis_timestamp))
        clients = {}
        for name, ledger in settings.ledgers.items():
            url = running[name].rpc_url if ledger.embedded else ledger.rpc
            clients[name] = LedgerClient.connect(name, url, decoder=decoder, confirmations=ledger.confirmations)
            if clients[name].chain_id != ledger.chain_id:
                raise LedgerError(ledger=name, reason=f"{url} reports chain id {clients[name].chain_id}, "
                                  f"configured {ledger.chain_id}")
        yield Network(settings=settings, keys=KeyRing(settings), build=artifacts, clients=clients)

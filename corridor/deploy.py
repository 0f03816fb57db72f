"""Deploys and configures Corridor's contracts on every ledger of a :class:`Settings`.

Per ledger: the participant registry (operator, regulator, the oracle reporters and the governance
delay fixed in its constructor), every participant onboarded (banks settle on both ledgers), a
settlement token for each currency whose home is that ledger, registered with its issuer and funded
with opening balances, and the FX oracle with its quorum, its EUR/<code> pairs and a cross with its
own breaker for every pair of settlement currencies.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from web3.contract import Contract

from corridor.artifacts import BuildResult
from corridor.chain import LedgerClient
from corridor.config import Settings
from corridor.keys import OPERATOR, REGULATOR, RELAYER, KeyRing
from corridor.calendar import holiday_years, unix_days

logger = logging.getLogger(__name__)


@dataclass
class LedgerDeployment:
    """Addresses of Corridor's contracts on one ledger."""

    chain_id: int
    rpc_url: str
    registry: str
    oracle: str
    pvp: str
    htlc: str
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass
class Deployment:
    """Addresses on every ledger, as written to ``deployment.json``."""

    ledgers: dict[str, LedgerDeployment]

    def token_address(self, settings: Settings, currency: str) -> str:
        return self.ledgers[settings.currency_ledger(currency)].tokens[currency.upper()]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> Deployment:
        raw = json.loads(path.read_text())
        return cls(ledgers={name: LedgerDeployment(**fields) for name, fields in raw["ledgers"].items()})


def _bytes(text: str, size: int) -> bytes:
    return text.encode("ascii").ljust(size, b"\0")


def mark_holidays(client: LedgerClient, oracle: Contract, keys: KeyRing, days: list[int]) -> None:
    """Marks market holidays on one ledger's oracle: days after today by the operator, today and past days
    by the regulator (a past holiday changes which rates are stale now, which the operator may not do)."""
    today = int(client.w3.eth.get_block("latest")["timestamp"]) // 86_400
    ahead, behind = [d for d in days if d > today], [d for d in days if d <= today]
    if ahead:
        client.transact(keys.account(OPERATOR), oracle.functions.setHolidays(ahead, True))
    if behind:
        client.transact(keys.account(REGULATOR), oracle.functions.setHolidays(behind, True))


class Deployer:
    """Deploys the network described by ``settings`` onto connected ledger clients."""

    def __init__(self, settings: Settings, keys: KeyRing, build: BuildResult, clients: dict[str, LedgerClient]) -> None:
        self.settings = settings
        self.keys = keys
        self.build = build
        self.clients = clients

    def deploy(self) -> Deployment:
        ledgers = {name: self._deploy_ledger(name) for name in self.settings.ledgers}
        return Deployment(ledgers=ledgers)

    def _deploy_ledger(self, ledger: str) -> LedgerDeployment:
        client = self.clients[ledger]
        operator = self.keys.account(OPERATOR)
        registry = self._deploy_registry(client)
        for name, participant in self.settings.participants.items():
            call = registry.functions.onboard(
                self.keys.address(name), _bytes(participant.bic, 11), _bytes(participant.jurisdiction, 2)
            )
            client.transact(operator, call)
        tokens = {code: self._deploy_token(client, registry, code) for code in self.settings.currencies_on(ledger)}
        oracle = self._deploy_oracle(client, registry)
        pvp = client.deploy(operator, self.build["PvPEscrow"], registry.address, oracle.address)
        htlc = client.deploy(operator, self.build["HashedTimelockEscrow"], registry.address,
                             self.settings.settlement.htlc_max_lock_seconds)  # fmt: skip
        for escrow in (pvp, htlc):
            client.transact(operator, registry.functions.setSettlementContract(escrow.address, True))
        # The bridge's quote service signs with the relayer key; the HTLC accepts only its quotes.
        quote_signer = registry.functions.QUOTE_SIGNER_ROLE().call()
        client.transact(operator, registry.functions.grantRole(quote_signer, self.keys.address(RELAYER)))
        for code, token in tokens.items():
            decimals = self.settings.currencies[code].decimals
            client.transact(operator, pvp.functions.listAsset(token.address, _bytes(code, 3), decimals, True))
        return LedgerDeployment(
            chain_id=client.chain_id,
            rpc_url=str(client.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
            registry=registry.address,
            oracle=oracle.address,
            pvp=pvp.address,
            htlc=htlc.address,
            tokens={code: token.address for code, token in tokens.items()},
        )

    def _deploy_oracle(self, client: LedgerClient, registry: Contract) -> Contract:
        """The FX oracle with its quorum (the reporters are the registry's), each EUR/<code> pair, a cross
        with its own breaker for every pair of settlement currencies, and the TARGET2 calendar."""
        operator = self.keys.account(OPERATOR)
        config = self.settings.oracle
        oracle = client.deploy(operator, self.build["FxOracle"], registry.address, _bytes(config.base_currency, 3), config.quorum)
        for code in config.pairs:  # each pair with its own limits: its tier's defaults, [oracle.limits.<PAIR>] on top
            limits = config.limits_for(code)
            client.transact(operator, oracle.functions.configurePair(
                _bytes(config.pair_id(code), 6), limits.max_age_hours * 3600, limits.dispersion_bps, limits.breaker_bps, True))  # fmt: skip
        for base, quote in self.settings.cross_pairs():  # a cross halts on its own move, at the wider of its legs' thresholds
            breaker = max(config.limits_for(base).breaker_bps, config.limits_for(quote).breaker_bps)
            client.transact(operator, oracle.functions.configureCross(_bytes(base + quote, 6), breaker, True))
        # TARGET closing days for the years around the ledger's clock (a replay of older history marks its own)
        clock = datetime.fromtimestamp(client.w3.eth.get_block("latest")["timestamp"], timezone.utc).date()
        mark_holidays(client, oracle, self.keys, unix_days(holiday_years(clock)))
        return oracle

    def _deploy_registry(self, client: LedgerClient) -> Contract:
        """The registry: the operator, the regulator (its role administers itself, never the operator's),
        the oracle reporters (changed afterwards only by delayed proposals the regulator may veto) and
        the governance delay, all fixed in the constructor."""
        operator = self.keys.account(OPERATOR)
        reporters = [reporter.address for reporter in self.keys.reporters()]
        return client.deploy(operator, self.build["ParticipantRegistry"], operator.address, self.keys.address(REGULATOR),
                             reporters, self.settings.governance.delay_seconds)  # fmt: skip

    def _deploy_token(self, client: LedgerClient, registry: Contract, code: str) -> Contract:
        operator = self.keys.account(OPERATOR)
        currency = self.settings.currencies[code]
        issuer = self.keys.account(self.settings.issuer_of(code))
        client.transact(operator, registry.functions.registerCurrency(_bytes(code, 3), issuer.address))
        token = client.deploy(
            operator, self.build["SettlementToken"], registry.address, _bytes(code, 3), currency.name, currency.decimals
        )
        for name, participant in self.settings.participants.items():
            amount = participant.opening_balances.get(code, 0)
            if amount:
                client.transact(issuer, token.functions.mint(self.keys.address(name), amount))
        logger.info("token ready ledger=%s currency=%s address=%s", client.name, code, token.address)
        return token

"""Collects a quorum of reporter signatures and publishes rounds to every ledger that lists a pair.

Sequence numbers come from the chain (each pair's last accepted sequence + 1), so a restarted or
retried publisher never publishes the same sequence twice: a retry after an ambiguous failure
first re-reads the chain and stops if the round already landed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD as _DISCARD

from corridor.chain import LedgerClient
from corridor.errors import ChainError, ChainRejected
from oracle.errors import QuorumUnreachable, RateUnavailable
from oracle.feeds.base import Feed, Fixing
from oracle.rates import from_fixed, pair_id
from oracle.signing import Reporter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OracleTarget:
    """One ledger's FxOracle and the account that submits rounds to it (any account may)."""

    ledger: str
    client: LedgerClient
    oracle: Contract
    submitter: LocalAccount


@dataclass
class PublishedRound:
    ledger: str
    tx_hash: str
    sequence: int
    pairs: list[str]
    round_ids: dict[str, int]
    breaker_tripped: list[str] = field(default_factory=list)


class OraclePublisher:
    """Publishes quorum-signed rounds, on a heartbeat and on deviation, with retries and backoff."""

    def __init__(
        self,
        targets: Sequence[OracleTarget],
        reporters: Sequence[Reporter],
        quorum: int,
        *,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if quorum > len(reporters):
            raise ValueError(f"quorum {quorum} exceeds the {len(reporters)} reporters")
        self.targets = list(targets)
        self.reporters = list(reporters)
        self.quorum = quorum
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep

    def fixings(self, feed: Feed, on: date, currencies: Sequence[str]) -> list[Fixing]:
        """The feed's fixings in force on ``on``; a currency the feed lacks is skipped and logged."""
        found = []
        for code in currencies:
            try:
                found.append(feed.fixing(code, on))
            except RateUnavailable as exc:
                logger.warning("skipping pair: %s", exc)
        return found

    def publish(self, fixings: Sequence[Fixing]) -> list[PublishedRound]:
        """One round per ledger for the fixings whose pairs it lists."""
        published = []
        for target in self.targets:
            listed = [f for f in fixings if target.oracle.functions.pair(pair_id(f.base, f.currency)).call()[3]]
            if listed:
                published.append(self._publish_to(target, listed))
        return published

    def publish_if_due(
        self, fixings: Sequence[Fixing], *, now: datetime, heartbeat_seconds: int, deviation_bps: int
    ) -> list[PublishedRound]:
        """Publishes the fixings whose pair's last round is older than the heartbeat, or whose mid moved
        by at least ``deviation_bps`` since."""
        due = []
        for fixing in fixings:
            for target in self.targets:
                state = target.oracle.functions.pair(pair_id(fixing.base, fixing.currency)).call()
                listed, latest_round, last_mid = state[3], state[5], state[7]
                if not listed:
                    continue
                if latest_round == 0:
                    due.append(fixing)
                    break
                published_at = target.oracle.functions.roundData(pair_id(fixing.base, fixing.currency), latest_round).call()[5]
                moved_bps = abs(fixing.rate - from_fixed(last_mid)) / from_fixed(last_mid) * 10_000
                if now.timestamp() - published_at >= heartbeat_seconds or moved_bps >= deviation_bps:
                    due.append(fixing)
                    break
        return self.publish(due) if due else []

    def _publish_to(self, target: OracleTarget, fixings: Sequence[Fixing]) -> PublishedRound:
        pairs = [pair_id(f.base, f.currency) for f in fixings]
        for attempt in range(1, self.retries + 1):
            last = max(target.oracle.functions.pair(p).call()[6] for p in pairs)
            sequence = last + 1
            observations, signatures = self._collect(target, fixings, sequence)
            try:
                receipt = target.client.transact(target.submitter, target.oracle.functions.publish(observations, signatures))
            except ChainRejected:
                raise  # the oracle refused the round (stale, halted config, dispersion...): retrying cannot help
            except ChainError as exc:
                if max(target.oracle.functions.pair(p).call()[6] for p in pairs) >= sequence:
                    logger.info("round already on chain ledger=%s sequence=%s", target.ledger, sequence)
                    return PublishedRound(target.ledger, exc.tx_hash or "", sequence, [p.decode() for p in pairs], {})
                if attempt == self.retries:
                    raise
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                logger.warning("publish failed ledger=%s attempt=%s retry_in=%.1fs: %s", target.ledger, attempt, delay, exc)
                self._sleep(delay)
                target.client.reset_nonces()
                continue
            return self._result(target, receipt, sequence, pairs)
        raise AssertionError("unreachable")

    def quorum_on(self, target: OracleTarget) -> int:
        """The signatures a round needs on ``target`` now: the configured quorum, raised to the oracle's
        quorum in force (a strict majority of the registry's reporters, which governance may have grown)."""
        in_force = int(target.oracle.functions.quorum().call()[0])
        needed = max(self.quorum, in_force)
        if needed > len(self.reporters):
            raise QuorumUnreachable(ledger=target.ledger, quorum=needed, reporters=len(self.reporters))
        return needed

    def _collect(self, target: OracleTarget, fixings: Sequence[Fixing], sequence: int) -> tuple[list[int], list[tuple[bytes, bytes]]]:
        """The first reporters' reports and compact signatures, as many as the quorum in force, reporter-major."""
        observations: list[int] = []
        signatures: list[tuple[bytes, bytes]] = []
        for reporter in self.reporters[: self.quorum_on(target)]:
            report = [reporter.observe(fixing, sequence) for fixing in fixings]
            observations.extend(report)
            signatures.append(reporter.sign(target.client.chain_id, target.oracle.address, report))
        return observations, signatures

    def _result(self, target: OracleTarget, receipt: dict, sequence: int, pairs: list[bytes]) -> PublishedRound:
        rounds = target.oracle.events.RoundPublished().process_receipt(receipt, errors=_DISCARD)
        tripped = target.oracle.events.BreakerTripped().process_receipt(receipt, errors=_DISCARD)
        result = PublishedRound(
            ledger=target.ledger,
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
            sequence=sequence,
            pairs=[p.decode() for p in pairs],
            round_ids={bytes(e["args"]["pair"]).decode(): int(e["args"]["roundId"]) for e in rounds},
            breaker_tripped=[bytes(e["args"]["pair"]).decode() for e in tripped],
        )
        logger.info("round published ledger=%s sequence=%s pairs=%s tripped=%s", target.ledger, sequence,
                    ",".join(result.pairs), ",".join(result.breaker_tripped) or "-")  # fmt: skip
        return result


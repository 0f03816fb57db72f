"""Collects a quorum of reporter signatures and publishes rounds to every ledger that lists a pair.

**One pair's trouble never stops the others.** Before each round the publisher checks every fixing
against what the ledger's oracle holds for its pair and leaves out, with a structured warning that
names the pair and the date of its last fixing:

- ``not_listed``  the ledger's oracle does not list the pair;
- ``stale``       the fixing is older than the pair's allowance (its ``maxAge`` on chain) at the
                  ledger's time, counted in open-market seconds like the contract counts them
                  (weekends and TARGET closing days do not count: :mod:`oracle.calendar`);
- ``unchanged``   the pair's latest round already carries this very fixing: an old fixing is never
                  published again as if it were new (heartbeats republish on purpose: ``republish``);
- ``refused``     the oracle refused the round because of this pair alone (any refusal that names a
                  pair: dispersion, a future observation, staleness by the chain's own calendar…):
                  the pair is dropped and the round sent again without it.

A pair the feed has no fixing for at all is ``no_fixing`` (:meth:`OraclePublisher.publish_day`).
Only a refusal of the whole round (too few signatures, an unknown reporter) stops a ledger's round.

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

from corridor.chain import LedgerClient, events_in
from corridor.errors import ChainError, ChainRejected
from oracle.calendar import open_seconds_between
from oracle.errors import QuorumUnreachable, RateUnavailable
from oracle.feeds.base import Feed, Fixing
from oracle.rates import from_fixed, pair_id
from oracle.signing import Reporter
from oracle.status import SOURCE, OnChainPair, PairState, day_of, describe, read_pair

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
    jump_bps: dict[str, int] = field(default_factory=dict)  # the jump of each pair whose breaker tripped
    fixed_on: dict[str, date] = field(default_factory=dict)  # each pair's fixing date (the observation's own)


@dataclass(frozen=True)
class SkippedPair:
    """A pair left out of a ledger's round, and why (see the module's list of reasons)."""

    ledger: str
    pair: str  # the contracts' id, e.g. "EURLTL"
    reason: str  # no_fixing | not_listed | stale | unchanged | refused
    detail: str  # one sentence naming the currency and the date of its last fixing
    last_fixing: date | None = None

    @property
    def label(self) -> str:
        return f"{self.pair[:3]}/{self.pair[3:]}"


@dataclass
class Publication:
    """What one publication did on every ledger: the rounds sent and the pairs left out."""

    rounds: list[PublishedRound] = field(default_factory=list)
    skipped: list[SkippedPair] = field(default_factory=list)

    @property
    def published_pairs(self) -> set[str]:
        return {pair for r in self.rounds for pair in r.round_ids}


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

    # ─── fixings from a feed ─────────────────────────────────────────────────────────────

    def gather(self, feed: Feed, on: date, currencies: Sequence[str]) -> tuple[list[Fixing], dict[str, str]]:
        """The feed's fixings in force on ``on`` (each with its own date, however old), and the
        currencies it has none for at all, with the reason."""
        found, missing = [], {}
        for code in currencies:
            try:
                found.append(feed.fixing(code, on))
            except RateUnavailable as exc:
                missing[code.upper()] = str(exc)
        return found, missing

    def fixings(self, feed: Feed, on: date, currencies: Sequence[str]) -> list[Fixing]:
        """The feed's fixings in force on ``on``; a currency the feed lacks is left out and logged."""
        found, missing = self.gather(feed, on, currencies)
        for code, reason in missing.items():
            logger.warning("pair skipped pair=%s/%s reason=no_fixing last_fixing=- detail=%s", feed.base, code, reason)
        return found

    def publish_day(self, feed: Feed, on: date, currencies: Sequence[str], *, now: int | None = None,
                    republish: bool = False) -> Publication:  # fmt: skip
        """Publishes the fixings in force on ``on`` for ``currencies`` (see :meth:`publish`); a currency
        the feed has no fixing for is reported ``no_fixing`` on every ledger that lists its pair."""
        found, missing = self.gather(feed, on, currencies)
        publication = self.publish(found, now=now, republish=republish)
        for code, reason in missing.items():
            pid = pair_id(feed.base, code)
            for target in self.targets:
                if read_pair(target.oracle, pid).listed:
                    detail = f"no {SOURCE} fixing for {code} at all by {on.isoformat()} ({reason})"
                    publication.skipped.append(self._skip(target, pid, "no_fixing", detail, None))
        return publication

    # ─── publishing ──────────────────────────────────────────────────────────────────────

    def publish(self, fixings: Sequence[Fixing], *, now: int | None = None, republish: bool = False) -> Publication:
        """One round per ledger for the usable fixings whose pairs it lists; every other pair is
        left out and reported (:class:`SkippedPair`). ``now``: the time to judge ages at (default:
        each ledger's latest block); ``republish``: send fixings the chain already holds (heartbeats)."""
        publication = Publication()
        for target in self.targets:
            published, skipped = self._publish_to(target, fixings, now=now, republish=republish)
            publication.skipped.extend(skipped)
            if published is not None:
                publication.rounds.append(published)
        return publication

    def publish_if_due(
        self, fixings: Sequence[Fixing], *, now: datetime, heartbeat_seconds: int, deviation_bps: int
    ) -> Publication:
        """Publishes the fixings whose pair's last round is older than the heartbeat, or whose mid moved
        by at least ``deviation_bps`` since (the same fixing again, on a heartbeat)."""
        due = []
        for fixing in fixings:
            pid = pair_id(fixing.base, fixing.currency)
            for target in self.targets:
                state = read_pair(target.oracle, pid)
                if not state.listed:
                    continue
                if state.latest_round == 0:
                    due.append(fixing)
                    break
                published_at = target.oracle.functions.roundData(pid, state.latest_round).call()[5]
                moved_bps = abs(fixing.rate - from_fixed(state.last_mid)) / from_fixed(state.last_mid) * 10_000
                if now.timestamp() - published_at >= heartbeat_seconds or moved_bps >= deviation_bps:
                    due.append(fixing)
                    break
        return self.publish(due, now=int(now.timestamp()), republish=True) if due else Publication()

    def _publish_to(
        self, target: OracleTarget, fixings: Sequence[Fixing], *, now: int | None, republish: bool
    ) -> tuple[PublishedRound | None, list[SkippedPair]]:
        """The round for one ledger: usable fixings only; a pair the oracle refuses is dropped and the
        round sent again without it."""
        clock = now if now is not None else int(target.client.w3.eth.get_block("latest")["timestamp"])
        skipped: list[SkippedPair] = []
        usable: list[Fixing] = []
        for fixing in fixings:
            verdict = self._check(target, fixing, clock, republish)
            if verdict is None:
                usable.append(fixing)
            else:
                skipped.append(verdict)
        while usable:
            try:
                return self._send(target, usable), skipped
            except ChainRejected as exc:
                culprit = self._culprit(exc, usable)
                if culprit is None:
                    raise  # the whole round is refused (quorum, reporters…): no pair can help it
                usable.remove(culprit)
                detail = f"{culprit.pair} refused by the oracle: {exc.error}({', '.join(f'{k}={v}' for k, v in exc.args_by_name.items())}); last {SOURCE} fixing {culprit.fixed_on.isoformat()}"
                skipped.append(self._skip(target, pair_id(culprit.base, culprit.currency), "refused", detail, culprit.fixed_on))
        return None, skipped

    def _check(self, target: OracleTarget, fixing: Fixing, clock: int, republish: bool) -> SkippedPair | None:
        """Why ``fixing`` must stay out of ``target``'s round, or None when it may go in."""
        pid = pair_id(fixing.base, fixing.currency)
        state: OnChainPair = read_pair(target.oracle, pid)
        observed = int(fixing.observed_at.timestamp())
        if not state.listed:
            return self._skip(target, pid, "not_listed", describe(PairState.NOT_LISTED, fixing.pair, ledger=target.ledger),
                              fixing.fixed_on, level=logging.INFO)  # fmt: skip
        open_age = open_seconds_between(observed, clock)
        if open_age > state.max_age:
            detail = describe(PairState.STALE, fixing.pair, observed_at=observed, open_age=open_age, max_age=state.max_age)
            return self._skip(target, pid, "stale", detail, fixing.fixed_on)
        if not republish and state.latest_round:
            held = int(target.oracle.functions.roundData(pid, state.latest_round).call()[4])
            if observed <= held:
                detail = (f"no new {SOURCE} fixing for {fixing.currency} since {day_of(held).isoformat()}: round "
                          f"{state.latest_round} already carries it (usable until older than {state.max_age // 3600} open-market hours)")  # fmt: skip
                return self._skip(target, pid, "unchanged", detail, fixing.fixed_on)
        return None

    @staticmethod
    def _culprit(exc: ChainRejected, fixings: Sequence[Fixing]) -> Fixing | None:
        """The fixing whose pair the oracle's refusal names, if it names one of them."""
        named = {str(value).replace("/", "") for key, value in exc.args_by_name.items() if key in ("pair", "found", "expected")}
        for fixing in fixings:
            if (fixing.base + fixing.currency).upper() in named:
                return fixing
        return None

    @staticmethod
    def _skip(target: OracleTarget, pid: bytes, reason: str, detail: str, last_fixing: date | None,
              *, level: int = logging.WARNING) -> SkippedPair:  # fmt: skip
        pair = pid.decode()
        logger.log(level, "pair skipped ledger=%s pair=%s/%s reason=%s last_fixing=%s detail=%s", target.ledger,
                   pair[:3], pair[3:], reason, last_fixing.isoformat() if last_fixing else "-", detail)  # fmt: skip
        return SkippedPair(target.ledger, pair, reason, detail, last_fixing)

    def _send(self, target: OracleTarget, fixings: Sequence[Fixing]) -> PublishedRound:
        pairs = [pair_id(f.base, f.currency) for f in fixings]
        for attempt in range(1, self.retries + 1):
            last = max(read_pair(target.oracle, p).last_sequence for p in pairs)
            sequence = last + 1
            observations, signatures = self._collect(target, fixings, sequence)
            try:
                receipt = target.client.transact(target.submitter, target.oracle.functions.publish(observations, signatures))
            except ChainRejected:
                raise  # the oracle refused the round (stale, halted config, dispersion...): retrying cannot help
            except ChainError as exc:
                if max(read_pair(target.oracle, p).last_sequence for p in pairs) >= sequence:
                    logger.info("round already on chain ledger=%s sequence=%s", target.ledger, sequence)
                    return PublishedRound(target.ledger, exc.tx_hash or "", sequence, [p.decode() for p in pairs], {},
                                          fixed_on={p.decode(): f.fixed_on for p, f in zip(pairs, fixings, strict=True)})  # fmt: skip
                if attempt == self.retries:
                    raise
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                logger.warning("publish failed ledger=%s attempt=%s retry_in=%.1fs: %s", target.ledger, attempt, delay, exc)
                self._sleep(delay)
                target.client.reset_nonces()
                continue
            result = self._result(target, receipt, sequence, pairs)
            result.fixed_on = {p.decode(): f.fixed_on for p, f in zip(pairs, fixings, strict=True)}
            return result
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
        rounds = events_in(receipt, target.oracle.events.RoundPublished())
        tripped = events_in(receipt, target.oracle.events.BreakerTripped())
        result = PublishedRound(
            ledger=target.ledger,
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
            sequence=sequence,
            pairs=[p.decode() for p in pairs],
            round_ids={bytes(e["args"]["pair"]).decode(): int(e["args"]["roundId"]) for e in rounds},
            breaker_tripped=[bytes(e["args"]["pair"]).decode() for e in tripped],
            jump_bps={bytes(e["args"]["pair"]).decode(): int(e["args"]["jumpBps"]) for e in tripped},
        )
        logger.info("round published ledger=%s sequence=%s pairs=%s tripped=%s", target.ledger, sequence,
                    ",".join(f"{p[:3]}/{p[3:]}" for p in result.pairs),
                    ",".join(f"{p[:3]}/{p[3:]}" for p in result.breaker_tripped) or "-")  # fmt: skip
        for pair, jump in result.jump_bps.items():
            logger.warning("breaker tripped ledger=%s pair=%s/%s round=%s jump_bps=%s", target.ledger, pair[:3], pair[3:],
                           result.round_ids.get(pair), jump)  # fmt: skip
        return result

"""Publishing real ECB fixings onto the ledgers: one day (``publish``) or a date range (``replay``).

On embedded ledgers the chain clock is moved to each fixing's publication time, so observation
times are the real ones and the oracle judges staleness and breaker jumps as it would have then.
Each replayed day reports, per ledger and pair, what happened (:class:`PairDay`):

- ``published``  a new round carries the day's fixing;
- ``skipped``    no round for the pair that day, and why (its fixing is stale, unchanged, refused…);
- ``halted``     the pair is halted by its circuit breaker (since the day it tripped); rounds may
                 still be stored, reads are refused until the regulator resumes it;
- ``resumed``    the pair was halted and the regulator resumed it (``resume``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from corridor.deploy import mark_holidays as mark_ledger_holidays
from corridor.errors import ChainRejected
from corridor.keys import OPERATOR, REGULATOR, RELAYER
from corridor.network import Network
from oracle.calendar import holiday_years, unix_days
from oracle.feeds.ecb_history import EcbHistoryFeed, fixing_time
from oracle.feeds.restamped import RestampedFeed
from oracle.publisher import OraclePublisher, OracleTarget, Publication, PublishedRound, SkippedPair
from oracle.signing import Reporter
from oracle.status import halted_since, read_pair

logger = logging.getLogger(__name__)
PUBLISH_DELAY = timedelta(minutes=5)  # reporters publish a few minutes after the ECB's 16:00 fixing


def publisher_for(network: Network) -> OraclePublisher:
    """A publisher over every ledger of ``network`` with its configured reporters and quorum."""
    keys, settings = network.keys, network.settings
    targets = [
        OracleTarget(name, client, network.contract(name, "oracle"), keys.account(RELAYER))
        for name, client in network.clients.items()
    ]
    reporters = [Reporter(account, source_id=i + 1) for i, account in enumerate(keys.reporters())]
    return OraclePublisher(targets, reporters, settings.oracle.quorum)


def start_of(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).timestamp())


def publication_time(day: date) -> datetime:
    """When reporters publish ``day``'s fixing: a few minutes after the ECB's 16:00 Frankfurt fixing."""
    return fixing_time(day) + PUBLISH_DELAY


def fixing_day(on: date | None = None, history: EcbHistoryFeed | None = None) -> date:
    """The ECB fixing day :func:`publish_current` publishes: ``on``, or the last day the shipped history has."""
    if on is not None:
        return on
    return max((history or EcbHistoryFeed()).fixing_dates(date(2026, 1, 1), date(2100, 1, 1)) or [date(2026, 10, 30)])


def publish_current(network: Network, on: date | None = None) -> Publication:
    """A development network's opening rates: the ECB fixings in force on ``on`` (default: the last
    day the shipped history has), re-observed at the ledgers' current time so the oracle treats them
    as fresh. A currency without a usable fixing on that day (the ECB stopped fixing it, or never
    did) is left out and reported: its pair reads as unavailable, and nothing else is held up."""
    history = EcbHistoryFeed()
    day = fixing_day(on, history)
    oracle = network.settings.oracle
    # the earliest ledger clock: an observation may not be in the future on any ledger
    now = min(int(c.w3.eth.get_block("latest")["timestamp"]) for c in network.clients.values())
    feed = RestampedFeed(history, as_of=publication_time(day), at=datetime.fromtimestamp(now, timezone.utc),
                         max_age_seconds=lambda code: oracle.limits_for(code).max_age_hours * 3600)  # fmt: skip
    # a heartbeat: the same re-observed fixings go out again even when the ledgers' clock has not moved
    return publisher_for(network).publish_day(feed, day, oracle.pairs, now=now, republish=True)


@dataclass(frozen=True)
class PairDay:
    """What happened to one pair on one ledger on one replayed day."""

    day: date
    ledger: str
    pair: str  # "EUR/CHF"
    status: str  # published | skipped | halted | resumed
    round: int | None = None  # the round stored that day, if any
    detail: str | None = None  # why skipped; the breaker's jump; …
    last_fixing: date | None = None  # the date of the fixing the pair was offered that day
    halted_since: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "ledger": self.ledger, "pair": self.pair, "status": self.status,
                "round": self.round, "detail": self.detail,
                "last_fixing": self.last_fixing.isoformat() if self.last_fixing else None,
                "halted_since": self.halted_since.isoformat() if self.halted_since else None}  # fmt: skip


@dataclass
class ReplayDay:
    """One replayed fixing day: the rounds sent, the pairs left out, and every pair's outcome."""

    day: date
    publication: Publication
    pairs: list[PairDay] = field(default_factory=list)

    @property
    def rounds(self) -> list[PublishedRound]:
        return self.publication.rounds

    @property
    def skipped(self) -> list[SkippedPair]:
        return self.publication.skipped

    def outcome(self, pair: str, ledger: str | None = None) -> PairDay:
        """The outcome of ``pair`` (``EUR/CHF``, ``EURCHF`` or ``CHF``) on ``ledger`` (default: the first)."""
        wanted = pair.replace("/", "").upper()
        for outcome in self.pairs:
            name = outcome.pair.replace("/", "")
            if (name == wanted or name[3:] == wanted) and (ledger is None or outcome.ledger == ledger):
                return outcome
        raise KeyError(f"no outcome for {pair} on {self.day}")


def replay(
    network: Network,
    start: date,
    end: date,
    *,
    feed: EcbHistoryFeed | None = None,
    speed: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    resume: Mapping[date, Sequence[str]] | None = None,
) -> Iterator[ReplayDay]:
    """Publishes each ECB fixing day in [start, end]; ``speed`` = replayed days per real day
    (None: as fast as possible); ``resume``: pairs the regulator resumes on a day, before that day's
    round. Yields each day with what it did."""
    feed = feed or EcbHistoryFeed()
    publisher = publisher_for(network)
    mark_holidays(network, start, end)
    settings = network.settings.oracle
    halted = _halted_now(network, start)
    for day in feed.fixing_dates(start, end):
        network.set_time(int(publication_time(day).timestamp()))
        for pair in (resume or {}).get(day, ()):
            resume_pair(network, pair)
        publication = publisher.publish_day(feed, day, settings.pairs)
        yield ReplayDay(day, publication, _outcomes(network, day, publication, halted))
        if speed:
            sleep(86_400 / speed)


def mark_holidays(network: Network, start: date, end: date) -> None:
    """Marks TARGET's closing days on every ledger for the replayed years the deployment did not
    (it marks the years around the ledger's clock)."""
    marked = set(holiday_years(start))
    missing = [year for year in range(start.year, end.year + 1) if year not in marked]
    if not missing:
        return
    for name, client in network.clients.items():
        mark_ledger_holidays(client, network.contract(name, "oracle"), network.keys, unix_days(missing))


def resume_pair(network: Network, pair: str) -> None:
    """The regulator resumes ``pair`` (``EUR/CHF``, ``EURCHF`` or ``CHF``) on every ledger where it is halted."""
    name = pair.replace("/", "").upper()
    pid = (name if len(name) == 6 else network.settings.oracle.base_currency + name).encode()
    regulator = network.keys.account(REGULATOR)
    for ledger, client in network.clients.items():
        oracle = network.contract(ledger, "oracle")
        try:
            client.transact(regulator, oracle.functions.resume(pid))
            logger.info("pair resumed ledger=%s pair=%s/%s", ledger, pid[:3].decode(), pid[3:].decode())
        except ChainRejected as exc:
            logger.info("pair not resumed ledger=%s pair=%s/%s: %s", ledger, pid[:3].decode(), pid[3:].decode(), exc.error)


def _halted_now(network: Network, start: date) -> dict[tuple[str, str], date]:
    """The pairs already halted when a replay starts, and since when (the tripping round's fixing date)."""
    halted: dict[tuple[str, str], date] = {}
    for ledger in network.clients:
        oracle = network.contract(ledger, "oracle")
        for code in network.settings.oracle.pairs:
            pid = network.settings.oracle.pair_id(code)
            if read_pair(oracle, pid.encode()).halted:
                halted[ledger, pid] = halted_since(oracle, pid.encode()) or start
    return halted


def _outcomes(network: Network, day: date, publication: Publication, halted: dict[tuple[str, str], date]) -> list[PairDay]:
    settings = network.settings.oracle
    rounds = {r.ledger: r for r in publication.rounds}
    skipped = {(s.ledger, s.pair): s for s in publication.skipped}
    outcomes = []
    for ledger in network.clients:
        oracle = network.contract(ledger, "oracle")
        published = rounds.get(ledger)
        for code in settings.pairs:
            pid = settings.pair_id(code)
            state = read_pair(oracle, pid.encode())
            if not state.listed:
                continue
            key, label, skip = (ledger, pid), f"{pid[:3]}/{pid[3:]}", skipped.get((ledger, pid))
            round_id = published.round_ids.get(pid) if published else None
            last_fixing = skip.last_fixing if skip else (published.fixed_on.get(pid) if published else None)
            common = {"day": day, "ledger": ledger, "pair": label, "round": round_id, "last_fixing": last_fixing}
            if published and pid in published.breaker_tripped:
                halted[key] = day
                detail = f"breaker tripped: a {published.jump_bps[pid]} bps jump, beyond {state.breaker_bps}"
                outcomes.append(PairDay(status="halted", detail=detail, halted_since=day, **common))
            elif state.halted:
                since = halted.setdefault(key, day)
                detail = f"{skip.reason}: {skip.detail}" if skip else f"round {round_id} stored; reads refused until the regulator resumes it"
                outcomes.append(PairDay(status="halted", detail=detail, halted_since=since, **common))
            elif halted.pop(key, None) is not None:
                outcomes.append(PairDay(status="resumed", detail=f"{skip.reason}: {skip.detail}" if skip else None, **common))
            elif round_id is not None:
                outcomes.append(PairDay(status="published", **common))
            elif skip is not None:
                outcomes.append(PairDay(status="skipped", detail=f"{skip.reason}: {skip.detail}", **common))
    return outcomes

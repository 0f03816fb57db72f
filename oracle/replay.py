"""Publishing real ECB fixings onto the ledgers: one day (``publish``) or a date range (``replay``).

On embedded ledgers the chain clock is moved to each fixing's publication time, so observation
times are the real ones and the oracle judges staleness and breaker jumps as it would have then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone

from corridor.keys import RELAYER
from corridor.network import Network
from oracle.feeds.ecb_history import EcbHistoryFeed, fixing_time
from oracle.publisher import OraclePublisher, OracleTarget, PublishedRound
from oracle.signing import Reporter

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


def replay(
    network: Network,
    start: date,
    end: date,
    *,
    feed: EcbHistoryFeed | None = None,
    speed: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[date, list[PublishedRound]]]:
    """Publishes each ECB fixing day in [start, end]; ``speed`` = replayed days per real day
    (None: as fast as possible). Yields each day with the rounds it produced."""
    feed = feed or EcbHistoryFeed()
    publisher = publisher_for(network)
    currencies = network.settings.oracle.pairs
    for day in feed.fixing_dates(start, end):
        network.set_time(int((fixing_time(day) + PUBLISH_DELAY).timestamp()))
        rounds = publisher.publish(publisher.fixings(feed, day, currencies))
        yield day, rounds
        if speed:
            sleep(86_400 / speed)

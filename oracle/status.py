"""What each ledger's FxOracle holds for each pair, read from the chain and said in words people act
on: the bridge's ``/v1/rates`` refusals, ``/metrics`` and the regulator's overview all use it.

A pair is in one of five states on a ledger (:class:`PairState`):

- ``fresh``       its latest round is usable;
- ``stale``       its last fixing is older than the pair's allowance (``FxStale`` on chain);
- ``halted``      its circuit breaker tripped; reads revert until the regulator resumes it;
- ``no_data``     no round was ever published (``FxNoData``);
- ``not_listed``  the ledger's oracle does not list it (``FxPairNotListed``).

Pairs are always named as people read them (``EUR/CHF``), never as the contracts' hex ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

from web3.contract import Contract
from web3.exceptions import ContractCustomError

from corridor.abi import AbiFunction
from corridor.chain import LedgerClient
from corridor.errors import ChainRejected
from oracle.history import rounds_from_events
from oracle.rates import from_fixed, pair_id

logger = logging.getLogger(__name__)

SOURCE = "ECB"  # whose fixings the oracle carries (the feeds are the ECB's reference rates)
UNAVAILABLE_ERRORS = frozenset({"FxStale", "FxNoData", "FxPairHalted", "FxPairNotListed"})


class PairState(StrEnum):
    FRESH = "fresh"
    STALE = "stale"
    HALTED = "halted"
    NO_DATA = "no_data"
    NOT_LISTED = "not_listed"


_STATE_OF_ERROR = {"FxStale": PairState.STALE, "FxNoData": PairState.NO_DATA, "FxPairHalted": PairState.HALTED,
                   "FxPairNotListed": PairState.NOT_LISTED}  # fmt: skip


@dataclass(frozen=True)
class OnChainPair:
    """``FxOracle.pair(pairId)``: one pair's configuration and state (the one place that knows the
    struct's field order)."""

    max_age: int
    max_dispersion_bps: int
    breaker_bps: int
    listed: bool
    halted: bool
    latest_round: int
    last_sequence: int
    last_mid: int

    @classmethod
    def decode(cls, raw: Any) -> OnChainPair:
        return cls(int(raw[0]), int(raw[1]), int(raw[2]), bool(raw[3]), bool(raw[4]), int(raw[5]), int(raw[6]), int(raw[7]))


def read_pair(oracle: Contract, pair: bytes) -> OnChainPair:
    return OnChainPair.decode(oracle.functions.pair(pair).call())


def day_of(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, timezone.utc).date()


def describe(state: PairState, pair: str, *, ledger: str | None = None, observed_at: int | None = None,
             open_age: int | None = None, max_age: int | None = None, halted_since: date | None = None,
             source: str = SOURCE) -> str:  # fmt: skip
    """Why ``pair`` (``EUR/THB``) has no usable rate, in one sentence naming the currency and the date."""
    quote = pair.split("/")[-1]
    where = f" on ledger {ledger}" if ledger else ""
    if state is PairState.STALE and observed_at:
        ages = f" ({open_age // 3600} open-market hours old; {pair} allows {max_age // 3600})" if open_age is not None and max_age and open_age < 2**64 else ""
        return f"no {source} fixing for {quote} since {day_of(observed_at).isoformat()}{ages}"
    if state is PairState.STALE:
        return f"no {source} fixing for {quote} within {pair}'s allowance"
    if state is PairState.NO_DATA:
        return f"no {source} fixing for {quote} has been published{where} ({pair} has no round yet)"
    if state is PairState.HALTED:
        since = f" since {halted_since.isoformat()}" if halted_since else ""
        return f"{pair} halted by its circuit breaker{since}; reads are refused until the regulator resumes it"
    if state is PairState.NOT_LISTED:
        return f"{pair} is not an oracle pair{where}"
    return f"{pair} has a usable rate"


def describe_rejection(exc: ChainRejected, *, ledger: str | None = None, source: str = SOURCE) -> tuple[PairState, str, str] | None:
    """(state, pair, sentence) for an oracle refusal that means "no usable rate", else None.
    ``pair`` is the pair at fault (for a cross rate, the leg that failed)."""
    state = _STATE_OF_ERROR.get(exc.error)
    pair = exc.args_by_name.get("pair")
    if state is None or not isinstance(pair, str) or "/" not in pair:
        return None
    args = exc.args_by_name
    sentence = describe(state, pair, ledger=ledger, observed_at=args.get("observedAt"), open_age=args.get("openAge"),
                        max_age=args.get("maxAge"), source=source)  # fmt: skip
    return state, pair, sentence


@dataclass(frozen=True)
class PairStatus:
    """One pair on one ledger, as the oracle would answer a read of it now."""

    ledger: str
    base: str
    quote: str
    state: PairState
    round: int
    max_age_seconds: int
    observed_at: int | None = None  # the latest round's observation (its fixing time)
    age_seconds: int | None = None  # wall-clock seconds since then, at the ledger's time
    open_age_seconds: int | None = None  # open-market seconds since then (stale pairs)
    mid: Decimal | None = None
    halted_since: date | None = None
    source: str = SOURCE
    dispersion_bps: int | None = None  # the spread of the reporters' mids in the latest round (a usable one)

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"

    @property
    def available(self) -> bool:
        return self.state is PairState.FRESH

    @property
    def last_fixing(self) -> date | None:
        return day_of(self.observed_at) if self.observed_at else None

    @property
    def detail(self) -> str:
        return describe(self.state, self.pair, ledger=self.ledger, observed_at=self.observed_at,
                        open_age=self.open_age_seconds, max_age=self.max_age_seconds, halted_since=self.halted_since,
                        source=self.source)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"ledger": self.ledger, "pair": self.pair, "state": self.state.value, "round": self.round,
                "last_fixing": self.last_fixing.isoformat() if self.last_fixing else None,
                "age_seconds": self.age_seconds, "max_age_seconds": self.max_age_seconds,
                "mid": str(self.mid) if self.mid is not None else None,
                "halted_since": self.halted_since.isoformat() if self.halted_since else None,
                "dispersion_bps": self.dispersion_bps, "detail": None if self.available else self.detail}  # fmt: skip


def read_statuses(client: LedgerClient, oracle: Contract, base: str, quotes: list[str], *, source: str = SOURCE) -> list[PairStatus]:
    """Every pair ``base/quote`` on ``client``'s ledger: two JSON-RPC batches, plus an event query per
    halted pair (when it was halted)."""
    latest, pair_of, round_data = (AbiFunction.of(oracle.abi, name) for name in ("latest", "pair", "roundData"))
    ids = [pair_id(base, quote) for quote in quotes]
    reads = [(oracle.address, latest, (base.encode(), quote.encode())) for quote in quotes]
    reads += [(oracle.address, pair_of, (pid,)) for pid in ids]
    now, results = client.snapshot(reads)
    answers, pairs = results[: len(quotes)], [OnChainPair.decode(raw) for raw in results[len(quotes):]]
    need_round = [i for i, answer in enumerate(answers) if isinstance(answer, ChainRejected) and pairs[i].latest_round]
    rounds: dict[int, Any] = {}
    if need_round:
        _, found = client.snapshot([(oracle.address, round_data, (ids[i], pairs[i].latest_round)) for i in need_round])
        rounds = dict(zip(need_round, found, strict=True))
    statuses = []
    for i, quote in enumerate(quotes):
        answer, state = answers[i], pairs[i]
        common = {"ledger": client.name, "base": base, "quote": quote, "round": state.latest_round,
                  "max_age_seconds": state.max_age, "source": source}  # fmt: skip
        if not isinstance(answer, ChainRejected):
            observed = int(answer[4])
            statuses.append(PairStatus(state=PairState.FRESH, observed_at=observed, age_seconds=now - observed,
                                       mid=from_fixed(int(answer[0])), dispersion_bps=int(answer[3]), **common))  # fmt: skip
            continue
        kind = _STATE_OF_ERROR.get(answer.error)
        if kind is None:  # any other refusal is not a state of the pair: let the caller see it
            raise answer
        known = i in rounds and not isinstance(rounds[i], ChainRejected)
        observed = int(rounds[i][4]) if known else None
        statuses.append(PairStatus(
            state=kind, observed_at=observed, age_seconds=now - observed if observed else None,
            open_age_seconds=answer.args_by_name.get("openAge") if kind is PairState.STALE else None,
            mid=from_fixed(state.last_mid) if state.last_mid else None,
            halted_since=halted_since(oracle, ids[i]) if kind is PairState.HALTED else None,
            dispersion_bps=int(rounds[i][3]) if known else None, **common))  # fmt: skip
    return statuses


def halted_since(oracle: Contract, pair: bytes) -> date | None:
    """The fixing date of the round whose jump last tripped ``pair``'s breaker."""
    try:
        events = oracle.events.BreakerTripped().get_logs(from_block=0, argument_filters={"pair": pair})
    except Exception as exc:  # a node that limits log queries: the state is still known, only not since when
        logger.warning("breaker events unavailable pair=%s: %s", pair.decode(), exc)
        return None
    if not events:
        return None
    round_id = int(events[-1]["args"]["roundId"])
    try:
        return day_of(int(oracle.functions.roundData(pair, round_id).call()[4]))
    except ContractCustomError:  # older than the oracle's window (FxBeyondWindow): its RoundPublished event has it
        block = int(events[-1]["blockNumber"])
        published = rounds_from_events(oracle, pair, from_block=block, to_block=block)
        if round_id not in published:
            raise
        return day_of(published[round_id].observed_at)

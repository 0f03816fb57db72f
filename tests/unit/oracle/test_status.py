"""Oracle refusals in words: the currency and the date, never hex."""

from __future__ import annotations

from datetime import date, datetime, timezone

from web3.exceptions import ContractCustomError

from corridor.errors import ChainRejected
from oracle.status import PairState, PairStatus, describe, describe_rejection, halted_since

LTL_LAST = int(datetime(2014, 12, 31, 15, tzinfo=timezone.utc).timestamp())


def test_stale_names_the_currency_and_its_last_fixing_date() -> None:
    refusal = ChainRejected(ledger="A", error="FxStale", args={"pair": "EUR/LTL", "observedAt": LTL_LAST,
                                                                "openAge": 264 * 3600, "maxAge": 26 * 3600})  # fmt: skip
    assert describe_rejection(refusal) == (
        PairState.STALE, "EUR/LTL", "no ECB fixing for LTL since 2014-12-31 (264 open-market hours old; EUR/LTL allows 26)")


def test_no_data_halted_and_not_listed() -> None:
    no_data = ChainRejected(ledger="A", error="FxNoData", args={"pair": "EUR/RUB", "roundId": 0})
    assert describe_rejection(no_data, ledger="A") == (
        PairState.NO_DATA, "EUR/RUB", "no ECB fixing for RUB has been published on ledger A (EUR/RUB has no round yet)")
    halted = ChainRejected(ledger="A", error="FxPairHalted", args={"pair": "EUR/CHF"})
    assert describe_rejection(halted)[0] is PairState.HALTED  # type: ignore[index]
    assert describe(PairState.HALTED, "EUR/CHF", halted_since=date(2015, 1, 15)).startswith(
        "EUR/CHF halted by its circuit breaker since 2015-01-15")
    assert describe_rejection(ChainRejected(ledger="A", error="FxPairNotListed", args={"pair": "EUR/GBP"}), ledger="B") == (
        PairState.NOT_LISTED, "EUR/GBP", "EUR/GBP is not an oracle pair on ledger B")


def test_other_refusals_are_not_about_a_missing_rate() -> None:
    assert describe_rejection(ChainRejected(ledger="A", error="FxQuorumNotMet", args={"signatures": 1, "quorum": 3})) is None
    assert describe_rejection(ChainRejected(ledger="A", error="FxStale", args={"pair": "0x455552"})) is None


def test_a_status_row_for_the_supervisor() -> None:
    status = PairStatus(ledger="A", base="EUR", quote="LTL", state=PairState.STALE, round=3, max_age_seconds=26 * 3600,
                        observed_at=LTL_LAST, age_seconds=16 * 86400, open_age_seconds=264 * 3600)  # fmt: skip
    row = status.as_dict()
    assert (row["pair"], row["state"], row["last_fixing"], row["round"]) == ("EUR/LTL", "stale", "2014-12-31", 3)
    assert row["detail"].startswith("no ECB fixing for LTL since 2014-12-31")
    assert not status.available
    fresh = PairStatus(ledger="A", base="EUR", quote="CNY", state=PairState.FRESH, round=9, max_age_seconds=26 * 3600)
    assert fresh.available and fresh.as_dict()["detail"] is None


class _Call:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    def call(self) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def get_logs(self, **_: object) -> object:
        return self.answer


class _WindowedOracle:
    """An oracle whose tripping round (7) has left the on-chain window: roundData refuses it with
    FxBeyondWindow, its RoundPublished event still holds it."""

    def __init__(self, observed_at: int) -> None:
        word = 102_800_000 | observed_at << 160 | (observed_at + 60) << 192
        tripped = [{"args": {"roundId": 7}, "blockNumber": 42}]
        published = [{"args": {"pair": b"EURCHF", "roundId": 7, "round": word}, "blockNumber": 42}]
        beyond = ContractCustomError("0x", data="0x")
        self.functions = type("F", (), {"roundData": staticmethod(lambda pair, rid: _Call(beyond))})()
        self.events = type("E", (), {"BreakerTripped": staticmethod(lambda: _Call(tripped)),
                                     "RoundPublished": staticmethod(lambda: _Call(published))})()  # fmt: skip


def test_halted_since_reads_the_round_from_its_event_beyond_the_window() -> None:
    observed = int(datetime(2015, 1, 15, 15, tzinfo=timezone.utc).timestamp())
    assert halted_since(_WindowedOracle(observed), b"EURCHF") == date(2015, 1, 15)  # type: ignore[arg-type]

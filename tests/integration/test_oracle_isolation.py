"""One currency's trouble never stops the others, on real ledgers with the real ECB history.

The replay runs over New Year 2015 with the default pairs plus the Lithuanian litas, which the ECB
stopped fixing after 31 December 2014 (Lithuania adopted the euro), and carries on to the Swiss
franc shock of 15 January 2015: the litas goes stale while every other pair keeps publishing each
day, and the franc's breaker halts only EUR/CHF. Both read as unavailable, by name, on chain,
through the bridge's API, in ``/metrics`` and in the regulator's overview.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.sdk.client import BridgeClient, BridgeRequestError
from bridge.server import ServerThread
from corridor.config import Settings, load_settings
from corridor.errors import ChainRejected
from corridor.keys import KeyRing
from corridor.ledgers import free_port
from corridor.network import Network, open_network
from corridor.toolchain import REPO_ROOT
from oracle.replay import ReplayDay, replay, start_of

pytestmark = pytest.mark.integration

PAIRS = ["CNY", "HKD", "THB", "CHF", "LTL"]
START, END = date(2014, 12, 29), date(2015, 1, 16)
LTL_LAST = date(2014, 12, 31)
STILL_FIXED = ("EUR/CNY", "EUR/HKD", "EUR/THB")


def _settings(tmp_path: Path, pairs: list[str]) -> Settings:
    text = (REPO_ROOT / "corridor.toml").read_text()
    old = 'pairs = ["CNY", "HKD", "THB", "CHF"]'
    assert old in text
    path = tmp_path / "corridor.toml"
    path.write_text(text.replace(old, f"pairs = {json.dumps(pairs)}"))
    return load_settings(path)


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, dict[date, ReplayDay]]]:
    settings = _settings(tmp_path_factory.mktemp("config"), PAIRS)
    with open_network(settings, genesis_timestamp=start_of(START)) as network:
        network.deploy()
        days = {replayed.day: replayed for replayed in replay(network, START, END)}
        yield network, days


@pytest.fixture(scope="module")
def bridge(stopped: tuple[Network, dict], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from bridge.api.app import create_app

    network, _ = stopped
    app = create_app(network, f"sqlite:///{tmp_path_factory.mktemp('bridge') / 'bridge.db'}", worker_interval=0.05)
    with ServerThread(app) as server:
        clients = {name: BridgeClient(server.url, name, network.keys.account(name)) for name in ("yangtze", "regulator")}
        clients["url"] = server.url  # type: ignore[assignment]
        yield clients
        for name in ("yangtze", "regulator"):
            clients[name].close()


def _status(days: dict[date, ReplayDay], day: date, pair: str, ledger: str) -> tuple[str, str | None]:
    outcome = days[day].outcome(pair, ledger)
    return outcome.status, outcome.detail


def test_every_other_pair_publishes_every_day_after_one_currency_stops(stopped: tuple[Network, dict[date, ReplayDay]]) -> None:
    network, days = stopped
    assert sorted(days) == [date(2014, 12, d) for d in (29, 30, 31)] + [date(2015, 1, d) for d in (2, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16)]
    for day, replayed in days.items():
        for ledger in ("A", "B"):
            for pair in STILL_FIXED:
                assert _status(days, day, pair, ledger) == ("published", None), (day, pair, ledger)
            ltl = replayed.outcome("LTL", ledger)
            if day <= LTL_LAST:
                assert ltl.status == "published"
            else:
                assert ltl.status == "skipped" and ltl.last_fixing == LTL_LAST
                assert f"no new ECB fixing for LTL since {LTL_LAST}" in ltl.detail if day == date(2015, 1, 2) \
                    else f"stale: no ECB fixing for LTL since {LTL_LAST}" in ltl.detail  # fmt: skip
    for ledger in ("A", "B"):
        oracle = network.contract(ledger, "oracle")
        assert oracle.functions.pair(b"EURCNY").call()[5] == len(days)  # a round every fixing day
        assert oracle.functions.pair(b"EURLTL").call()[5] == 3  # 29, 30 and 31 December only


def test_the_stopped_pair_reads_as_unavailable_on_chain_by_name(stopped: tuple[Network, dict]) -> None:
    network, _ = stopped
    client, oracle = network.clients["A"], network.contract("A", "oracle")
    for base, quote in ((b"EUR", b"LTL"), (b"LTL", b"EUR")):  # the pair, and its inverse
        with pytest.raises(ChainRejected) as caught:
            client.call(oracle.functions.latest(base, quote))
        assert caught.value.error == "FxStale"
        assert caught.value.args_by_name["pair"] == "EUR/LTL"
        assert caught.value.args_by_name["observedAt"] == int(datetime(2014, 12, 31, 15, tzinfo=timezone.utc).timestamp())
    for base, quote in ((b"CNY", b"LTL"), (b"LTL", b"THB")):  # LTL settles nothing: no cross with a breaker of its own
        with pytest.raises(ChainRejected) as caught:
            client.call(oracle.functions.latest(base, quote))
        assert caught.value.error == "FxPairNotListed"
    assert client.call(oracle.functions.latest(b"EUR", b"CNY"))[4] == int(datetime(2015, 1, 16, 15, tzinfo=timezone.utc).timestamp())


def test_a_second_currencys_shock_halts_only_that_pair(stopped: tuple[Network, dict[date, ReplayDay]]) -> None:
    network, days = stopped
    shock = date(2015, 1, 15)
    for ledger in ("A", "B"):
        outcome = days[shock].outcome("CHF", ledger)
        assert (outcome.status, outcome.halted_since) == ("halted", shock) and "breaker tripped" in outcome.detail
        after = days[date(2015, 1, 16)].outcome("CHF", ledger)
        assert (after.status, after.halted_since, after.round) == ("halted", shock, 14)  # stored, still unusable
        for day in days:
            if day < shock:
                assert _status(days, day, "EUR/CHF", ledger)[0] == "published"
        oracle = network.contract(ledger, "oracle")
        halted = {code: oracle.functions.pair(f"EUR{code}".encode()).call()[4] for code in PAIRS}
        assert halted == {"CNY": False, "HKD": False, "THB": False, "CHF": True, "LTL": False}
        with pytest.raises(ChainRejected) as caught:
            network.clients[ledger].call(oracle.functions.latest(b"EUR", b"CHF"))
        assert (caught.value.error, caught.value.args_by_name) == ("FxPairHalted", {"pair": "EUR/CHF"})
    assert network.contract("A", "oracle").functions.settlementRate(b"CNY", b"HKD").call()[0] > 0  # settlement goes on


def test_the_bridge_answers_409_rate_unavailable_naming_currency_and_date(bridge: dict[str, Any]) -> None:
    bank = bridge["yangtze"]
    with pytest.raises(BridgeRequestError) as caught:
        bank.rate("EUR", "LTL")
    assert (caught.value.status, caught.value.error, caught.value.field) == (409, "rate_unavailable", "quote")
    assert caught.value.detail.startswith(f"no ECB fixing for LTL since {LTL_LAST}"), caught.value.detail
    for base, quote in (("CNY", "LTL"), ("LTL", "THB")):  # crosses only between settlement currencies have breakers
        with pytest.raises(BridgeRequestError) as caught:
            bank.rate(base, quote)
        assert (caught.value.status, caught.value.error) == (409, "rate_unavailable")
        assert caught.value.detail.startswith(f"{base}/{quote} is not an oracle pair"), caught.value.detail
        assert "0x" not in caught.value.detail
    with pytest.raises(BridgeRequestError) as caught:
        bank.rate("EUR", "CHF")  # an oracle pair, not a settlement currency: readable, and halted
    assert (caught.value.status, caught.value.error) == (409, "rate_unavailable")
    assert caught.value.detail.startswith("EUR/CHF halted by its circuit breaker since 2015-01-15")
    assert bank.rate("EUR", "CNY")["observed_at"] == int(datetime(2015, 1, 16, 15, tzinfo=timezone.utc).timestamp())
    assert bank.rate("CNY", "THB")["derived"] is True
    with pytest.raises(BridgeRequestError) as caught:
        bank.rate("EUR", "GBP")  # neither a settlement currency nor an oracle pair
    assert (caught.value.status, caught.value.field) == (422, "quote")


def test_metrics_show_each_pairs_state_and_age(bridge: dict[str, Any]) -> None:
    text = httpx.get(f"{bridge['url']}/metrics").text

    def sample(name: str, **labels: str) -> float:
        rendered = ",".join(f'{key}="{value}"' for key, value in labels.items())
        match = re.search(rf"^{name}\{{{re.escape(rendered)}\}} (\S+)$", text, re.MULTILINE)
        assert match, f"{name}{{{rendered}}} missing"
        return float(match.group(1))

    for ledger in ("A", "B"):
        assert sample("corridor_oracle_pair_state", ledger=ledger, pair="EUR/LTL", state="stale") == 1
        assert sample("corridor_oracle_pair_state", ledger=ledger, pair="EUR/LTL", state="fresh") == 0
        assert sample("corridor_oracle_pair_state", ledger=ledger, pair="EUR/CHF", state="halted") == 1
        assert sample("corridor_oracle_pair_state", ledger=ledger, pair="EUR/CNY", state="fresh") == 1
        assert sample("corridor_oracle_pair_available", ledger=ledger, pair="EUR/LTL") == 0
        assert sample("corridor_oracle_pair_available", ledger=ledger, pair="EUR/THB") == 1
        # the litas's last fixing, 31 Dec 15:00 UTC, seen at 16 Jan 15:05 UTC (or a little later)
        assert 16 * 86400 <= sample("corridor_oracle_pair_age_seconds", ledger=ledger, pair="EUR/LTL") < 16 * 86400 + 3600
        assert sample("corridor_oracle_pair_age_seconds", ledger=ledger, pair="EUR/CNY") < 3600
        assert sample("corridor_oracle_pair_round", ledger=ledger, pair="EUR/LTL") == 3


def test_the_regulator_overview_lists_the_pairs_without_data(bridge: dict[str, Any]) -> None:
    overview = bridge["regulator"].request("GET", "/v1/regulator/overview")
    unavailable = {(row["ledger"], row["pair"]): row for row in overview["oracle_unavailable"]}
    assert set(unavailable) == {(ledger, pair) for ledger in ("A", "B") for pair in ("EUR/LTL", "EUR/CHF")}
    ltl, chf = unavailable["A", "EUR/LTL"], unavailable["A", "EUR/CHF"]
    assert (ltl["state"], ltl["fixing_date"], ltl["round"]) == ("stale", "2014-12-31", "#3")
    assert ltl["detail"].startswith("no ECB fixing for LTL since 2014-12-31")
    assert (chf["state"], chf["halted_since"]) == ("halted", "2015-01-15")
    assert len(overview["oracle"]) == 2 * len(PAIRS)
    assert all(row["state"] == "fresh" and row["detail"] is None for row in overview["oracle"] if row["pair"] in STILL_FIXED)
    assert "0x" not in json.dumps(overview["oracle"])


def test_the_regulator_resumes_the_halted_pair_and_the_replay_says_so(stopped: tuple[Network, dict], bridge: dict[str, Any]) -> None:
    network, _ = stopped
    later = {d.day: d for d in replay(network, date(2015, 1, 19), date(2015, 1, 20), resume={date(2015, 1, 19): ["EUR/CHF"]})}
    for ledger in ("A", "B"):
        assert later[date(2015, 1, 19)].outcome("CHF", ledger).status == "resumed"
        assert later[date(2015, 1, 20)].outcome("CHF", ledger).status == "published"
        assert later[date(2015, 1, 20)].outcome("LTL", ledger).status == "skipped"
    assert bridge["yangtze"].rate("EUR", "CHF")["mid"].startswith("1.0")  # readable again, at the post-shock level


def test_bridge_serve_starts_and_serves_with_a_pair_that_has_no_data(tmp_path: Path) -> None:
    """The rouble (no ECB fixing since 1 March 2022) configured as an oracle pair: `corridor bridge
    serve` starts, publishes every other pair, logs the rouble by name with its last fixing date, and
    answers for it with 409 rate_unavailable."""
    port = free_port()
    env = {**os.environ, "CORRIDOR_STATE_DIR": str(tmp_path), "CORRIDOR_ORACLE__PAIRS": "CNY,HKD,THB,CHF,RUB"}
    log = (tmp_path / "bridge.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "apps.cli", "bridge", "serve", "--port", str(port),
                                "--database", f"sqlite:///{tmp_path / 'bridge.db'}"],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "bridge.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the bridge did not start"
            try:
                if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        bank = BridgeClient(url, "yangtze", KeyRing(load_settings()).account("yangtze"))
        with pytest.raises(BridgeRequestError) as caught:
            bank.rate("EUR", "RUB")
        assert (caught.value.status, caught.value.error, caught.value.field) == (409, "rate_unavailable", "quote")
        assert "no ECB fixing for RUB" in caught.value.detail
        assert float(bank.rate("EUR", "CNY")["mid"]) > 0
        metrics = httpx.get(url + "/metrics").text
        assert 'corridor_oracle_pair_state{ledger="A",pair="EUR/RUB",state="no_data"} 1.0' in metrics
        bank.close()
        logged = (tmp_path / "bridge.log").read_text()
        assert "pair skipped ledger=A pair=EUR/RUB reason=stale last_fixing=2022-03-01" in logged
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_a_pair_the_oracle_refuses_or_the_feed_lacks_is_dropped_and_the_round_goes_on(chain: Network) -> None:
    """A refusal that names one pair (here an observation from the future, which the publisher's own
    checks let through) drops that pair and the round is sent again without it; a currency the feed
    has no fixing for at all is reported, and neither stops the other pairs."""
    from dataclasses import replace
    from datetime import timedelta

    from oracle.feeds import StaticFeed
    from oracle.replay import publisher_for

    now = int(chain.clients["A"].w3.eth.get_block("latest")["timestamp"])
    chain.set_time(now + 1)
    feed = StaticFeed({"CNY": "7.80", "HKD": "8.46", "CHF": "0.94"}, observed_at=datetime.fromtimestamp(now + 1, timezone.utc))
    publisher = publisher_for(chain)
    fixings, missing = publisher.gather(feed, date.today(), ["CNY", "HKD", "THB", "CHF"])
    assert missing.keys() == {"THB"}
    ahead = [replace(f, observed_at=f.observed_at + timedelta(hours=1)) if f.currency == "HKD" else f for f in fixings]
    publication = publisher.publish(ahead, now=now + 1)
    assert {r.ledger: sorted(r.round_ids) for r in publication.rounds} == {"A": ["EURCHF", "EURCNY"], "B": ["EURCHF", "EURCNY"]}
    refused = {(s.ledger, s.pair): s for s in publication.skipped}
    assert refused.keys() == {("A", "EURHKD"), ("B", "EURHKD")}
    assert refused["A", "EURHKD"].reason == "refused"
    assert "FxObservationFromFuture(pair=EUR/HKD" in refused["A", "EURHKD"].detail
    day = publisher.publish_day(feed, date.today(), ["CNY", "HKD", "THB", "CHF"], now=now + 1)
    assert {(s.ledger, s.pair, s.reason) for s in day.skipped} >= {("A", "EURTHB", "no_fixing"), ("B", "EURTHB", "no_fixing")}

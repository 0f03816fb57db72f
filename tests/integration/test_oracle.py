"""The FX oracle on real anvil ledgers, fed with the real ECB history."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest

from eth_account import Account

from corridor.config import Settings, load_settings
from corridor.errors import ChainRejected
from corridor.keys import OPERATOR, REGULATOR, RELAYER
from corridor.network import Network, open_network
from corridor.toolchain import REPO_ROOT
from corridor.typed_data import Swap, compact_signature, sign, swap_message
from oracle.feeds import EcbHistoryFeed
from oracle.history import ROUND_WINDOW, OracleRound, rounds_from_events
from oracle.publisher import Publication
from oracle.replay import publisher_for, replay, start_of

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chf_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The default network plus EUR and CHF settlement tokens on ledger A."""
    text = (REPO_ROOT / "corridor.toml").read_text()
    text = text.replace("[participants.pboc]", '''[currencies.EUR]
name = "Corridor Digital EUR"
decimals = 2
ledger = "A"
issuer = "pboc"

[currencies.CHF]
name = "Corridor Digital CHF"
decimals = 2
ledger = "A"
issuer = "hkma"

[participants.pboc]''')
    text = text.replace("CNY = 50_000_000_00, HKD = 10_000_000_00, THB = 10_000_000_00 }\n\n[participants.harbour]",
                        "CNY = 50_000_000_00, HKD = 10_000_000_00, THB = 10_000_000_00, EUR = 1_000_000_00 }\n\n[participants.harbour]", 1)
    text = text.replace("CNY = 10_000_000_00, HKD = 50_000_000_00, THB = 10_000_000_00 }",
                        "CNY = 10_000_000_00, HKD = 50_000_000_00, THB = 10_000_000_00, CHF = 1_000_000_00 }", 1)
    path = tmp_path_factory.mktemp("config") / "corridor.toml"
    path.write_text(text)
    return load_settings(path)


@pytest.fixture(scope="module")
def shock(chf_settings: Settings) -> Iterator[tuple[Network, dict[date, list]]]:
    with open_network(chf_settings, genesis_timestamp=start_of(date(2015, 1, 12))) as network:
        network.deploy()
        days = {replayed.day: replayed for replayed in replay(network, date(2015, 1, 12), date(2015, 1, 20))}
        yield network, days


def test_replay_trips_the_chf_breaker_on_2015_01_15(shock: tuple[Network, dict]) -> None:
    network, days = shock
    tripped = {day: {p for r in replayed.rounds for p in r.breaker_tripped} for day, replayed in days.items()}
    # EUR/CHF, and each configured cross with CHF, judged on its own move (CNY, HKD and THB did not jump)
    assert tripped[date(2015, 1, 15)] == {"EURCHF", "CNYCHF", "HKDCHF", "THBCHF"}
    assert all(not pairs for day, pairs in tripped.items() if day != date(2015, 1, 15))
    assert sorted(days) == [date(2015, 1, d) for d in (12, 13, 14, 15, 16, 19, 20)]  # no weekend rounds
    oracle = network.contract("A", "oracle")
    pair = oracle.functions.pair(b"EURCHF").call()
    assert pair[4] is True  # halted
    assert pair[5] == 7  # the rounds after the shock are kept (no clamping), the pair stays halted
    round4 = oracle.functions.roundData(b"EURCHF", 4).call()
    assert round4[0] == 102_800_000  # the real 1.0280 fixing
    assert round4[4] == int(datetime(2015, 1, 15, 15, tzinfo=timezone.utc).timestamp())


def test_history_rebuilt_from_events_matches_the_chain(shock: tuple[Network, dict]) -> None:
    """Every round of the replay, rebuilt from RoundPublished events alone, equals roundData bit for bit
    (the events carry the packed round, so rounds older than the on-chain window stay readable)."""
    network, _ = shock
    oracle = network.contract("A", "oracle")
    for pair in (b"EURCHF", b"EURCNY"):
        latest = int(oracle.functions.pair(pair).call()[5])
        rebuilt = rounds_from_events(oracle, pair)
        assert sorted(rebuilt) == list(range(1, latest + 1))  # gapless, every round once
        assert latest <= int(oracle.functions.ROUND_WINDOW().call()) == ROUND_WINDOW
        for round_id, round_ in rebuilt.items():
            assert round_ == OracleRound.from_call(oracle.functions.roundData(pair, round_id).call())


def test_settlement_against_halted_pair_fails_with_halted_error(shock: tuple[Network, dict]) -> None:
    network, _ = shock
    keys, client = network.keys, network.clients["A"]
    pvp = network.contract("A", "pvp")
    eur, chf = network.token("EUR"), network.token("CHF")
    alice, bob = keys.account("yangtze"), keys.account("harbour")
    client.transact(alice, eur.functions.approve(pvp.address, 2**256 - 1))
    client.transact(bob, chf.functions.approve(pvp.address, 2**256 - 1))
    now = client.w3.eth.get_block("latest")["timestamp"]
    rate = 1_028 * 10**15  # 1.028 CHF per EUR, the post-shock market
    swap = Swap(alice.address, eur.address, 100_00, bob.address, chf.address, 102_80, rate, 100, now + 3600, 1)
    message = swap_message(client.chain_id, pvp.address, swap)
    with pytest.raises(ChainRejected) as caught:
        client.transact(keys.account(RELAYER), pvp.functions.settle(swap.as_tuple(), compact_signature(sign(alice, message)), compact_signature(sign(bob, message))))
    assert caught.value.error == "FxPairHalted"
    assert caught.value.args_by_name["pair"] == "EUR/CHF"  # named, never hex
    # the regulator resumes the pair; a swap at the current oracle level then settles
    oracle = network.contract("A", "oracle")
    # the operator cannot lift the halt: resuming is the regulator's alone
    with pytest.raises(ChainRejected) as refused:
        client.transact(keys.account(OPERATOR), oracle.functions.resume(b"EURCHF"))
    assert refused.value.error == "FxUnauthorized"
    # the regulator resumes the pair; a swap at the current oracle level then settles
    client.transact(keys.account("regulator"), oracle.functions.resume(b"EURCHF"))
    mid, _ = oracle.functions.settlementRate(b"EUR", b"CHF").call()
    swap = Swap(alice.address, eur.address, 100_00, bob.address, chf.address, 100_00 * mid // 10**18, mid, 100, now + 3600, 2)
    message = swap_message(client.chain_id, pvp.address, swap)
    client.transact(keys.account(RELAYER), pvp.functions.settle(swap.as_tuple(), compact_signature(sign(alice, message)), compact_signature(sign(bob, message))))
    assert chf.functions.balanceOf(alice.address).call() == swap.amountB


def test_easter_2025_raises_no_staleness_alarm(settings: Settings) -> None:
    with open_network(settings, genesis_timestamp=start_of(date(2025, 4, 16))) as network:
        network.deploy()
        oracle = network.contract("A", "oracle")
        list(replay(network, date(2025, 4, 16), date(2025, 4, 17)))
        checkpoints = [datetime(2025, 4, d, h, tzinfo=timezone.utc) for d in (18, 19, 20, 21, 22) for h in (9, 13)]
        for moment in checkpoints:
            network.set_time(int(moment.timestamp()))
            for quote in (b"CNY", b"HKD", b"THB"):
                rate = oracle.functions.latest(b"EUR", quote).call()  # reverts with FxStale if stale
                assert rate[4] == int(datetime(2025, 4, 17, 14, tzinfo=timezone.utc).timestamp())
            cross = oracle.functions.latest(b"CNY", b"HKD").call()
            assert cross[8] is True  # derived through EUR
        # without a new fixing, Wednesday afternoon is stale: the calendar is not a blanket pass
        network.set_time(int(datetime(2025, 4, 23, 17, tzinfo=timezone.utc).timestamp()))
        with pytest.raises(ChainRejected) as caught:
            network.clients["A"].call(oracle.functions.latest(b"EUR", b"CNY"))
        assert (caught.value.error, caught.value.args_by_name["pair"]) == ("FxStale", "EUR/CNY")


def test_publisher_never_reuses_a_sequence(settings: Settings) -> None:
    with open_network(settings, genesis_timestamp=start_of(date(2025, 4, 16))) as network:
        network.deploy()
        network.set_time(int(datetime(2025, 4, 16, 14, 10, tzinfo=timezone.utc).timestamp()))
        publisher = publisher_for(network)
        fixings = publisher.fixings(EcbHistoryFeed(), date(2025, 4, 16), ["CNY", "HKD"])
        first = publisher.publish(fixings)
        again = publisher.publish(fixings)  # the same fixings are not published again as if new…
        assert again.rounds == [] and {s.reason for s in again.skipped} == {"unchanged"}
        second = publisher.publish(fixings, republish=True)  # …unless asked to (a heartbeat)
        assert [r.sequence for r in first.rounds] == [1, 1]
        assert [r.sequence for r in second.rounds] == [2, 2]
        target = publisher.targets[0]
        observations, signatures = publisher._collect(target, fixings, 2)  # replaying sequence 2
        with pytest.raises(ChainRejected) as caught:
            target.client.transact(target.submitter, target.oracle.functions.publish(observations, signatures))
        assert caught.value.error == "FxSequenceNotIncreasing"


def test_cli_replay_shows_the_halt_per_day_and_pair_and_exits_0() -> None:
    result = subprocess.run([sys.executable, "-m", "apps.cli", "oracle", "replay", "--from", "2015-01-14",
                             "--to", "2015-01-19", "--json"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    chf = {(p["day"], p["ledger"]): p for d in report["days"] for p in d["pairs"] if p["pair"] == "EUR/CHF"}
    assert chf["2015-01-14", "A"]["status"] == "published"
    assert chf["2015-01-15", "A"]["status"] == "halted" and "breaker tripped" in chf["2015-01-15", "A"]["detail"]
    # the days after: still halted, and since when (the round is stored, reads are refused)
    for day in ("2015-01-16", "2015-01-19"):
        assert (chf[day, "A"]["status"], chf[day, "A"]["halted_since"]) == ("halted", "2015-01-15")
        assert chf[day, "B"]["status"] == "halted"
    others = [p for d in report["days"] for p in d["pairs"] if p["pair"] != "EUR/CHF"]
    assert others and all(p["status"] == "published" for p in others)  # the CHF halt stops no other pair


def test_cli_replay_table_shows_halted_since_and_resumed() -> None:
    result = subprocess.run([sys.executable, "-m", "apps.cli", "oracle", "replay", "--from", "2015-01-14",
                             "--to", "2015-01-19", "--resume", "EURCHF@2015-01-19"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if "EUR/CHF" in line][1:]  # from 15 January
    assert "HALTED since 2015-01-15" in rows[0] and "breaker tripped" in rows[0]
    assert "HALTED since 2015-01-15" in rows[1]  # 16 January: still halted
    assert "resumed" in rows[2] and "2015-01-19" in rows[2]


def test_cli_replay_refuses_reversed_dates() -> None:
    result = subprocess.run([sys.executable, "-m", "apps.cli", "oracle", "replay", "--from", "2015-01-20",
                             "--to", "2015-01-12"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "--to" in result.stderr and "Traceback" not in result.stderr


def test_publisher_publishes_on_heartbeat_and_on_deviation(settings: Settings) -> None:
    from dataclasses import replace
    from decimal import Decimal

    moment = datetime(2025, 4, 16, 14, 10, tzinfo=timezone.utc)
    with open_network(settings, genesis_timestamp=start_of(date(2025, 4, 16))) as network:
        network.deploy()
        network.set_time(int(moment.timestamp()))
        publisher = publisher_for(network)
        fixings = publisher.fixings(EcbHistoryFeed(), date(2025, 4, 16), ["CNY", "HKD"])
        due = {"heartbeat_seconds": 3600, "deviation_bps": 50}

        def pairs(publication: Publication) -> set[str]:
            return {pair for published in publication.rounds for pair in published.pairs}

        assert pairs(publisher.publish_if_due(fixings, now=moment, **due)) == {"EURCNY", "EURHKD"}  # nothing on chain yet
        assert publisher.publish_if_due(fixings, now=moment, **due).rounds == []  # fresh and unchanged: not due
        cny, hkd = fixings
        still = replace(cny, rate=cny.rate * Decimal("1.004"))  # 40 bps: below the deviation threshold
        assert publisher.publish_if_due([still, hkd], now=moment, **due).rounds == []
        moved = replace(cny, rate=cny.rate * Decimal("1.006"))  # 60 bps: due on deviation alone
        assert pairs(publisher.publish_if_due([moved, hkd], now=moment, **due)) == {"EURCNY"}
        later = datetime.fromtimestamp(moment.timestamp() + 3601, tz=timezone.utc)
        network.set_time(int(later.timestamp()))
        assert pairs(publisher.publish_if_due([moved, hkd], now=later, **due)) == {"EURCNY", "EURHKD"}  # heartbeat


def test_christmas_2008_raises_no_staleness_alarm_and_a_long_replay_marks_its_years(settings: Settings) -> None:
    """24 December 2008's fixing still serves on the morning of Monday 29 December (the 25th and 26th
    were TARGET closing days), and a replay longer than the deployment's window marks its own years."""
    with open_network(settings, genesis_timestamp=start_of(date(2008, 12, 22))) as network:
        network.deploy()
        oracle, client = network.contract("A", "oracle"), network.clients["A"]
        days = list(replay(network, date(2008, 12, 22), date(2008, 12, 24)))
        assert all(p.status == "published" for d in days for p in d.pairs)
        network.set_time(int(datetime(2008, 12, 29, 12, tzinfo=timezone.utc).timestamp()))
        rate = client.call(oracle.functions.latest(b"EUR", b"CNY"))
        assert rate[4] == int(datetime(2008, 12, 24, 15, tzinfo=timezone.utc).timestamp())
        good_friday_2025 = int(datetime(2025, 4, 18, 12, tzinfo=timezone.utc).timestamp())
        assert oracle.functions.marketState(good_friday_2025).call() == 0  # beyond the deployment's window: open
        from oracle.replay import mark_holidays

        mark_holidays(network, date(2008, 12, 22), date(2025, 12, 31))
        assert oracle.functions.marketState(good_friday_2025).call() == 2  # holiday


def test_deploy_configures_a_cross_for_every_pair_of_settlement_currencies(chain: Network) -> None:
    for ledger in chain.settings.ledgers:
        oracle = chain.contract(ledger, "oracle")
        assert [bytes(c) for c in oracle.functions.crosses().call()] == [b"CNYHKD", b"CNYTHB", b"HKDTHB"]
        assert list(oracle.functions.quorum().call()) == [3, 3, 4]  # in force, configured, reporters
    # CHF is published but settles nothing here: CNY/CHF has no breaker of its own, so it is no settlement rate
    with pytest.raises(ChainRejected) as caught:
        chain.clients["A"].call(chain.contract("A", "oracle").functions.settlementRate(b"CNY", b"CHF"))
    assert caught.value.error == "FxPairNotListed"


def test_reporter_changes_wait_for_the_delay_and_the_regulators_veto(settings: Settings) -> None:
    with open_network(settings, genesis_timestamp=start_of(date(2025, 4, 14))) as network:
        network.deploy()
        network.set_time(int(datetime(2025, 4, 14, 14, tzinfo=timezone.utc).timestamp()))
        client, keys = network.clients["A"], network.keys
        registry, oracle = network.contract("A", "registry"), network.contract("A", "oracle")
        operator, regulator, anyone = keys.account(OPERATOR), keys.account(REGULATOR), keys.account(RELAYER)
        newcomers = [Account.create().address for _ in range(2)]
        # the operator can grant a reporter neither directly nor by making itself regulator
        reporter_role, regulator_role = registry.functions.REPORTER_ROLE().call(), registry.functions.REGULATOR_ROLE().call()
        for call in (registry.functions.grantRole(reporter_role, newcomers[0]), registry.functions.grantRole(regulator_role, operator.address)):
            with pytest.raises(ChainRejected) as caught:
                client.transact(operator, call)
            assert caught.value.error == "AccessControlUnauthorizedAccount"

        def proposed(receipt: dict) -> int:
            return int(registry.events.ProposalCreated().process_receipt(receipt)[0]["args"]["id"])

        added = [proposed(client.transact(operator, registry.functions.proposeReporterChange(a, True))) for a in newcomers]
        removal = proposed(client.transact(operator, registry.functions.proposeReporterChange(keys.reporters()[0].address, False)))
        client.transact(regulator, registry.functions.veto(removal))
        with pytest.raises(ChainRejected) as caught:
            client.transact(anyone, registry.functions.execute(added[0]))
        assert caught.value.error == "GovernanceTooEarly"

        moment = datetime(2025, 4, 16, 14, 10, tzinfo=timezone.utc)  # past the two-day delay
        network.set_time(int(moment.timestamp()))
        for proposal in added:
            client.transact(anyone, registry.functions.execute(proposal))  # anyone executes
        with pytest.raises(ChainRejected) as caught:
            client.transact(anyone, registry.functions.execute(removal))
        assert caught.value.error == "GovernanceProposalNotPending"
        assert all(registry.functions.hasRole(reporter_role, a).call() for a in newcomers)
        assert registry.functions.hasRole(reporter_role, keys.reporters()[0].address).call()  # the veto held
        # six reporters: the quorum in force rises to a majority (4) above the configured 3
        assert list(oracle.functions.quorum().call()) == [4, 3, settings.oracle.reporters + 2]
        # the publisher follows the chain: it signs with 4 of its keys, and the round is accepted
        publisher = publisher_for(network)
        rounds = publisher.publish(publisher.fixings(EcbHistoryFeed(), moment.date(), ["CNY"])).rounds
        assert {r.ledger for r in rounds} == {"A", "B"} and all(r.round_ids == {"EURCNY": 1} for r in rounds)

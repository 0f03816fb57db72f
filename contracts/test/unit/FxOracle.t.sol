// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IDelayedGovernance} from "../../src/interfaces/IDelayedGovernance.sol";
import {IFxAggregatorV3Adapter} from "../../src/interfaces/IFxAggregatorV3Adapter.sol";
import {IFxOracle} from "../../src/interfaces/IFxOracle.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {FxAggregatorV3Adapter} from "../../src/oracle/FxAggregatorV3Adapter.sol";
import {FxOracle} from "../../src/oracle/FxOracle.sol";
import {OracleBase} from "../utils/OracleBase.sol";

contract FxOracleTest is OracleBase {
    uint256 internal constant EUR_CNY = 7_8000_0000; // 7.8 in 8 decimals
    uint256 internal constant EUR_THB = 37_5000_0000;
    uint256 internal constant EUR_CHF = 1_2010_0000;
    uint256 internal constant MAX_SEQUENCE = 2 ** 24 - 1;

    // ─── publish ─────────────────────────────────────────────────────────────────────────

    function test_publish_AcceptsQuorumAndStoresRound() external {
        uint256 t = vm.getBlockTimestamp();
        // The stored round, packed low to high: mid | bid | ask | dispersionBps | observedAt | publishedAt.
        uint256 packed = EUR_CNY | (EUR_CNY - EUR_CNY / 10_000) << 48 | (EUR_CNY + EUR_CNY / 10_000) << 96 | t << 160
            | t << 192;
        vm.expectEmit(address(fx));
        emit IFxOracle.RoundPublished("EURCNY", 1, packed);
        _publish("EURCNY", EUR_CNY);
        IFxOracle.Round memory round = fx.roundData("EURCNY", 1);
        assertEq(round.mid, EUR_CNY);
        assertEq(round.bid, EUR_CNY - EUR_CNY / 10_000);
        assertEq(round.ask, EUR_CNY + EUR_CNY / 10_000);
        assertEq(round.observedAt, vm.getBlockTimestamp());
        assertEq(round.publishedAt, vm.getBlockTimestamp());
        assertEq(fx.pair("EURCNY").latestRound, 1);
    }

    function test_publish_RoundIdsIncreaseWithoutGaps() external {
        for (uint256 i; i < 3; ++i) {
            vm.warp(vm.getBlockTimestamp() + 1 hours);
            _publish("EURCNY", EUR_CNY + i);
        }
        assertEq(fx.pair("EURCNY").latestRound, 3);
        assertEq(fx.roundData("EURCNY", 2).mid, EUR_CNY + 1);
    }

    function test_publish_SeveralPairsInOneRound() external {
        bytes6[] memory pairs = new bytes6[](2);
        (pairs[0], pairs[1]) = (bytes6("EURCNY"), bytes6("EURTHB"));
        uint256[] memory mids = new uint256[](2);
        (mids[0], mids[1]) = (EUR_CNY, EUR_THB);
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
        fx.publish(o, s);
        assertEq(fx.roundData("EURCNY", 1).mid, EUR_CNY);
        assertEq(fx.roundData("EURTHB", 1).mid, EUR_THB);
    }

    function test_publish_MedianOfThree() external {
        uint256[] memory mids = new uint256[](3);
        (mids[0], mids[1], mids[2]) = (EUR_CNY + 2000, EUR_CNY - 1000, EUR_CNY);
        _publishSpread("EURCNY", mids, _who(3));
        IFxOracle.Round memory round = fx.roundData("EURCNY", 1);
        assertEq(round.mid, EUR_CNY);
        assertEq(round.dispersionBps, 1); // 3000 / 7.8e8 rounded up
    }

    function test_publish_MedianOfFour() external {
        uint256[] memory mids = new uint256[](4);
        (mids[0], mids[1], mids[2], mids[3]) = (EUR_CNY + 300, EUR_CNY - 100, EUR_CNY + 100, EUR_CNY - 300);
        _publishSpread("EURCNY", mids, _who(4));
        assertEq(fx.roundData("EURCNY", 1).mid, EUR_CNY); // mean of the two middle values
    }

    function test_publish_MedianOfFive() external {
        _changeReporter(reporters[4], true);
        uint256[] memory mids = new uint256[](5);
        (mids[0], mids[1], mids[2], mids[3], mids[4]) = (EUR_CNY + 5, EUR_CNY - 9, EUR_CNY, EUR_CNY + 9, EUR_CNY - 5);
        _publishSpread("EURCNY", mids, _who(5));
        assertEq(fx.roundData("EURCNY", 1).mid, EUR_CNY);
    }

    function test_publish_RevertWhen_BelowQuorum() external {
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = "EURCNY";
        uint256[] memory mids = new uint256[](1);
        mids[0] = EUR_CNY;
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(2));
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumNotMet.selector, 2, 3));
        fx.publish(o, s);
    }

    function test_publish_RevertWhen_NoSignatures() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumNotMet.selector, 0, 2)); // below MIN_QUORUM
        fx.publish(new uint256[](1), new IFxOracle.Signature[](0));
    }

    function test_publish_RevertWhen_DuplicateSigner() external {
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = "EURCNY";
        uint256[] memory mids = new uint256[](1);
        mids[0] = EUR_CNY;
        uint256[] memory who = new uint256[](3);
        (who[0], who[1], who[2]) = (0, 1, 1);
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, who);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxDuplicateReporter.selector, reporters[1]));
        fx.publish(o, s);
    }

    function test_publish_RevertWhen_UnknownReporter() external {
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = "EURCNY";
        uint256[] memory mids = new uint256[](1);
        mids[0] = EUR_CNY;
        uint256[] memory who = new uint256[](3);
        (who[0], who[1], who[2]) = (0, 1, 4); // reporter 4 holds no REPORTER_ROLE
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, who);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnknownReporter.selector, reporters[4]));
        fx.publish(o, s);
    }

    function test_publish_RevertWhen_ObservationFromFuture() external {
        uint256[] memory report = new uint256[](1);
        report[0] = _obs("EURCNY", EUR_CNY, vm.getBlockTimestamp() + 1, 1);
        _expectPublishRevert(
            report,
            abi.encodeWithSelector(
                IFxOracle.FxObservationFromFuture.selector,
                bytes6("EURCNY"),
                vm.getBlockTimestamp() + 1,
                vm.getBlockTimestamp()
            )
        );
    }

    function test_publish_RevertWhen_ObservationTooOld() external {
        uint256 observedAt = vm.getBlockTimestamp() - MAX_AGE - 1; // Tuesday 13:00, all open hours
        uint256[] memory report = new uint256[](1);
        report[0] = _obs("EURCNY", EUR_CNY, observedAt, 1);
        _expectPublishRevert(
            report,
            abi.encodeWithSelector(IFxOracle.FxStale.selector, bytes6("EURCNY"), observedAt, MAX_AGE + 1, MAX_AGE)
        );
    }

    function test_publish_RevertWhen_SequenceNotIncreasing() external {
        _publish("EURCNY", EUR_CNY); // sequence 1
        uint256[] memory report = new uint256[](1);
        report[0] = _obs("EURCNY", EUR_CNY, vm.getBlockTimestamp(), 1);
        _expectPublishRevert(
            report, abi.encodeWithSelector(IFxOracle.FxSequenceNotIncreasing.selector, bytes6("EURCNY"), 1, 1)
        );
    }

    function test_publish_RevertWhen_DispersionAboveBand() external {
        uint256[] memory mids = new uint256[](3);
        (mids[0], mids[1], mids[2]) = (EUR_CNY, EUR_CNY * 10_060 / 10_000, EUR_CNY);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxDispersionTooHigh.selector, bytes6("EURCNY"), 60, BAND));
        this.publishSpread("EURCNY", mids, _who(3));
    }

    function test_publish_RevertWhen_PairNotListed() external {
        uint256[] memory report = new uint256[](1);
        report[0] = _obs("EURSGD", 1_4500_0000, vm.getBlockTimestamp(), 1);
        _expectPublishRevert(report, abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("EURSGD")));
    }

    function test_publish_RevertWhen_InvalidPrices() external {
        uint256[] memory report = new uint256[](1);
        report[0] = ObservationCodec_encode("EURCNY", EUR_CNY, EUR_CNY + 1, EUR_CNY + 2, vm.getBlockTimestamp(), 1);
        _expectPublishRevert(
            report,
            abi.encodeWithSelector(
                IFxOracle.FxInvalidPrices.selector, bytes6("EURCNY"), EUR_CNY + 1, EUR_CNY, EUR_CNY + 2
            )
        );
    }

    function test_publish_RevertWhen_ReportersDisagreeOnPair() external {
        uint256[] memory observations = new uint256[](3);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](3);
        for (uint256 r; r < 3; ++r) {
            uint256[] memory report = new uint256[](1);
            report[0] = _obs(r == 2 ? bytes6("EURTHB") : bytes6("EURCNY"), EUR_CNY, vm.getBlockTimestamp(), 1);
            observations[r] = report[0];
            signatures[r] = _signReport(r, report);
        }
        vm.expectRevert(
            abi.encodeWithSelector(IFxOracle.FxPairMismatch.selector, 2, bytes6("EURCNY"), bytes6("EURTHB"))
        );
        fx.publish(observations, signatures);
    }

    function test_publish_RevertWhen_Malformed() external {
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](3);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxMalformedReport.selector, 4, 3));
        fx.publish(new uint256[](4), signatures);
    }

    function test_publish_RevertWhen_SignedForAnotherChain() external {
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = "EURCNY";
        uint256[] memory mids = new uint256[](1);
        mids[0] = EUR_CNY;
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
        vm.chainId(block.chainid + 1);
        vm.expectRevert(); // recovers some other address: FxUnknownReporter(random)
        fx.publish(o, s);
    }

    // ─── circuit breaker ─────────────────────────────────────────────────────────────────

    function test_breaker_JumpHaltsPairAndSettlementReads() external {
        _publish("EURCHF", EUR_CHF);
        vm.warp(vm.getBlockTimestamp() + 1 days);
        uint256 shocked = 1_0280_0000; // 2015-01-15: EUR/CHF from 1.2010 to 1.0280
        vm.expectEmit(address(fx));
        emit IFxOracle.BreakerTripped("EURCHF", 2, EUR_CHF, shocked, 1440);
        _publish("EURCHF", shocked);
        assertTrue(fx.pair("EURCHF").halted);
        assertEq(fx.roundData("EURCHF", 2).mid, shocked, "the round is kept, not clamped");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("EURCHF")));
        fx.settlementRate("EUR", "CHF");
    }

    function test_breaker_JumpWithinThresholdKeepsPairLive() external {
        _publish("EURCHF", EUR_CHF);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCHF", EUR_CHF * 10_400 / 10_000);
        assertFalse(fx.pair("EURCHF").halted);
    }

    function test_resume_ByRegulatorRestoresReads() external {
        _publish("EURCHF", EUR_CHF);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCHF", 1_0280_0000);
        vm.expectEmit(address(fx));
        emit IFxOracle.PairResumed("EURCHF", regulator);
        vm.prank(regulator);
        fx.resume("EURCHF");
        (uint256 mid,) = fx.settlementRate("EUR", "CHF");
        assertEq(mid, 1_0280_0000 * 1e10);
        // the next round is judged against the post-shock level
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCHF", 1_0300_0000);
        assertFalse(fx.pair("EURCHF").halted);
    }

    function test_resume_RevertWhen_CallerIsABank() external {
        _halt("EURCHF");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, alice, Roles.REGULATOR));
        vm.prank(alice);
        fx.resume("EURCHF");
    }

    /// @dev Finding (Medium, governance): the operator resumed the pair a breaker had halted.
    function test_resume_RevertWhen_CallerIsOperator() external {
        _halt("EURCHF");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, operator, Roles.REGULATOR));
        vm.prank(operator);
        fx.resume("EURCHF");
        assertTrue(fx.pair("EURCHF").halted);
    }

    function test_resume_RevertWhen_NotHalted() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNotHalted.selector, bytes6("EURCHF")));
        vm.prank(regulator);
        fx.resume("EURCHF");
    }

    // ─── market calendar ─────────────────────────────────────────────────────────────────

    function test_calendar_FridayFixingUsableOnSunday() external {
        vm.warp(1_745_589_600); // Friday 2025-04-25 14:00 UTC
        _publish("EURCNY", EUR_CNY);
        vm.warp(1_745_755_200); // Sunday 12:00
        assertEq(uint8(fx.latest("EUR", "CNY").market), uint8(IFxOracle.MarketState.Weekend));
        assertEq(fx.latest("EUR", "CNY").mid, EUR_CNY);
    }

    function test_calendar_StaleOnWorkingDay() external {
        vm.warp(1_745_589_600); // Friday 14:00
        _publish("EURCNY", EUR_CNY);
        vm.warp(1_745_946_000); // Tuesday 17:00: 10 h Friday + 24 h Monday + 17 h Tuesday open
        vm.expectRevert(
            abi.encodeWithSelector(IFxOracle.FxStale.selector, bytes6("EURCNY"), 1_745_589_600, 51 hours, MAX_AGE)
        );
        fx.latest("EUR", "CNY");
    }

    function test_calendar_EasterHolidaysDoNotCount() external {
        uint256[] memory easter = new uint256[](2);
        (easter[0], easter[1]) = (20_196, 20_199); // Good Friday 2025-04-18, Easter Monday 2025-04-21
        vm.prank(operator);
        fx.setHolidays(easter, true);
        vm.warp(1_744_898_400); // Thursday 2025-04-17 14:00
        _publish("EURCNY", EUR_CNY);
        vm.warp(1_745_326_800); // Tuesday 13:00: 10 h Thursday + 13 h Tuesday
        assertEq(fx.openSecondsBetween(1_744_898_400, vm.getBlockTimestamp()), 23 hours);
        assertEq(fx.latest("EUR", "CNY").mid, EUR_CNY);
        assertEq(uint8(fx.marketState(1_745_150_400)), uint8(IFxOracle.MarketState.Weekend));
        assertEq(uint8(fx.marketState(20_199 days + 1)), uint8(IFxOracle.MarketState.Holiday));
    }

    function test_calendar_WithoutHolidaysEasterWouldBeStale() external {
        vm.warp(1_744_898_400);
        _publish("EURCNY", EUR_CNY);
        vm.warp(1_745_326_800);
        vm.expectRevert(
            abi.encodeWithSelector(IFxOracle.FxStale.selector, bytes6("EURCNY"), 1_744_898_400, 71 hours, MAX_AGE)
        );
        fx.latest("EUR", "CNY");
    }

    function test_setHoliday_RevertWhen_NeitherOperatorNorRegulator() external {
        uint256[] memory dayNumbers = new uint256[](1);
        dayNumbers[0] = vm.getBlockTimestamp() / 1 days + 3;
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, outsider, Roles.OPERATOR));
        vm.prank(outsider);
        fx.setHolidays(dayNumbers, true);
    }

    function test_setHoliday_RevertWhen_OperatorMarksTodayOrPast() external {
        uint256 today = vm.getBlockTimestamp() / 1 days;
        uint256[] memory dayNumbers = new uint256[](2);
        (dayNumbers[0], dayNumbers[1]) = (today + 1, today);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxHolidayNotAhead.selector, today, today));
        vm.prank(operator);
        fx.setHolidays(dayNumbers, true);
    }

    function test_setHoliday_RegulatorMarksPastDays() external {
        uint256[] memory dayNumbers = new uint256[](1);
        dayNumbers[0] = vm.getBlockTimestamp() / 1 days - 10;
        while ((dayNumbers[0] + 4) % 7 == 0 || (dayNumbers[0] + 4) % 7 == 6) --dayNumbers[0]; // a working day
        vm.prank(regulator);
        fx.setHolidays(dayNumbers, true);
        assertEq(uint8(fx.marketState(dayNumbers[0] * 1 days + 12 hours)), uint8(IFxOracle.MarketState.Holiday));
    }

    // ─── reads ───────────────────────────────────────────────────────────────────────────

    function test_inverse_OfDirectPairUsesItsState() external {
        _publish("EURCNY", EUR_CNY);
        IFxOracle.Rate memory rate = fx.latest("CNY", "EUR");
        assertTrue(rate.derived);
        assertEq(rate.mid, uint256(1e16) / EUR_CNY);
        _halt("EURCNY");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("EURCNY")));
        fx.latest("CNY", "EUR");
    }

    function test_latest_RevertWhen_NoData() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURCNY"), 0));
        fx.latest("EUR", "CNY");
    }

    function test_latest_RevertWhen_Unknown() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("SGDCNY")));
        fx.latest("SGD", "CNY");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("EURSGD")));
        fx.settlementRate("EUR", "SGD");
    }

    // ─── history ─────────────────────────────────────────────────────────────────────────

    function test_roundAtOrBefore_FindsRoundInForce() external {
        uint256[] memory times = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            times[i] = vm.getBlockTimestamp();
            _publish("EURCNY", EUR_CNY + i);
            vm.warp(vm.getBlockTimestamp() + 2 hours);
        }
        (uint256 id, IFxOracle.Round memory round) = fx.roundAtOrBefore("EURCNY", times[2] + 1 hours);
        assertEq(id, 3);
        assertEq(round.mid, EUR_CNY + 2);
        (id,) = fx.roundAtOrBefore("EURCNY", times[4]);
        assertEq(id, 5);
        (id,) = fx.roundAtOrBefore("EURCNY", times[0]);
        assertEq(id, 1);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURCNY"), 0));
        fx.roundAtOrBefore("EURCNY", times[0] - 1);
    }

    function testFuzz_roundAtOrBefore_MatchesLinearScan(uint256 offset) external {
        uint256 start = vm.getBlockTimestamp();
        for (uint256 i; i < 7; ++i) {
            _publish("EURCNY", EUR_CNY + i);
            vm.warp(vm.getBlockTimestamp() + 1 hours + i * 7 minutes);
        }
        uint256 at = start + bound(offset, 0, 12 hours);
        uint256 expected;
        for (uint256 id = 1; id <= 7; ++id) {
            if (fx.roundData("EURCNY", id).publishedAt <= at) expected = id;
        }
        (uint256 found,) = fx.roundAtOrBefore("EURCNY", at);
        assertEq(found, expected);
    }

    // ─── Chainlink adapter ───────────────────────────────────────────────────────────────

    function test_adapter_ChainlinkSemantics() external {
        FxAggregatorV3Adapter feed = new FxAggregatorV3Adapter(fx, "EUR", "CNY");
        assertEq(feed.decimals(), 8);
        assertEq(feed.description(), "EUR / CNY");
        assertEq(feed.version(), 1);
        uint256 observed = vm.getBlockTimestamp();
        _publish("EURCNY", EUR_CNY);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCNY", EUR_CNY + 5);
        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) =
            feed.latestRoundData();
        assertEq(roundId, 2);
        assertEq(answer, int256(EUR_CNY + 5));
        assertEq(startedAt, vm.getBlockTimestamp());
        assertEq(updatedAt, vm.getBlockTimestamp());
        assertEq(answeredInRound, 2);
        (, answer, startedAt,,) = feed.getRoundData(1);
        assertEq(answer, int256(EUR_CNY));
        assertEq(startedAt, observed);
    }

    function test_adapter_RevertsInsteadOfZeros() external {
        FxAggregatorV3Adapter feed = new FxAggregatorV3Adapter(fx, "EUR", "CNY");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURCNY"), 0));
        feed.latestRoundData();
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURCNY"), 9));
        feed.getRoundData(9);
    }

    // ─── sequences (finding High: one reporter stopped a pair forever) ───────────────────

    /// @dev Regression: today's code stores the highest sequence of the round (2^24 - 1) and refuses
    ///      every later round with FxSequenceNotIncreasing.
    function test_publish_OneReporterAtMaxSequenceCannotBlockLaterRounds() external {
        uint256 t = vm.getBlockTimestamp();
        _publishReports(
            "EURCNY", _three(0, 1, 2), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(MAX_SEQUENCE, 1, 1)
        );
        assertEq(fx.pair("EURCNY").lastSequence, 1, "the round's lowest sequence is stored");
        vm.warp(t + 1 hours);
        t = vm.getBlockTimestamp();
        _publishReports("EURCNY", _three(1, 2, 3), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(2, 2, 2));
        assertEq(fx.pair("EURCNY").latestRound, 2, "the honest round after the attack is accepted");
    }

    /// @dev `publish` is open: a faulty reporter copies honest reports from the mempool and submits
    ///      first with its own 2^24 - 1. The honest median lands and the next honest round is accepted.
    function test_publish_FrontRunWithCopiedReportsCannotBlockPair() external {
        uint256 t = vm.getBlockTimestamp();
        (uint256[] memory honest, IFxOracle.Signature[] memory honestSigs) = _reports(
            "EURCNY", _three(1, 2, 3), _three(EUR_CNY, EUR_CNY + 10, EUR_CNY - 10), _three(t, t, t), _three(1, 1, 1)
        );
        (uint256 faultyWord, IFxOracle.Signature memory faultySig) =
            _report(0, "EURCNY", EUR_CNY + 3000, t, MAX_SEQUENCE);
        uint256[] memory copied = _three(honest[0], honest[1], faultyWord);
        IFxOracle.Signature[] memory copiedSigs = new IFxOracle.Signature[](3);
        (copiedSigs[0], copiedSigs[1], copiedSigs[2]) = (honestSigs[0], honestSigs[1], faultySig);
        vm.prank(reporters[0]);
        fx.publish(copied, copiedSigs);
        assertEq(fx.roundData("EURCNY", 1).mid, EUR_CNY + 10, "median of two honest values and one faulty");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxSequenceNotIncreasing.selector, bytes6("EURCNY"), 1, 1));
        fx.publish(honest, honestSigs); // the honest submission itself lost the race...
        vm.warp(t + 1 hours);
        t = vm.getBlockTimestamp();
        _publishReports("EURCNY", _three(1, 2, 3), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(2, 2, 2));
        assertEq(fx.pair("EURCNY").latestRound, 2, "...but the next honest round goes through");
    }

    /// @dev Whatever one faulty reporter signs (mid, time, sequence), a round that includes it stores the
    ///      honest value, and the honest reporters' next round is always accepted.
    function testFuzz_publish_OneFaultyReporterNeitherMovesMedianNorBlocks(uint256 mid, uint256 age, uint256 seq)
        external
    {
        uint256 t = vm.getBlockTimestamp();
        mid = bound(mid, 1, type(uint48).max / 2);
        age = bound(age, 0, MAX_AGE);
        seq = bound(seq, 1, MAX_SEQUENCE);
        (uint256[] memory o, IFxOracle.Signature[] memory s) =
            _reports("EURCNY", _three(0, 1, 2), _three(mid, EUR_CNY, EUR_CNY), _three(t - age, t, t), _three(seq, 1, 1));
        try fx.publish(o, s) {
            assertEq(fx.roundData("EURCNY", 1).mid, EUR_CNY, "a minority moved the median");
            assertEq(fx.roundData("EURCNY", 1).observedAt, t, "a minority moved the observation time");
        } catch {}
        vm.warp(t + 1 hours);
        t = vm.getBlockTimestamp();
        _publishReports("EURCNY", _three(1, 2, 3), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(2, 2, 2));
        assertEq(fx.roundData("EURCNY", fx.pair("EURCNY").latestRound).mid, EUR_CNY);
    }

    // ─── observation time ────────────────────────────────────────────────────────────────

    /// @dev Regression: today's code accepts a later round observed before the last one.
    function test_publish_RevertWhen_ObservationOlderThanLast() external {
        uint256 t = vm.getBlockTimestamp();
        _publish("EURCNY", EUR_CNY);
        vm.warp(t + 1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(IFxOracle.FxObservationOlderThanLast.selector, bytes6("EURCNY"), t - 1, t)
        );
        this.publishReports(
            "EURCNY", _three(0, 1, 2), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t - 1, t - 1, t - 1), _three(9, 9, 9)
        );
    }

    function test_publish_SameObservationTimeAcceptedOnHeartbeat() external {
        uint256 t = vm.getBlockTimestamp();
        _publish("EURCNY", EUR_CNY);
        vm.warp(t + 1 hours);
        _publishReports("EURCNY", _three(0, 1, 2), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(9, 9, 9));
        assertEq(fx.pair("EURCNY").lastObservedAt, t);
        assertEq(fx.pair("EURCNY").latestRound, 2);
    }

    // ─── recovery without redeploying the escrows ────────────────────────────────────────

    /// @dev A captured quorum (beyond what the oracle tolerates) can still push a pair's sequence to the
    ///      top of its range. The regulator recovers the pair in place: the escrows keep reading the same
    ///      oracle address (PvPEscrow.oracle is immutable), so nothing is redeployed.
    function test_resetSequence_RegulatorRecoversPairWithoutRedeployingEscrows() external {
        uint256 t = vm.getBlockTimestamp();
        uint256 max = MAX_SEQUENCE;
        _publishReports(
            "EURCNY", _three(0, 1, 2), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(max, max, max)
        );
        vm.warp(t + 1 hours);
        t = vm.getBlockTimestamp();
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxSequenceNotIncreasing.selector, bytes6("EURCNY"), 1, max));
        this.publishReports(
            "EURCNY", _three(1, 2, 3), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(1, 1, 1)
        );

        vm.expectEmit(address(fx));
        emit IFxOracle.SequenceReset("EURCNY", max, regulator);
        vm.prank(regulator);
        fx.resetSequence("EURCNY");

        _publishReports(
            "EURCNY", _three(1, 2, 3), _three(EUR_CNY + 7, EUR_CNY + 7, EUR_CNY + 7), _three(t, t, t), _three(1, 1, 1)
        );
        (uint256 mid, uint256 roundRef) = fx.settlementRate("EUR", "CNY");
        assertEq(mid, (EUR_CNY + 7) * 1e10);
        assertEq(roundRef, 2);
    }

    function test_resetSequence_RevertWhen_CallerIsOperator() external {
        _publish("EURCNY", EUR_CNY);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, operator, Roles.REGULATOR));
        vm.prank(operator);
        fx.resetSequence("EURCNY");
    }

    function test_resetSequence_RevertWhen_NothingToReset() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxSequenceNotSet.selector, bytes6("EURCNY")));
        vm.prank(regulator);
        fx.resetSequence("EURCNY");
    }

    // ─── reporter set: the registry's REPORTER_ROLE ──────────────────────────────────────

    /// @dev Regression (Low): today's oracle keeps its own reporter list, so a reporter whose registry role
    ///      was revoked still counts until somebody calls setReporter.
    function test_publish_RevertWhen_SignerRemovedFromRegistry() external {
        _changeReporter(reporters[2], false);
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = "EURCNY";
        uint256[] memory mids = new uint256[](1);
        mids[0] = EUR_CNY;
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnknownReporter.selector, reporters[2]));
        fx.publish(o, s);
    }

    function test_publish_RevertWhen_SignerRenouncedRole() external {
        bytes32 role = registry.REPORTER_ROLE();
        vm.prank(reporters[1]);
        registry.renounceRole(role, reporters[1]);
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = "EURCNY";
        uint256[] memory mids = new uint256[](1);
        mids[0] = EUR_CNY;
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnknownReporter.selector, reporters[1]));
        fx.publish(o, s);
    }

    function test_publish_AcceptsReporterAddedThroughGovernance() external {
        _changeReporter(reporters[4], true);
        uint256 t = vm.getBlockTimestamp();
        _publishReports("EURCNY", _three(4, 1, 2), _three(EUR_CNY, EUR_CNY, EUR_CNY), _three(t, t, t), _three(1, 1, 1));
        assertEq(fx.pair("EURCNY").latestRound, 1);
    }

    /// @dev Regression (Low): today's code keeps quorum 3 when the set grows to 8 (3 of 8 is a minority).
    function test_publish_QuorumInForceIsMajorityOfGrownSet() external {
        uint256[] memory keys = new uint256[](8);
        for (uint256 i; i < 5; ++i) {
            keys[i] = reporterKeys[i];
        }
        uint256[] memory ids = new uint256[](4);
        vm.startPrank(operator);
        ids[0] = registry.proposeReporterChange(reporters[4], true);
        for (uint256 i = 5; i < 8; ++i) {
            address extra;
            (extra, keys[i]) = makeAddrAndKey(string(abi.encodePacked("extraReporter", vm.toString(i))));
            ids[i - 4] = registry.proposeReporterChange(extra, true);
        }
        vm.stopPrank();
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        for (uint256 i; i < 4; ++i) {
            registry.execute(ids[i]);
        }
        (uint256 inForce, uint256 configured, uint256 count) = fx.quorum();
        assertEq((inForce * 100 + configured) * 100 + count, 50308, "5 in force, 3 configured, 8 reporters");

        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumNotMet.selector, 3, 5));
        this.publishSignedBy("EURCNY", EUR_CNY, _slice(keys, 3));
        this.publishSignedBy("EURCNY", EUR_CNY, _slice(keys, 5));
        assertEq(fx.pair("EURCNY").latestRound, 1);
    }

    // ─── quorum governance ───────────────────────────────────────────────────────────────

    function test_constructor_QuorumAndDelayFromRegistry() external view {
        (uint256 inForce, uint256 configured, uint256 count) = fx.quorum();
        assertEq(inForce, 3);
        assertEq(configured, 3);
        assertEq(count, INITIAL_REPORTERS);
        assertEq(fx.governanceDelay(), GOVERNANCE_DELAY);
    }

    function test_constructor_RevertWhen_QuorumOutOfRange() external {
        uint8[3] memory bad = [1, 2, 5];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumOutOfRange.selector, bad[i], 3, 4));
            new FxOracle(registry, "EUR", bad[i]);
        }
    }

    function test_constructor_RevertWhen_BaseCurrencyMalformed() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInvalidBaseCurrency.selector, bytes3("eu1")));
        new FxOracle(registry, "eu1", 3);
    }

    function test_proposeQuorum_TakesEffectOnlyAfterDelay() external {
        uint64 executableAt = uint64(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        vm.expectEmit(address(fx));
        emit IDelayedGovernance.ProposalCreated(
            1, IDelayedGovernance.GovernanceAction.SetQuorum, 4, executableAt, operator
        );
        vm.prank(operator);
        uint256 id = fx.proposeQuorum(4);
        vm.warp(executableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IDelayedGovernance.GovernanceTooEarly.selector, id, executableAt));
        fx.execute(id);
        vm.warp(executableAt);
        vm.expectEmit(address(fx));
        emit IDelayedGovernance.ProposalExecuted(id, outsider);
        vm.expectEmit(address(fx));
        emit IFxOracle.QuorumChanged(3, 4);
        vm.prank(outsider);
        fx.execute(id);
        (uint256 inForce,,) = fx.quorum();
        assertEq(inForce, 4);
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = "EURCNY";
        uint256[] memory mids = new uint256[](1);
        mids[0] = EUR_CNY;
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumNotMet.selector, 3, 4));
        fx.publish(o, s);
    }

    function test_proposeQuorum_RevertWhen_CallerNotOperator() external {
        address[3] memory callers = [regulator, reporters[0], outsider];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, callers[i], Roles.OPERATOR));
            vm.prank(callers[i]);
            fx.proposeQuorum(4);
        }
    }

    function test_proposeQuorum_RevertWhen_NotAMajorityOrAboveReporters() external {
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumOutOfRange.selector, 2, 3, 4));
        fx.proposeQuorum(2);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumOutOfRange.selector, 5, 3, 4));
        fx.proposeQuorum(5);
        vm.stopPrank();
    }

    function test_veto_RegulatorStopsQuorumChange() external {
        vm.prank(operator);
        uint256 id = fx.proposeQuorum(4);
        vm.expectEmit(address(fx));
        emit IDelayedGovernance.ProposalVetoed(id, regulator);
        vm.prank(regulator);
        fx.veto(id);
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDelayedGovernance.GovernanceProposalNotPending.selector, id, IDelayedGovernance.ProposalStatus.Vetoed
            )
        );
        fx.execute(id);
        (, uint256 configured,) = fx.quorum();
        assertEq(configured, 3);
    }

    function test_veto_RevertWhen_CallerIsOperator() external {
        vm.prank(operator);
        uint256 id = fx.proposeQuorum(4);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, operator, Roles.REGULATOR));
        vm.prank(operator);
        fx.veto(id);
    }

    function test_execute_RevertWhen_QuorumNoLongerFits() external {
        vm.prank(operator);
        uint256 id = fx.proposeQuorum(4);
        _changeReporter(reporters[3], false); // 3 reporters left; warps past the quorum proposal's delay too
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumOutOfRange.selector, 4, 2, 3));
        fx.execute(id);
        assertEq(uint8(fx.proposal(id).status), uint8(IDelayedGovernance.ProposalStatus.Pending));
    }

    function test_execute_RevertWhen_UnknownOrAlreadyExecuted() external {
        vm.expectRevert(abi.encodeWithSelector(IDelayedGovernance.GovernanceUnknownProposal.selector, 7));
        fx.execute(7);
        vm.prank(operator);
        uint256 id = fx.proposeQuorum(4);
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        fx.execute(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDelayedGovernance.GovernanceProposalNotPending.selector, id, IDelayedGovernance.ProposalStatus.Executed
            )
        );
        fx.execute(id);
        assertEq(fx.proposalCount(), 1);
    }

    // ─── pair configuration ──────────────────────────────────────────────────────────────

    function test_configurePair_ListsWithEvent() external {
        vm.expectEmit(address(fx));
        emit IFxOracle.PairConfigured("EURSGD", MAX_AGE, BAND, BREAKER, true);
        vm.prank(operator);
        fx.configurePair("EURSGD", MAX_AGE, BAND, BREAKER, true);
        IFxOracle.Pair memory state = fx.pair("EURSGD");
        assertTrue(state.listed);
        assertFalse(state.derived);
    }

    function test_configurePair_RevertWhen_CallerNotOperator() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, regulator, Roles.OPERATOR));
        vm.prank(regulator);
        fx.configurePair("EURSGD", MAX_AGE, BAND, BREAKER, true);
    }

    function test_configurePair_RevertWhen_PairIdMalformed() external {
        bytes6[3] memory bad = [bytes6("EUREUR"), bytes6("EURsgd"), bytes6(0)];
        vm.startPrank(operator);
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInvalidPairId.selector, bad[i]));
            fx.configurePair(bad[i], MAX_AGE, BAND, BREAKER, true);
        }
        vm.stopPrank();
    }

    function test_configurePair_RevertWhen_ValuesOutOfRange() external {
        uint256 minAge = fx.MIN_MAX_AGE();
        uint256 maxAge = fx.MAX_MAX_AGE();
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxMaxAgeOutOfRange.selector, 0, minAge, maxAge));
        fx.configurePair("EURSGD", 0, BAND, BREAKER, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxMaxAgeOutOfRange.selector, minAge - 1, minAge, maxAge));
        fx.configurePair("EURSGD", uint32(minAge - 1), BAND, BREAKER, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxMaxAgeOutOfRange.selector, maxAge + 1, minAge, maxAge));
        fx.configurePair("EURSGD", uint32(maxAge + 1), BAND, BREAKER, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxDispersionOutOfRange.selector, 10_001, 10_000));
        fx.configurePair("EURSGD", MAX_AGE, 10_001, BREAKER, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxBreakerOutOfRange.selector, 0, 1, 10_000));
        fx.configurePair("EURSGD", MAX_AGE, BAND, 0, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxBreakerOutOfRange.selector, 10_001, 1, 10_000));
        fx.configurePair("EURSGD", MAX_AGE, BAND, 10_001, true);
        vm.stopPrank();
    }

    function test_configurePair_RevertWhen_InverseListed() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInverseListed.selector, bytes6("CNYEUR"), bytes6("EURCNY")));
        vm.prank(operator);
        fx.configurePair("CNYEUR", MAX_AGE, BAND, BREAKER, true);
    }

    /// @dev The operator cannot lift a halt by reconfiguring, delisting or relisting a pair.
    function test_configurePair_NeverLiftsHalt() external {
        _halt("EURCHF");
        vm.startPrank(operator);
        fx.configurePair("EURCHF", MAX_AGE, BAND, 10_000, true);
        fx.configurePair("EURCHF", MAX_AGE, BAND, BREAKER, false);
        fx.configurePair("EURCHF", MAX_AGE, BAND, BREAKER, true);
        vm.stopPrank();
        assertTrue(fx.pair("EURCHF").halted);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("EURCHF")));
        fx.latest("EUR", "CHF");
    }

    // ─── Chainlink adapter: direct pairs only ────────────────────────────────────────────

    /// @dev Regression (Informational): an adapter on a derived pair returned packed round ids that
    ///      getRoundData could not find.
    function test_adapter_RevertWhen_PairNotDirect() external {
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, true);
        vm.expectRevert(
            abi.encodeWithSelector(IFxAggregatorV3Adapter.FxAdapterNotDirectPair.selector, bytes6("CNYTHB"))
        );
        new FxAggregatorV3Adapter(fx, "CNY", "THB");
        vm.expectRevert(
            abi.encodeWithSelector(IFxAggregatorV3Adapter.FxAdapterNotDirectPair.selector, bytes6("CNYEUR"))
        );
        new FxAggregatorV3Adapter(fx, "CNY", "EUR");
        vm.expectRevert(
            abi.encodeWithSelector(IFxAggregatorV3Adapter.FxAdapterNotDirectPair.selector, bytes6("EURSGD"))
        );
        new FxAggregatorV3Adapter(fx, "EUR", "SGD");
    }

    function test_adapter_LatestRoundIdIsFoundByGetRoundData() external {
        FxAggregatorV3Adapter feed = new FxAggregatorV3Adapter(fx, "EUR", "CNY");
        for (uint256 i; i < 3; ++i) {
            _publish("EURCNY", EUR_CNY + i);
            vm.warp(vm.getBlockTimestamp() + 1 hours);
        }
        (uint80 roundId, int256 answer,,,) = feed.latestRoundData();
        (uint80 foundId, int256 foundAnswer,,,) = feed.getRoundData(roundId);
        assertEq(foundId, roundId);
        assertEq(foundAnswer, answer);
    }

    function test_adapter_RevertWhen_PairDelisted() external {
        FxAggregatorV3Adapter feed = new FxAggregatorV3Adapter(fx, "EUR", "CNY");
        vm.prank(operator);
        fx.configurePair("EURCNY", MAX_AGE, BAND, BREAKER, false);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("EURCNY")));
        feed.latestRoundData();
    }

    /// @dev A currency pair keeps one id for good: its inverse can never be listed, even once it is delisted
    ///      (it would start a fresh, unhalted state for the same currency pair).
    function test_configurePair_RevertWhen_InverseEverConfigured() external {
        vm.startPrank(operator);
        fx.configurePair("EURCNY", MAX_AGE, BAND, BREAKER, false);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInverseListed.selector, bytes6("CNYEUR"), bytes6("EURCNY")));
        fx.configurePair("CNYEUR", MAX_AGE, BAND, BREAKER, true);
        vm.stopPrank();
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────

    function publishSpread(bytes6 pairId, uint256[] memory mids, uint256[] memory who) external {
        _publishSpread(pairId, mids, who);
    }

    function publishReports(
        bytes6 pairId,
        uint256[] memory who,
        uint256[] memory mids,
        uint256[] memory times,
        uint256[] memory seqs
    ) external {
        _publishReports(pairId, who, mids, times, seqs);
    }

    /// @dev Publishes `mid` for `pairId` signed with each of `keys`, sequence 1, observed now.
    function publishSignedBy(bytes6 pairId, uint256 mid, uint256[] memory keys) external {
        uint256[] memory observations = new uint256[](keys.length);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](keys.length);
        for (uint256 r; r < keys.length; ++r) {
            uint256[] memory report = new uint256[](1);
            report[0] = _obs(pairId, mid, vm.getBlockTimestamp(), 1);
            observations[r] = report[0];
            signatures[r] = _signReportWith(keys[r], report);
        }
        fx.publish(observations, signatures);
    }

    function _slice(uint256[] memory values, uint256 n) internal pure returns (uint256[] memory out) {
        out = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            out[i] = values[i];
        }
    }

    function _expectPublishRevert(uint256[] memory report, bytes memory error) internal {
        uint256[] memory observations = new uint256[](3);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](3);
        for (uint256 r; r < 3; ++r) {
            observations[r] = report[0];
            signatures[r] = _signReport(r, report);
        }
        vm.expectRevert(error);
        fx.publish(observations, signatures);
    }

    function ObservationCodec_encode(bytes6 pairId, uint256 mid, uint256 bid, uint256 ask, uint256 at, uint256 seq)
        internal
        pure
        returns (uint256)
    {
        return
            (uint256(uint48(pairId)) << 208) | (mid << 160) | (bid << 112) | (ask << 64) | (at << 32) | (1 << 24) | seq;
    }
}


// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxOracle} from "../../src/interfaces/IFxOracle.sol";
import {FxAggregatorV3Adapter} from "../../src/oracle/FxAggregatorV3Adapter.sol";
import {FxOracle} from "../../src/oracle/FxOracle.sol";
import {OracleBase} from "../utils/OracleBase.sol";

contract FxOracleTest is OracleBase {
    uint256 internal constant EUR_CNY = 7_8000_0000; // 7.8 in 8 decimals
    uint256 internal constant EUR_THB = 37_5000_0000;
    uint256 internal constant EUR_CHF = 1_2010_0000;

    // ─── publish ─────────────────────────────────────────────────────────────────────────

    function test_publish_AcceptsQuorumAndStoresRound() external {
        vm.expectEmit(address(fx));
        emit IFxOracle.RoundPublished("EURCNY", 1, EUR_CNY);
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
        vm.prank(operator);
        fx.setReporter(reporters[4], true);
        uint256[] memory mids = new uint256[](5);
        (mids[0], mids[1], mids[2], mids[3], mids[4]) =
            (EUR_CNY + 5, EUR_CNY - 9, EUR_CNY, EUR_CNY + 9, EUR_CNY - 5);
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

    function test_publish_RevertWhen_QuorumNeverSet() external {
        FxOracle fresh = new FxOracle(registry, "EUR");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxQuorumNotMet.selector, 1, 0));
        fresh.publish(new uint256[](1), new IFxOracle.Signature[](1));
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
        (who[0], who[1], who[2]) = (0, 1, 4); // reporter 4 holds the role but is not authorised here
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, who);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnknownReporter.selector, reporters[4]));
        fx.publish(o, s);
    }

    function test_publish_RevertWhen_ObservationFromFuture() external {
        uint256[] memory report = new uint256[](1);
        report[0] = _obs("EURCNY", EUR_CNY, vm.getBlockTimestamp() + 1, 1);
        _expectPublishRevert(report, abi.encodeWithSelector(IFxOracle.FxObservationFromFuture.selector, bytes6("EURCNY"), vm.getBlockTimestamp() + 1, vm.getBlockTimestamp()));
    }

    function test_publish_RevertWhen_ObservationTooOld() external {
        uint256 observedAt = vm.getBlockTimestamp() - MAX_AGE - 1; // Tuesday 13:00, all open hours
        uint256[] memory report = new uint256[](1);
        report[0] = _obs("EURCNY", EUR_CNY, observedAt, 1);
        _expectPublishRevert(report, abi.encodeWithSelector(IFxOracle.FxStale.selector, bytes6("EURCNY"), observedAt, MAX_AGE + 1, MAX_AGE));
    }

    function test_publish_RevertWhen_SequenceNotIncreasing() external {
        _publish("EURCNY", EUR_CNY); // sequence 1
        uint256[] memory report = new uint256[](1);
        report[0] = _obs("EURCNY", EUR_CNY, vm.getBlockTimestamp(), 1);
        _expectPublishRevert(report, abi.encodeWithSelector(IFxOracle.FxSequenceNotIncreasing.selector, bytes6("EURCNY"), 1, 1));
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
        _expectPublishRevert(report, abi.encodeWithSelector(IFxOracle.FxInvalidPrices.selector, bytes6("EURCNY"), EUR_CNY + 1, EUR_CNY, EUR_CNY + 2));
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
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairMismatch.selector, 2, bytes6("EURCNY"), bytes6("EURTHB")));
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
        _publish("EURCHF", EUR_CHF);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCHF", 1_0280_0000);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, alice));
        vm.prank(alice);
        fx.resume("EURCHF");
    }

    function test_resume_RevertWhen_NotHalted() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNotHalted.selector, bytes6("EURCHF")));
        vm.prank(operator);
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

    function test_setHoliday_RevertWhen_NotOperator() external {
        uint256[] memory dayNumbers = new uint256[](1);
        dayNumbers[0] = 20_196;
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, regulator));
        vm.prank(regulator);
        fx.setHolidays(dayNumbers, true);
    }

    // ─── cross rates ─────────────────────────────────────────────────────────────────────

    function test_cross_DerivesThroughBaseCurrency() external {
        uint256[] memory cnyMids = new uint256[](3);
        (cnyMids[0], cnyMids[1], cnyMids[2]) = (EUR_CNY, EUR_CNY + 7800, EUR_CNY); // 1 bp dispersion
        _publishSpread("EURCNY", cnyMids, _who(3));
        _publish("EURTHB", EUR_THB);
        IFxOracle.Rate memory rate = fx.latest("CNY", "THB");
        assertTrue(rate.derived);
        assertEq(rate.mid, EUR_THB * 1e8 / EUR_CNY); // 4.80769230 THB per CNY
        assertEq(rate.dispersionBps, 1, "dispersion of the legs adds up");
        assertEq(rate.roundRef, (uint256(1) << 128) | 1);
        assertLt(rate.bid, rate.mid);
        assertGt(rate.ask, rate.mid);
        (uint256 mid18,) = fx.settlementRate("CNY", "THB");
        assertEq(mid18, rate.mid * 1e10);
    }

    function test_cross_InverseOfDirectPair() external {
        _publish("EURCNY", EUR_CNY);
        IFxOracle.Rate memory rate = fx.latest("CNY", "EUR");
        assertTrue(rate.derived);
        assertEq(rate.mid, uint256(1e16) / EUR_CNY);
    }

    function test_cross_RevertWhen_LegHalted() external {
        _publish("EURCNY", EUR_CNY);
        _publish("EURCHF", EUR_CHF);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCHF", 1_0280_0000);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("EURCHF")));
        fx.latest("CNY", "CHF");
    }

    function test_latest_RevertWhen_NoData() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURCNY"), 0));
        fx.latest("EUR", "CNY");
    }

    function test_latest_RevertWhen_Unknown() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("EURSGD")));
        fx.latest("SGD", "CNY");
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

    // ─── administration ──────────────────────────────────────────────────────────────────

    function test_setReporter_RequiresRegistryRole() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, operator));
        vm.prank(operator);
        fx.setReporter(outsider, true);
    }

    function test_setReporter_AnyoneRemovesWhenRoleRevoked() external {
        vm.startPrank(operator);
        registry.revokeRole(registry.REPORTER_ROLE(), reporters[0]);
        vm.stopPrank();
        vm.prank(outsider);
        fx.setReporter(reporters[0], false);
        assertFalse(fx.isReporter(reporters[0]));
        (uint8 count,) = fx.reporterSet();
        assertEq(count, 3);
    }

    function test_setReporter_RevertWhen_StrangerRemovesLiveReporter() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, outsider));
        vm.prank(outsider);
        fx.setReporter(reporters[0], false);
    }

    function test_setQuorum_MustBeMajority() external {
        vm.startPrank(operator);
        vm.expectRevert(IFxOracle.FxInvalidConfig.selector);
        fx.setQuorum(2); // 2 of 4 is no majority
        vm.expectRevert(IFxOracle.FxInvalidConfig.selector);
        fx.setQuorum(5);
        fx.setQuorum(4);
        vm.stopPrank();
        (, uint8 quorum) = fx.reporterSet();
        assertEq(quorum, 4);
    }

    function test_configurePair_RevertWhen_NotOperatorOrInvalid() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, regulator));
        vm.prank(regulator);
        fx.configurePair("EURSGD", MAX_AGE, BAND, BREAKER, true);
        vm.startPrank(operator);
        vm.expectRevert(IFxOracle.FxInvalidConfig.selector);
        fx.configurePair("EUREUR", MAX_AGE, BAND, BREAKER, true);
        vm.expectRevert(IFxOracle.FxInvalidConfig.selector);
        fx.configurePair("EURSGD", 0, BAND, BREAKER, true);
        vm.stopPrank();
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────

    function publishSpread(bytes6 pairId, uint256[] memory mids, uint256[] memory who) external {
        _publishSpread(pairId, mids, who);
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
        return (uint256(uint48(pairId)) << 208) | (mid << 160) | (bid << 112) | (ask << 64) | (at << 32) | (1 << 24) | seq;
    }
}


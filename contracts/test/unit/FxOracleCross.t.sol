// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxOracle} from "../../src/interfaces/IFxOracle.sol";
import {Roles} from "../../src/libraries/Roles.sol";
import {OracleBase} from "../utils/OracleBase.sol";

/// @notice Cross rates through EUR: configured explicitly, each judged by its own breaker.
contract FxOracleCrossTest is OracleBase {
    uint256 internal constant EUR_CNY = 7_8000_0000;
    uint256 internal constant EUR_THB = 37_5000_0000;
    uint256 internal constant CNY_THB = 4_8076_9230; // EUR_THB * 1e8 / EUR_CNY, rounded down

    function setUp() public override {
        super.setUp();
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, true);
    }

    // ─── configured crosses only ─────────────────────────────────────────────────────────

    function test_cross_DerivesThroughBaseCurrency() external {
        uint256[] memory cnyMids = _three(EUR_CNY, EUR_CNY + 7800, EUR_CNY); // 1 bp dispersion
        _publishSpread("EURCNY", cnyMids, _who(3));
        _publish("EURTHB", EUR_THB);
        IFxOracle.Rate memory rate = fx.latest("CNY", "THB");
        assertTrue(rate.derived);
        assertEq(rate.mid, CNY_THB);
        assertEq(rate.dispersionBps, 1, "dispersion of the legs adds up");
        assertEq(rate.roundRef, (uint256(1) << 128) | 1);
        assertLt(rate.bid, rate.mid);
        assertGt(rate.ask, rate.mid);
        (uint256 mid18,) = fx.settlementRate("CNY", "THB");
        assertEq(mid18, rate.mid * 1e10);
        assertEq(fx.pair("CNYTHB").lastMid, CNY_THB, "the breaker's reference follows the legs");
    }

    /// @dev Regression (Low): today any pair of EUR legs is readable as a settlement rate, with no breaker
    ///      of its own.
    function test_cross_RevertWhen_NotConfigured() external {
        _publishTwo("EURCNY", EUR_CNY, "EURHKD", 8_4630_0000);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("CNYHKD")));
        fx.settlementRate("CNY", "HKD");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("HKDCNY")));
        fx.latest("HKD", "CNY");
    }

    function test_cross_RevertWhen_NoDataYet() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("CNYTHB"), 0));
        fx.latest("CNY", "THB");
    }

    function test_cross_RevertWhen_LegStaleOrDelisted() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        uint256 published = vm.getBlockTimestamp();
        vm.warp(published + MAX_AGE + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFxOracle.FxStale.selector, bytes6("EURCNY"), published, MAX_AGE + 1, MAX_AGE)
        );
        fx.latest("CNY", "THB");
        vm.prank(operator);
        fx.configurePair("EURCNY", MAX_AGE, BAND, BREAKER, false);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("EURCNY")));
        fx.latest("CNY", "THB");
    }

    function test_publish_RevertWhen_RoundCarriesCross() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairIsDerived.selector, bytes6("CNYTHB")));
        this.publish("CNYTHB", CNY_THB);
    }

    // ─── the cross's own breaker (finding Low: a cross jumped ~2x the threshold unhalted) ─

    /// @dev Regression: each leg moves 4 % (under its 5 % breaker) in opposite directions; the cross moves
    ///      7.7 %. Today nothing halts and the cross is served.
    function test_cross_HaltsWhenDerivedRateJumpsBeyondItsThreshold() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        uint256 cny = EUR_CNY * 104 / 100;
        uint256 thb = EUR_THB * 96 / 100;
        uint256 crossMid = thb * 1e8 / cny;
        uint256 jump = (CNY_THB - crossMid) * 10_000 / CNY_THB;
        vm.expectEmit(address(fx));
        emit IFxOracle.BreakerTripped("CNYTHB", (uint256(2) << 128) | 2, CNY_THB, crossMid, jump);
        _publishTwo("EURCNY", cny, "EURTHB", thb);
        assertFalse(fx.pair("EURCNY").halted, "each leg is within its own threshold");
        assertFalse(fx.pair("EURTHB").halted);
        assertTrue(fx.pair("CNYTHB").halted);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("CNYTHB")));
        fx.settlementRate("CNY", "THB");
    }

    /// @dev A EUR-wide move (both legs +6 % in one round) halts each leg on its own breaker but leaves the
    ///      cross where it was: the cross stays live and readable.
    function test_cross_EurWideMoveDoesNotHaltCross() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publishTwo("EURCNY", EUR_CNY * 106 / 100, "EURTHB", EUR_THB * 106 / 100);
        assertTrue(fx.pair("EURCNY").halted);
        assertTrue(fx.pair("EURTHB").halted);
        assertFalse(fx.pair("CNYTHB").halted, "the cross did not move");
        (uint256 mid,) = fx.settlementRate("CNY", "THB"); // served although both legs are halted
        assertEq(mid, CNY_THB * 1e10);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("EURCNY")));
        fx.settlementRate("EUR", "CNY");
    }

    /// @dev The decision for a leg halted by its own breaker: the cross is judged on its own move, so a
    ///      leg's jump that shows in the cross halts the cross as well.
    function test_cross_LegJumpAloneHaltsCrossToo() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publishTwo("EURCNY", EUR_CNY * 106 / 100, "EURTHB", EUR_THB);
        assertTrue(fx.pair("EURCNY").halted);
        assertTrue(fx.pair("CNYTHB").halted);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("CNYTHB")));
        fx.latest("CNY", "THB");
    }

    /// @dev Documented fail-safe: legs published in separate rounds during a EUR-wide move show the cross a
    ///      transient jump, and it halts.
    function test_cross_LegsInSeparateRoundsDuringEurMoveHaltCross() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCNY", EUR_CNY * 106 / 100);
        _publish("EURTHB", EUR_THB * 106 / 100);
        assertTrue(fx.pair("CNYTHB").halted);
    }

    function test_cross_SmallMoveKeepsCrossLive() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publishTwo("EURCNY", EUR_CNY * 102 / 100, "EURTHB", EUR_THB * 99 / 100);
        assertFalse(fx.pair("CNYTHB").halted);
        assertEq(fx.pair("CNYTHB").lastMid, (EUR_THB * 99 / 100) * 1e8 / (EUR_CNY * 102 / 100));
    }

    function test_cross_InverseReadUsesCrossState() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        IFxOracle.Rate memory rate = fx.latest("THB", "CNY");
        assertTrue(rate.derived);
        assertEq(rate.mid, uint256(1e16) / CNY_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publishTwo("EURCNY", EUR_CNY * 104 / 100, "EURTHB", EUR_THB * 96 / 100);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("CNYTHB")));
        fx.latest("THB", "CNY");
    }

    function test_resume_RegulatorResumesCross() external {
        _haltCross();
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, operator, Roles.REGULATOR));
        vm.prank(operator);
        fx.resume("CNYTHB");
        vm.expectEmit(address(fx));
        emit IFxOracle.PairResumed("CNYTHB", regulator);
        vm.prank(regulator);
        fx.resume("CNYTHB");
        (uint256 mid,) = fx.settlementRate("CNY", "THB");
        assertEq(mid, uint256(fx.pair("CNYTHB").lastMid) * 1e10, "resumed at the post-jump level");
    }

    // ─── configureCross ──────────────────────────────────────────────────────────────────

    function test_configureCross_ListingTakesCurrentDerivedMid() external {
        _publishTwo("EURCNY", EUR_CNY, "EURHKD", 8_4630_0000);
        uint256 expected = uint256(8_4630_0000) * 1e8 / EUR_CNY;
        vm.expectEmit(address(fx));
        emit IFxOracle.CrossConfigured("CNYHKD", 300, true, expected);
        vm.prank(operator);
        fx.configureCross("CNYHKD", 300, true);
        IFxOracle.Pair memory state = fx.pair("CNYHKD");
        assertTrue(state.listed && state.derived);
        assertEq(state.breakerBps, 300);
        assertEq(state.lastMid, expected);
        assertEq(fx.crosses().length, 2);
    }

    /// @dev Relisting judges the move made while the cross was not listed: here ~7.4 % against a 5 % breaker.
    function test_configureCross_RelistingJudgesTheMoveWhileUnlisted() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, false);
        assertEq(fx.crosses().length, 0);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairNotListed.selector, bytes6("CNYTHB")));
        fx.latest("CNY", "THB");
        // legs move apart in two steps within their own breakers while the cross is not judged
        for (uint256 i = 1; i <= 2; ++i) {
            vm.warp(vm.getBlockTimestamp() + 1 hours);
            _publishTwo("EURCNY", EUR_CNY * (100 + 4 * i) / 100, "EURTHB", EUR_THB);
        }
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, true);
        assertTrue(fx.pair("CNYTHB").halted, "the jump while unlisted halts it");
        assertEq(fx.pair("CNYTHB").lastMid, EUR_THB * 1e8 / (EUR_CNY * 108 / 100));
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("CNYTHB")));
        fx.latest("CNY", "THB");
    }

    function test_configureCross_RelistingWithinItsBreakerTakesTheCurrentMid() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, false);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publishTwo("EURCNY", EUR_CNY * 102 / 100, "EURTHB", EUR_THB);
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, true);
        assertFalse(fx.pair("CNYTHB").halted);
        assertEq(fx.pair("CNYTHB").lastMid, EUR_THB * 1e8 / (EUR_CNY * 102 / 100));
    }

    function test_configureCross_NeverLiftsHalt() external {
        _haltCross();
        vm.startPrank(operator);
        fx.configureCross("CNYTHB", 10_000, true);
        fx.configureCross("CNYTHB", BREAKER, false);
        fx.configureCross("CNYTHB", BREAKER, true);
        vm.stopPrank();
        assertTrue(fx.pair("CNYTHB").halted);
    }

    function test_configureCross_RevertWhen_CallerNotOperator() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxUnauthorized.selector, regulator, Roles.OPERATOR));
        vm.prank(regulator);
        fx.configureCross("CNYHKD", BREAKER, true);
    }

    function test_configureCross_RevertWhen_PairIdMalformed() external {
        bytes6[4] memory bad = [bytes6("EURCNY"), bytes6("CNYEUR"), bytes6("CNYCNY"), bytes6("cnyhkd")];
        vm.startPrank(operator);
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInvalidPairId.selector, bad[i]));
            fx.configureCross(bad[i], BREAKER, true);
        }
        vm.stopPrank();
    }

    function test_configureCross_RevertWhen_BreakerOutOfRange() external {
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxBreakerOutOfRange.selector, 0, 1, 10_000));
        fx.configureCross("CNYHKD", 0, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxBreakerOutOfRange.selector, 10_001, 1, 10_000));
        fx.configureCross("CNYHKD", 10_001, true);
        vm.stopPrank();
    }

    function test_configureCross_RevertWhen_InverseListed() external {
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInverseListed.selector, bytes6("THBCNY"), bytes6("CNYTHB")));
        vm.prank(operator);
        fx.configureCross("THBCNY", BREAKER, true);
    }

    function test_configure_RevertWhen_PairListedAsOtherKind() external {
        vm.startPrank(operator);
        fx.configurePair("CNYHKD", MAX_AGE, BAND, BREAKER, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairListedAsOtherKind.selector, bytes6("CNYHKD")));
        fx.configureCross("CNYHKD", BREAKER, true);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairListedAsOtherKind.selector, bytes6("CNYTHB")));
        fx.configurePair("CNYTHB", MAX_AGE, BAND, BREAKER, false);
        vm.stopPrank();
    }

    /// @dev A pair published directly can become a cross once delisted; its round history stays readable.
    function test_configureCross_DelistedDirectPairBecomesCross() external {
        vm.prank(operator);
        fx.configurePair("CNYHKD", MAX_AGE, BAND, BREAKER, true);
        _publish("CNYHKD", 1_0850_0000);
        _publishTwo("EURCNY", EUR_CNY, "EURHKD", 8_4630_0000);
        vm.startPrank(operator);
        fx.configurePair("CNYHKD", MAX_AGE, BAND, BREAKER, false);
        fx.configureCross("CNYHKD", BREAKER, true);
        vm.stopPrank();
        IFxOracle.Rate memory rate = fx.latest("CNY", "HKD");
        assertTrue(rate.derived);
        assertEq(rate.mid, uint256(8_4630_0000) * 1e8 / EUR_CNY);
        assertEq(fx.roundData("CNYHKD", 1).mid, 1_0850_0000);
    }

    function test_configureCross_RevertWhen_TooMany() external {
        bytes3[7] memory codes = [bytes3("CNY"), "HKD", "THB", "SGD", "USD", "JPY", "GBP"];
        uint256 listed = 1; // CNYTHB from setUp
        vm.startPrank(operator);
        for (uint256 i; i < codes.length; ++i) {
            for (uint256 j = i + 1; j < codes.length; ++j) {
                bytes6 id = bytes6(bytes.concat(codes[i], codes[j]));
                if (id == bytes6("CNYTHB")) continue;
                if (listed == fx.MAX_CROSSES()) {
                    vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxTooManyCrosses.selector, 16));
                    fx.configureCross(id, BREAKER, true);
                    vm.stopPrank();
                    return;
                }
                fx.configureCross(id, BREAKER, true);
                ++listed;
            }
        }
        revert("never reached the limit");
    }

    /// @dev A delisted cross listed direct again serves (and judges the next round against) its last
    ///      round's mid, not the derived mid its word held while it was a cross.
    function test_configurePair_CrossBecomingDirectAgainServesItsLastRound() external {
        vm.prank(operator);
        fx.configurePair("CNYHKD", MAX_AGE, BAND, BREAKER, true);
        _publish("CNYHKD", 1_0850_0000);
        _publishTwo("EURCNY", EUR_CNY, "EURHKD", 8_4630_0000);
        vm.startPrank(operator);
        fx.configurePair("CNYHKD", MAX_AGE, BAND, BREAKER, false);
        fx.configureCross("CNYHKD", BREAKER, true);
        fx.configureCross("CNYHKD", BREAKER, false);
        fx.configurePair("CNYHKD", MAX_AGE, BAND, BREAKER, true);
        vm.stopPrank();
        assertEq(fx.pair("CNYHKD").lastMid, 1_0850_0000);
        (uint256 mid18, uint256 roundRef) = fx.settlementRate("CNY", "HKD");
        assertEq(mid18, uint256(1_0850_0000) * 1e10);
        assertEq(roundRef, 1);
        assertEq(fx.latest("CNY", "HKD").mid, 1_0850_0000);
    }

    /// @dev settlementRate reads only the pairs' words; it answers exactly as latest() for a direct pair,
    ///      a cross, and the inverse of each.
    function testFuzz_settlementRate_MatchesLatest(uint256 cnyMove, uint256 thbMove) external {
        uint256 cny = EUR_CNY + bound(cnyMove, 0, EUR_CNY / 50);
        uint256 thb = EUR_THB - bound(thbMove, 0, EUR_THB / 50);
        _publishTwo("EURCNY", cny, "EURTHB", thb);
        bytes3[4] memory bases = [bytes3("EUR"), "CNY", "CNY", "THB"];
        bytes3[4] memory quotes = [bytes3("CNY"), "EUR", "THB", "CNY"];
        for (uint256 i; i < 4; ++i) {
            IFxOracle.Rate memory rate = fx.latest(bases[i], quotes[i]);
            (uint256 mid18, uint256 roundRef) = fx.settlementRate(bases[i], quotes[i]);
            assertEq(mid18, rate.mid * 1e10, "mid");
            assertEq(roundRef, rate.roundRef, "round");
        }
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────

    function publish(bytes6 pairId, uint256 mid) external {
        _publish(pairId, mid);
    }

    function _haltCross() internal {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publishTwo("EURCNY", EUR_CNY * 104 / 100, "EURTHB", EUR_THB * 96 / 100);
    }
}

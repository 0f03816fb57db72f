// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxOracle} from "../../src/interfaces/IFxOracle.sol";
import {IPvPEscrow} from "../../src/interfaces/IPvPEscrow.sol";
import {PvPEscrow} from "../../src/settlement/PvPEscrow.sol";
import {CorridorSigning} from "../utils/CorridorSigning.sol";
import {OracleBase} from "../utils/OracleBase.sol";

/// @notice Audit PoC (Medium). Promise: the operator can never exercise regulator powers; only the regulator
///         lifts a circuit-breaker halt (`resume`) or resets a sequence (`resetSequence`); "reconfiguring a pair
///         never lifts a halt". The halted flag lives in the state of one pair id, and `configureCross` /
///         `configurePair` only refuse to list a pair while its INVERSE is listed. So the operator delists the
///         halted pair and lists its inverse: a fresh state (not halted, sequence 0, and for a cross a breaker
///         reference taken from the post-jump legs) that every read of the currency pair then uses, because
///         `_rate` falls back to the inverse id. Each test asserts the halt survives and fails today.
contract OracleHaltBypassAudit is OracleBase, CorridorSigning {
    uint256 internal constant EUR_CNY = 7_8000_0000;
    uint256 internal constant EUR_THB = 37_5000_0000;

    function setUp() public override {
        super.setUp();
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, true);
    }

    /// @dev Legs move 4 % in opposite directions (each under its own 5 % breaker): CNY/THB jumps ~7.7 %, the
    ///      cross halts (as in FxOracleCross.t.sol's `_haltCross`).
    function _haltCross() internal {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publishTwo("EURCNY", EUR_CNY * 104 / 100, "EURTHB", EUR_THB * 96 / 100);
        assertTrue(fx.pair("CNYTHB").halted, "precondition: the cross is halted by its breaker");
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxPairHalted.selector, bytes6("CNYTHB")));
        fx.settlementRate("CNY", "THB");
    }

    function test_OperatorCannotLiftCrossHaltByListingItsInverse() external {
        _haltCross();
        vm.startPrank(operator);
        fx.configureCross("CNYTHB", BREAKER, false); // keeps halted = true on CNYTHB...
        // ...and THBCNY would be a fresh, live state: refused, a currency pair keeps its one id.
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInverseListed.selector, bytes6("THBCNY"), bytes6("CNYTHB")));
        fx.configureCross("THBCNY", BREAKER, true);
        vm.stopPrank();
        // No regulator has resumed anything: the currency pair must still be refused.
        vm.expectRevert();
        fx.settlementRate("CNY", "THB");
    }

    /// @dev The same bypass, end to end: a PvP swap settles against the rate the breaker halted.
    function test_PvPCannotSettleAgainstHaltedCrossAfterOperatorRelistsInverse() external {
        PvPEscrow pvp = new PvPEscrow(registry, fx);
        vm.startPrank(operator);
        registry.setSettlementContract(address(pvp), true);
        pvp.listAsset(address(cny), "CNY", 2, true);
        pvp.listAsset(address(thb), "THB", 2, true);
        vm.stopPrank();
        vm.prank(alice);
        cny.approve(address(pvp), type(uint256).max);
        vm.prank(bob);
        thb.approve(address(pvp), type(uint256).max);

        _haltCross();
        uint256 mid = uint256(fx.pair("CNYTHB").lastMid) * 1e10; // the rate the breaker refused
        vm.startPrank(operator);
        fx.configureCross("CNYTHB", BREAKER, false);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInverseListed.selector, bytes6("THBCNY"), bytes6("CNYTHB")));
        fx.configureCross("THBCNY", BREAKER, true);
        vm.stopPrank();
        uint256 amountA = 10_000_00;
        IPvPEscrow.Swap memory swap = IPvPEscrow.Swap({
            partyA: alice,
            tokenA: address(cny),
            amountA: amountA,
            partyB: bob,
            tokenB: address(thb),
            amountB: amountA * mid / 1e18,
            rate: mid,
            maxDeviationBps: 10,
            deadline: uint64(vm.getBlockTimestamp() + 1 hours),
            nonce: 1
        });
        IPvPEscrow.Signature memory sigA = _signSwap(aliceKey, swap, address(pvp));
        IPvPEscrow.Signature memory sigB = _signSwap(bobKey, swap, address(pvp));
        vm.expectRevert(); // a halted pair must stop settlement until the regulator resumes it
        pvp.settle(swap, sigA, sigB);
    }

    /// @dev Direct pair: EUR/CNY halted by a 20 % jump. The operator delists it and lists CNY/EUR; the next
    ///      honest round of CNYEUR has no breaker reference (lastMid 0) and sequence 0, and EUR/CNY is served again.
    ///      This also does what `resetSequence` (regulator-only) does.
    function test_OperatorCannotLiftDirectHaltByListingItsInverse() external {
        _halt("EURCNY");
        assertTrue(fx.pair("EURCNY").halted, "precondition");
        vm.startPrank(operator);
        fx.configurePair("EURCNY", MAX_AGE, BAND, BREAKER, false);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxInverseListed.selector, bytes6("CNYEUR"), bytes6("EURCNY")));
        fx.configurePair("CNYEUR", MAX_AGE, BAND, BREAKER, true);
        vm.stopPrank();
        vm.expectRevert(); // EUR/CNY is still halted: nobody resumed it
        fx.settlementRate("EUR", "CNY");
    }

    /// @dev Variant: a leg halted by a 20 % jump (the existing cross CNY/THB halts with it, as designed). The
    ///      operator then configures a NEW cross on the halted leg: its breaker reference is the post-jump
    ///      derived mid, so the jump never "shows in the cross", and CNY/HKD is served from the halted EUR/CNY
    ///      value although nobody resumed anything.
    function test_OperatorCannotServeHaltedLegThroughNewlyConfiguredCross() external {
        _publishTwo("EURCNY", EUR_CNY, "EURHKD", 8_4630_0000);
        _publish("EURTHB", EUR_THB);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish("EURCNY", EUR_CNY * 80 / 100);
        assertTrue(fx.pair("EURCNY").halted && fx.pair("CNYTHB").halted, "precondition: leg and its cross halted");
        vm.prank(operator);
        fx.configureCross("CNYHKD", BREAKER, true);
        vm.expectRevert(); // the only CNY leg there is is halted and was never resumed
        fx.settlementRate("CNY", "HKD");
    }

    /// @dev Informational: staleness is a safety check, yet the operator alone (no delay, no veto) can mark past
    ///      working days as holidays and make a 20-day-old rate "fresh" again (bounded only by the 31-day
    ///      calendar cap, beyond the 14-day MAX_MAX_AGE the README calls the bound).
    function test_OperatorCannotReviveStaleRateByMarkingPastDaysHolidays() external {
        _publishTwo("EURCNY", EUR_CNY, "EURTHB", EUR_THB);
        uint256 published = vm.getBlockTimestamp();
        vm.warp(published + 20 days);
        try fx.settlementRate("CNY", "THB") {
            revert("precondition: a 20-day-old fixing is stale");
        } catch {}
        uint256[] memory days_ = new uint256[](21);
        for (uint256 i; i < days_.length; ++i) {
            days_[i] = published / 1 days + i;
        }
        vm.expectRevert(
            abi.encodeWithSelector(IFxOracle.FxHolidayNotAhead.selector, days_[0], vm.getBlockTimestamp() / 1 days)
        );
        vm.prank(operator);
        fx.setHolidays(days_, true);
        vm.expectRevert(); // a 20-day-old fixing must stay unusable
        fx.settlementRate("CNY", "THB");
    }
}

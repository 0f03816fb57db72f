// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHashedTimelockEscrow} from "../../src/interfaces/IHashedTimelockEscrow.sol";
import {HashedTimelockEscrow} from "../../src/settlement/HashedTimelockEscrow.sol";
import {SettlementBase} from "../utils/SettlementBase.sol";

/// @notice Audit PoC (High). Promise: every swap ends with both legs settled or both refunded.
///         A linked-ledger swap: alice locks CNY for bob on ledger A (expiry T_A), bob locks THB for alice on
///         ledger B (expiry T_B < T_A). Once the secret is public on ledger B, any supervisory hold on ledger A
///         (operator suspension, regulator freeze or pause) that is still in force at T_A makes the swap end
///         one-legged FOREVER: bob's claim is refused while the hold lasts, and from T_A on the refund window is
///         open, so alice takes her CNY back the moment the hold is lifted (or, for a hold on bob, at once).
///         README "Known limits" says the swap stays one-legged "for as long as the freeze lasts": it stays so
///         permanently, and the operator (not only the regulator) can cause it with suspend/reinstate.
///         Each test asserts the safe outcome (bob, who paid on ledger B, ends up paid on ledger A) and fails today.
contract HtlcAtomicityUnderSupervisionAudit is SettlementBase {
    uint256 internal constant CNY_AMOUNT = 10_000_00;
    uint256 internal constant THB_AMOUNT = 49_500_00;

    HashedTimelockEscrow internal htlcB; // ledger B's escrow (THB)
    IHashedTimelockEscrow.LockTerms internal legA; // alice -> bob, CNY, on ledger A
    IHashedTimelockEscrow.LockTerms internal legB; // bob -> alice, THB, on ledger B
    uint64 internal expiryA;
    uint64 internal expiryB;

    function setUp() public override {
        super.setUp();
        htlcB = new HashedTimelockEscrow(registry, MAX_LOCK);
        vm.prank(operator);
        registry.setSettlementContract(address(htlcB), true);
        vm.prank(bob);
        thb.approve(address(htlcB), type(uint256).max);

        expiryA = uint64(vm.getBlockTimestamp() + 2 hours);
        expiryB = uint64(vm.getBlockTimestamp() + 1 hours);

        LockRequest memory requestA = _request(alice, bob, CNY_AMOUNT, SECRET, expiryA);
        vm.prank(alice);
        htlc.lock(_params(requestA), _proof(requestA));
        legA = requestA.terms;

        LockRequest memory requestB = _request(bob, alice, THB_AMOUNT, SECRET, expiryB);
        requestB.terms.token = address(thb);
        vm.prank(bob);
        htlcB.lock(_params(requestB), _proof(requestB));
        legB = requestB.terms;
    }

    /// @dev Alice (through the bridge) claims bob's THB on ledger B: the secret is now public.
    function _initiatorClaimsOnLedgerB() internal {
        vm.warp(vm.getBlockTimestamp() + 10 minutes);
        htlcB.claim(_claimTerms(legB), SECRET);
        assertEq(thb.balanceOf(alice), OPENING + THB_AMOUNT);
    }

    /// @dev Everyone then does what the contracts let them: bob (or the bridge) tries to claim, anyone refunds.
    function _tryClaimA() internal {
        try htlc.claim(_claimTerms(legA), SECRET) {} catch {}
    }

    function _tryRefundA() internal {
        try htlc.refund(legA) {} catch {}
    }

    function _assertBothLegsSettled() internal view {
        assertEq(thb.balanceOf(bob), OPENING - THB_AMOUNT, "bob paid his THB leg on ledger B");
        assertEq(cny.balanceOf(bob), OPENING + CNY_AMOUNT, "bob never received the CNY leg: swap ended one-legged");
    }

    /// @dev The operator (not the regulator) suspends bob on ledger A across T_A, then reinstates him.
    function test_SwapEndsBothLegsSettledOrRefunded_WhenOperatorSuspendsReceiverAcrossExpiry() external {
        _initiatorClaimsOnLedgerB();
        vm.prank(operator);
        registry.suspend(bob);
        _tryClaimA(); // refused: bob is suspended
        vm.warp(expiryA);
        _tryRefundA(); // alice takes her CNY back
        vm.prank(operator);
        registry.reinstate(bob);
        _tryClaimA(); // too late: expired and settled
        _assertBothLegsSettled();
    }

    /// @dev The regulator freezes bob in CNY before the claim on ledger A and lifts the freeze after T_A:
    ///      "one-legged for as long as the freeze lasts" - in fact for ever.
    function test_SwapEndsBothLegsSettledOrRefunded_WhenFreezeOnReceiverOutlastsClaimWindow() external {
        vm.prank(regulator);
        cny.freeze(bob); // e.g. a sanctions-screening hit on ledger A; ledger B knows nothing of it
        _initiatorClaimsOnLedgerB(); // alice can still take bob's THB
        _tryClaimA(); // refused: bob frozen in CNY
        vm.warp(expiryA);
        _tryRefundA(); // alice is not frozen: refunded at once
        vm.prank(regulator);
        cny.unfreeze(bob);
        _tryClaimA();
        _assertBothLegsSettled();
    }

    /// @dev A currency-wide pause on ledger A (incident response) that spans T_A: after the unpause the
    ///      refund is open and the claim is not. Every in-flight swap whose secret was out is one-legged.
    function test_SwapEndsBothLegsSettledOrRefunded_WhenPauseSpansExpiry() external {
        _initiatorClaimsOnLedgerB();
        vm.prank(regulator);
        cny.pause();
        _tryClaimA(); // refused: paused
        vm.warp(expiryA + 30 minutes);
        vm.prank(regulator);
        cny.unpause();
        _tryClaimA(); // expired
        _tryRefundA();
        _assertBothLegsSettled();
    }
}

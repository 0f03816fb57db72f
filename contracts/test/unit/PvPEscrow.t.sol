// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IPvPEscrow} from "../../src/interfaces/IPvPEscrow.sol";
import {ISettlementToken} from "../../src/interfaces/ISettlementToken.sol";
import {PvPEscrow} from "../../src/settlement/PvPEscrow.sol";
import {PlainToken} from "../mocks/PlainToken.sol";
import {StubFxOracle} from "../mocks/StubFxOracle.sol";
import {SettlementBase} from "../utils/SettlementBase.sol";

contract PvPEscrowTest is SettlementBase {
    uint256 internal constant AMOUNT = 100_000_00; // 100,000.00 CNY

    // ─── settle ──────────────────────────────────────────────────────────────────────────

    function test_settle_MovesBothLegs() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        bytes32 id = pvp.swapId(swap);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.Settled(id, alice, bob, AMOUNT, swap.amountB, CNY_HKD, oracle.round());
        vm.prank(carol); // any relayer
        bytes32 returned = pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertEq(returned, id);
        assertEq(cny.balanceOf(alice), OPENING - AMOUNT);
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
        assertEq(hkd.balanceOf(alice), OPENING + swap.amountB);
        assertEq(hkd.balanceOf(bob), OPENING - swap.amountB);
        assertEq(cny.balanceOf(address(pvp)) + hkd.balanceOf(address(pvp)), 0);
        assertTrue(pvp.nonceUsed(alice, 1));
    }

    function test_settle_RevertWhen_Replayed() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        pvp.settle(swap, sigA, sigB);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPNonceUsed.selector, pvp.swapId(swap), alice, 1));
        pvp.settle(swap, sigA, sigB);
    }

    function test_settle_RevertWhen_DeadlinePassed() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        vm.warp(swap.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPDeadlinePassed.selector, pvp.swapId(swap), swap.deadline));
        pvp.settle(swap, sigA, sigB);
    }

    function test_settle_AtDeadlineStillSettles() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.warp(swap.deadline);
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
    }

    function test_settle_RevertWhen_SignatureOfWrongParty() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        bytes32 id = pvp.swapId(swap);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, id, bob));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(carolKey, swap));
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, id, alice));
        pvp.settle(swap, _sign(bobKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_TermsAlteredAfterSigning() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        swap.amountA += 1; // a relayer trying to take one more minor unit
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, pvp.swapId(swap), alice));
        pvp.settle(swap, sigA, sigB);
    }

    function test_settle_RevertWhen_SignatureFromOtherEscrow() external {
        PvPEscrow other = new PvPEscrow(registry, oracle);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        IPvPEscrow.Signature memory foreignSigA = _signFor(aliceKey, swap, address(other));
        assertEq(other.swapId(swap), _swapDigest(swap, address(other)));
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, pvp.swapId(swap), alice));
        pvp.settle(swap, foreignSigA, _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_SignatureFromOtherChain() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        vm.chainId(block.chainid + 1);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, pvp.swapId(swap), alice));
        pvp.settle(swap, sigA, sigB);
    }

    function test_settle_RevertWhen_SameParty() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.partyB = alice;
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidParties.selector, pvp.swapId(swap)));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(aliceKey, swap));
    }

    function test_settle_RevertWhen_SameToken() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.tokenB = address(cny);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidParties.selector, pvp.swapId(swap)));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_ZeroAmount() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.amountA = 0;
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPZeroAmount.selector, pvp.swapId(swap)));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_TokenNotListed() external {
        vm.prank(operator);
        pvp.listAsset(address(hkd), "HKD", 2, false);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPTokenNotListed.selector, address(hkd)));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_RateZero() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.rate = 0;
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidRate.selector, pvp.swapId(swap), 0));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_AmountsDisagreeWithRate() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        uint256 expected = swap.amountB;
        swap.amountB = expected - 2;
        vm.expectRevert(
            abi.encodeWithSelector(IPvPEscrow.PvPAmountsInconsistentWithRate.selector, pvp.swapId(swap), expected, expected - 2)
        );
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_RateOutsideTolerance() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.rate = CNY_HKD * 10_100 / 10_000; // 100 bps above the mid, tolerance 50
        swap.amountB = AMOUNT * swap.rate / 1e18;
        vm.expectRevert(
            abi.encodeWithSelector(IPvPEscrow.PvPRateOutsideTolerance.selector, pvp.swapId(swap), swap.rate, CNY_HKD, 100, 50)
        );
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_AtToleranceEdge() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.rate = CNY_HKD * 10_050 / 10_000; // exactly 50 bps
        swap.amountB = AMOUNT * swap.rate / 1e18;
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertEq(hkd.balanceOf(alice), OPENING + swap.amountB);
    }

    function test_settle_RevertWhen_OracleUnavailable() external {
        oracle.setUnavailable("CNY", "HKD", true);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.expectRevert(abi.encodeWithSelector(StubFxOracle.StubPairUnavailable.selector, bytes3("CNY"), bytes3("HKD")));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_LegBUnfunded_NothingMoves() external {
        vm.prank(bob);
        hkd.approve(address(pvp), 0);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(pvp), 0, swap.amountB)
        );
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertEq(cny.balanceOf(alice), OPENING, "leg A moved without leg B");
        assertFalse(pvp.nonceUsed(alice, 1));
    }

    function test_settle_RevertWhen_PartyFrozen() external {
        vm.prank(regulator);
        hkd.freeze(bob);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenAccountFrozen.selector, bob));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertEq(cny.balanceOf(alice), OPENING);
    }

    function test_settle_RevertWhen_CurrencyPaused() external {
        vm.prank(regulator);
        cny.pause();
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_check_ReportsWithoutReverting() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        assertEq(uint8(pvp.check(swap, sigA, sigB)), uint8(IPvPEscrow.Rejection.None));
        assertEq(uint8(pvp.check(swap, sigA, sigA)), uint8(IPvPEscrow.Rejection.InvalidSignatureB));
        oracle.setUnavailable("CNY", "HKD", true);
        assertEq(uint8(pvp.check(swap, sigA, sigB)), uint8(IPvPEscrow.Rejection.OracleUnavailable));
    }

    // ─── escrow mode ─────────────────────────────────────────────────────────────────────

    function test_fund_SecondFundingSettlesBoth() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        bytes32 id = pvp.swapId(swap);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        assertEq(cny.balanceOf(address(pvp)), AMOUNT);
        assertEq(pvp.escrowState(id), 1);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.Settled(id, alice, bob, AMOUNT, swap.amountB, CNY_HKD, oracle.round());
        pvp.fund(swap, IPvPEscrow.Leg.B, _signFunding(bobKey, id, IPvPEscrow.Leg.B, address(pvp))); // relayed with bob's consent
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
        assertEq(hkd.balanceOf(alice), OPENING + swap.amountB);
        assertEq(cny.balanceOf(address(pvp)) + hkd.balanceOf(address(pvp)), 0);
        assertEq(pvp.escrowState(id), 1 | 2 | 4);
    }

    function test_fund_ClosesDirectSettlement() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPNonceUsed.selector, pvp.swapId(swap), alice, 7));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_fund_RevertWhen_LegFundedTwice() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.startPrank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPLegState.selector, pvp.swapId(swap), IPvPEscrow.Leg.A, 1));
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.stopPrank();
    }

    function test_fundingDigest_MatchesIndependentEncoding() external view {
        bytes32 id = keccak256("swap");
        bytes32 structHash = keccak256(abi.encode(keccak256("Funding(bytes32 swapId,uint8 leg)"), id, uint8(1)));
        assertEq(
            pvp.fundingDigest(id, IPvPEscrow.Leg.B),
            keccak256(abi.encodePacked("\x19\x01", _domain("Corridor PvPEscrow", address(pvp)), structHash))
        );
    }

    /// @dev The `Swap` signature (public in every settle calldata) is not a consent to escrow mode.
    function test_fund_RevertWhen_RelayedWithSwapSignatureInsteadOfFundingConsent() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, pvp.swapId(swap), bob));
        vm.prank(carol);
        pvp.fund(swap, IPvPEscrow.Leg.B, _expand(_sign(bobKey, swap)));
    }

    function test_fund_RevertWhen_LegBOfTermsAlreadySettled() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPNonceUsed.selector, pvp.swapId(swap), alice, 7));
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
    }

    function test_fund_RevertWhen_RelayedWithoutPayerSignature() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, pvp.swapId(swap), alice));
        vm.prank(carol);
        pvp.fund(swap, IPvPEscrow.Leg.A, _expand(_sign(carolKey, swap)));
    }

    function test_fund_RevertWhen_SecondFundingAfterDeadline() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.warp(swap.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPDeadlinePassed.selector, pvp.swapId(swap), swap.deadline));
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
    }

    function test_fund_RevertWhen_RateLeftToleranceBeforeSecondFunding() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        oracle.setMid("CNY", "HKD", CNY_HKD * 2);
        vm.expectRevert(
            abi.encodeWithSelector(IPvPEscrow.PvPRateOutsideTolerance.selector, pvp.swapId(swap), CNY_HKD, CNY_HKD * 2, 5000, 50)
        );
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
    }

    function test_reclaim_ReturnsFundedLegToPayerAfterDeadline() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.warp(swap.deadline + 1);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.Reclaimed(pvp.swapId(swap), IPvPEscrow.Leg.A, alice, AMOUNT);
        vm.prank(carol); // anyone may trigger it; only alice is paid
        pvp.reclaim(swap, IPvPEscrow.Leg.A);
        assertEq(cny.balanceOf(alice), OPENING);
        assertEq(cny.balanceOf(carol), OPENING);
        assertEq(cny.balanceOf(address(pvp)), 0);
    }

    function test_reclaim_RevertWhen_AtOrBeforeDeadline() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.warp(swap.deadline);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPReclaimTooEarly.selector, pvp.swapId(swap), swap.deadline));
        pvp.reclaim(swap, IPvPEscrow.Leg.A);
    }

    function test_reclaim_RevertWhen_Twice() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.warp(swap.deadline + 1);
        pvp.reclaim(swap, IPvPEscrow.Leg.A);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPLegState.selector, pvp.swapId(swap), IPvPEscrow.Leg.A, 1 | 8));
        pvp.reclaim(swap, IPvPEscrow.Leg.A);
    }

    function test_reclaim_RevertWhen_LegNeverFunded() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.warp(swap.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPLegState.selector, pvp.swapId(swap), IPvPEscrow.Leg.B, 1));
        pvp.reclaim(swap, IPvPEscrow.Leg.B);
    }

    function test_reclaim_RevertWhen_Settled() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
        vm.warp(swap.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPLegState.selector, pvp.swapId(swap), IPvPEscrow.Leg.A, 7));
        pvp.reclaim(swap, IPvPEscrow.Leg.A);
    }

    function test_fund_RevertWhen_AfterReclaim() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.warp(swap.deadline + 1);
        pvp.reclaim(swap, IPvPEscrow.Leg.A);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPLegState.selector, pvp.swapId(swap), IPvPEscrow.Leg.B, 9));
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
    }

    // ─── batch netting ───────────────────────────────────────────────────────────────────

    function test_settleBatch_NetsToGrossBalances() external {
        // alice sells CNY to bob, bob sells the same CNY back: gross 2 x legs, net nearly nothing.
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](2);
        swaps[0] = _swap(AMOUNT, 1);
        swaps[1] = _reverse(swaps[0], 2);
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        // Gross: each CNY leg and each HKD leg once in each direction; net: nothing moves.
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.BatchNetted(1, address(cny), 2 * AMOUNT, 0);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.BatchNetted(1, address(hkd), 2 * swaps[0].amountB, 0);
        (uint256 batchId, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(batchId, 1);
        assertEq(settled, 2);
        assertEq(cny.balanceOf(alice), OPENING);
        assertEq(hkd.balanceOf(alice), OPENING);
        assertTrue(pvp.nonceUsed(alice, 1) && pvp.nonceUsed(bob, 2));
        assertEq(cny.balanceOf(alice) + cny.balanceOf(bob), 2 * OPENING);
        assertEq(cny.balanceOf(address(pvp)) + hkd.balanceOf(address(pvp)), 0);
    }

    function test_settleBatch_SkipsInvalidSwapAndReportsIt() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](3);
        swaps[0] = _swap(AMOUNT, 1);
        swaps[1] = _swap(2 * AMOUNT, 2);
        swaps[2] = _swap(3 * AMOUNT, 3);
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        sigsB[1] = sigsA[1]; // swap 1 carries a bad signature
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.SettledInBatch(pvp.swapId(swaps[0]), 1);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.BatchSwapRejected(1, 1, pvp.swapId(swaps[1]), IPvPEscrow.Rejection.InvalidSignatureB);
        (, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(settled, 2);
        assertEq(cny.balanceOf(bob), OPENING + 4 * AMOUNT);
        assertFalse(pvp.nonceUsed(alice, 2));
    }

    function test_settleBatch_RefusesDuplicateWithinBatch() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](2);
        swaps[0] = _swap(AMOUNT, 1);
        swaps[1] = swaps[0];
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.BatchSwapRejected(1, 1, pvp.swapId(swaps[1]), IPvPEscrow.Rejection.NonceUsed);
        pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
    }

    function test_settleBatch_RevertWhen_Malformed() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](1);
        swaps[0] = _swap(AMOUNT, 1);
        IPvPEscrow.Signature[] memory none = new IPvPEscrow.Signature[](0);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPBatchMalformed.selector, 1, 0, 0));
        pvp.settleBatch(swaps, none, none);
    }

    function test_settleBatch_RevertWhole_WhenNetDebtorCannotPay() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](1);
        swaps[0] = _swap(AMOUNT, 1);
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        vm.prank(alice);
        cny.approve(address(pvp), 0);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(pvp), 0, AMOUNT)
        );
        pvp.settleBatch(swaps, sigsA, sigsB);
        assertFalse(pvp.nonceUsed(alice, 1));
    }

    /// @dev Finding: netting let a bank frozen in HKD intermediate HKD between two others (its net HKD
    ///      position is zero, so no HKD transfer ever touched it) and earn on its CNY leg.
    function test_settleBatch_RejectsFrozenIntermediaryWithZeroNetPosition() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](3);
        swaps[0] = _between(alice, bob, AMOUNT, 1); // bob pays HKD to alice
        swaps[1] = _between(bob, carol, AMOUNT, 1); // carol pays the same HKD to bob: bob's HKD net is zero
        swaps[2] = _between(dave, carol, AMOUNT, 1); // unrelated, settles
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        vm.prank(regulator);
        hkd.freeze(bob);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.BatchSwapRejected(1, 0, pvp.swapId(swaps[0]), IPvPEscrow.Rejection.PartyNotPermitted);
        vm.expectEmit(address(pvp));
        emit IPvPEscrow.BatchSwapRejected(1, 1, pvp.swapId(swaps[1]), IPvPEscrow.Rejection.PartyNotPermitted);
        (, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(settled, 1);
        assertEq(cny.balanceOf(bob), OPENING, "the frozen bank's other leg did not move");
        assertEq(hkd.balanceOf(bob), OPENING);
        assertEq(cny.balanceOf(dave), OPENING - AMOUNT, "the unrelated swap settled");
    }

    function test_settleBatch_RejectsSuspendedParty() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](2);
        swaps[0] = _between(alice, bob, AMOUNT, 1);
        swaps[1] = _between(bob, alice, AMOUNT, 2); // nets bob to zero in both currencies
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        vm.prank(operator);
        registry.suspend(bob);
        (, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(settled, 0, "a suspended bank settles nothing, netted or not");
        assertFalse(pvp.nonceUsed(alice, 1) || pvp.nonceUsed(bob, 2));
    }

    function test_settleBatch_RejectsSwapInPausedCurrency() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](2);
        swaps[0] = _between(alice, bob, AMOUNT, 1);
        swaps[1] = _between(bob, alice, AMOUNT, 2); // fully offsetting: nothing would move at all
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        vm.prank(regulator);
        hkd.pause();
        (, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(settled, 0, "a paused currency settles nothing, netted or not");
    }

    function test_check_ReportsPartyNotPermitted() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.prank(regulator);
        hkd.freeze(alice);
        assertEq(
            uint8(pvp.check(swap, _sign(aliceKey, swap), _sign(bobKey, swap))),
            uint8(IPvPEscrow.Rejection.PartyNotPermitted)
        );
    }

    // ─── nonces are consumed only by their owner ─────────────────────────────────────────

    /// @dev Finding: the first funding of leg B consumed party A's nonce without A's signature, so any
    ///      bank could burn a victim's nonce with a dust swap naming the victim as party A.
    function test_fund_LegBFirst_DoesNotConsumePartyANonce() external {
        IPvPEscrow.Swap memory dust = _swap(100, 5); // alice (the victim) as party A, bob funds leg B
        vm.prank(bob);
        pvp.fund(dust, IPvPEscrow.Leg.B, "");
        assertFalse(pvp.nonceUsed(alice, 5), "nonce burnt without alice's signature");
        vm.warp(dust.deadline + 1);
        pvp.reclaim(dust, IPvPEscrow.Leg.B);
        IPvPEscrow.Swap memory real = _swap(AMOUNT, 5); // alice's genuine swap with the same nonce
        pvp.settle(real, _sign(aliceKey, real), _sign(bobKey, real));
        assertTrue(pvp.nonceUsed(alice, 5));
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
    }

    function test_fund_LegBFirst_ThenLegASettlesAndConsumesNonce() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 8);
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        assertTrue(pvp.nonceUsed(alice, 8));
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
        assertEq(hkd.balanceOf(alice), OPENING + swap.amountB);
        assertEq(cny.balanceOf(address(pvp)) + hkd.balanceOf(address(pvp)), 0);
    }

    function test_fund_LegBParked_DirectSettleLeavesItReclaimable() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 9);
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPNonceUsed.selector, pvp.swapId(swap), alice, 9));
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.warp(swap.deadline + 1);
        pvp.reclaim(swap, IPvPEscrow.Leg.B);
        assertEq(hkd.balanceOf(bob), OPENING - swap.amountB, "bob paid exactly once");
        assertEq(hkd.balanceOf(address(pvp)), 0);
    }

    /// @dev Finding: a leg parked by a party frozen since still paid out when the other leg arrived.
    function test_fund_RevertWhen_ParkedPayerFrozenBeforeSecondFunding() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.prank(regulator);
        cny.freeze(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IPvPEscrow.PvPPartyNotPermitted.selector, pvp.swapId(swap), address(cny), alice)
        );
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, "");
        assertEq(cny.balanceOf(address(pvp)), AMOUNT, "parked leg stays in escrow");
    }

    /// @dev Finding: delisting the escrow stranded legs parked in it.
    function test_delistedEscrow_ParkedLegStillReclaimable() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 7);
        vm.prank(alice);
        pvp.fund(swap, IPvPEscrow.Leg.A, "");
        vm.prank(operator);
        registry.setSettlementContract(address(pvp), false);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, address(pvp)));
        vm.prank(bob);
        pvp.fund(swap, IPvPEscrow.Leg.B, ""); // nothing new goes into a delisted escrow
        vm.warp(swap.deadline + 1);
        pvp.reclaim(swap, IPvPEscrow.Leg.A);
        assertEq(cny.balanceOf(alice), OPENING, "parked leg returned from the delisted escrow");
    }

    // ─── price checks that rounding cannot dodge ─────────────────────────────────────────

    /// @dev Finding: with ±1 minor unit of rounding, 0.01 CNY for 0.02 HKD (a rate of 2.0 against a mid
    ///      of 1.085) cleared a 10 bps tolerance.
    function test_settle_RevertWhen_DustSwapOutsideBand() external {
        IPvPEscrow.Swap memory swap = _swap(1, 1);
        swap.amountB = 2;
        swap.maxDeviationBps = 10;
        bytes32 id = pvp.swapId(swap);
        vm.expectRevert(
            abi.encodeWithSelector(IPvPEscrow.PvPRateOutsideTolerance.selector, id, 2e18, CNY_HKD, 8434, 10)
        );
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settleBatch_RejectsDustSwapsOutsideBand() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](50);
        for (uint256 i; i < 50; ++i) {
            swaps[i] = _swap(1, i + 1);
            swaps[i].amountB = 2;
            swaps[i].maxDeviationBps = 10;
        }
        (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) = _signAll(swaps);
        (, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(settled, 0);
        assertEq(hkd.balanceOf(alice), OPENING);
    }

    function test_settle_RevertWhen_ToleranceTooWide() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.maxDeviationBps = pvp.MAX_DEVIATION_BPS() + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IPvPEscrow.PvPToleranceTooWide.selector, pvp.swapId(swap), swap.maxDeviationBps, pvp.MAX_DEVIATION_BPS()
            )
        );
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function test_settle_RevertWhen_AmountTooLarge() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.amountA = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPAmountTooLarge.selector, pvp.swapId(swap)));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
    }

    function _between(address payerA, address payerB, uint256 amountCny, uint256 nonce)
        internal
        view
        returns (IPvPEscrow.Swap memory swap)
    {
        swap = _swap(amountCny, nonce);
        (swap.partyA, swap.partyB) = (payerA, payerB);
    }

    // ─── listing ─────────────────────────────────────────────────────────────────────────

    function test_listAsset_RevertWhen_NotOperator() external {
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPUnauthorized.selector, alice));
        vm.prank(alice);
        pvp.listAsset(address(cny), "CNY", 2, true);
    }

    function test_listAsset_RevertWhen_NotAContract() external {
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidAsset.selector, outsider));
        vm.prank(operator);
        pvp.listAsset(outsider, "CNY", 2, true);
    }

    /// @dev A settlement reads both legs' figures from one word per ordered token pair: delisting either token
    ///      clears it in both directions, relisting restores it, and the other pairs are untouched.
    function test_listAsset_KeepsEveryPairOfListedTokens() external {
        vm.prank(operator);
        pvp.listAsset(address(hkd), "HKD", 2, false);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        assertEq(uint8(pvp.check(swap, _sign(aliceKey, swap), _sign(bobKey, swap))), uint8(IPvPEscrow.Rejection.TokenNotListed));
        IPvPEscrow.Swap memory back = _reverse(swap, 2);
        back.tokenA = address(hkd);
        back.tokenB = address(cny);
        assertEq(uint8(pvp.check(back, _sign(bobKey, back), _sign(aliceKey, back))), uint8(IPvPEscrow.Rejection.TokenNotListed));
        vm.prank(operator);
        pvp.listAsset(address(hkd), "HKD", 2, true);
        assertEq(uint8(pvp.check(swap, _sign(aliceKey, swap), _sign(bobKey, swap))), uint8(IPvPEscrow.Rejection.None));
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertTrue(pvp.nonceUsed(alice, 1));
    }

    function test_listAsset_RevertWhen_TooManyAssets() external {
        uint256 max = pvp.MAX_ASSETS();
        vm.startPrank(operator);
        for (uint256 i = 3; i < max; ++i) {
            pvp.listAsset(address(new PlainToken("TKN", 2)), "TKN", 2, true);
        }
        PlainToken extra = new PlainToken("XTR", 2);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPTooManyAssets.selector, max));
        pvp.listAsset(address(extra), "XTR", 2, true);
        pvp.listAsset(address(thb), "THB", 2, false); // delisting frees a place
        pvp.listAsset(address(extra), "XTR", 2, true);
        vm.stopPrank();
    }

    // ─── fuzz ────────────────────────────────────────────────────────────────────────────

    function testFuzz_settle_ConservesBothCurrencies(uint256 amount, uint16 offsetBps) external {
        // From 1,000.00 CNY up: one minor unit of rounding in amountB is then far inside the tolerance
        // (dust amounts are refused by the effective-rate check; see test_settle_RevertWhen_DustSwapOutsideBand).
        amount = bound(amount, 1_000_00, OPENING / 2);
        offsetBps = uint16(bound(offsetBps, 0, 50));
        IPvPEscrow.Swap memory swap = _swap(amount, 1);
        swap.rate = CNY_HKD * (10_000 + offsetBps) / 10_000;
        swap.amountB = amount * swap.rate / 1e18;
        vm.assume(swap.amountB > 0);
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertEq(cny.balanceOf(alice) + cny.balanceOf(bob), 2 * OPENING);
        assertEq(hkd.balanceOf(alice) + hkd.balanceOf(bob), 2 * OPENING);
        assertEq(cny.balanceOf(bob) - OPENING, amount);
        assertEq(hkd.balanceOf(alice) - OPENING, swap.amountB);
    }

    function testFuzz_settle_RefusesAnyOtherSigner(uint256 key) external {
        key = bound(key, 1, 1e60);
        vm.assume(key != aliceKey);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        vm.expectRevert(abi.encodeWithSelector(IPvPEscrow.PvPInvalidSignature.selector, pvp.swapId(swap), alice));
        pvp.settle(swap, _sign(key, swap), _sign(bobKey, swap));
    }

    function testFuzz_settle_ToleranceBoundary(uint16 deviation, uint16 tolerance) external {
        deviation = uint16(bound(deviation, 0, 2000));
        tolerance = uint16(bound(tolerance, 0, 1000));
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.rate = CNY_HKD * (10_000 + deviation) / 10_000;
        swap.amountB = AMOUNT * swap.rate / 1e18;
        swap.maxDeviationBps = tolerance;
        if (deviation > tolerance) vm.expectRevert();
        pvp.settle(swap, _sign(aliceKey, swap), _sign(bobKey, swap));
        assertEq(pvp.nonceUsed(alice, 1), deviation <= tolerance);
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────

    function _reverse(IPvPEscrow.Swap memory swap, uint256 nonce) internal view returns (IPvPEscrow.Swap memory r) {
        r = _swap(swap.amountA, nonce);
        (r.partyA, r.partyB) = (bob, alice);
    }

    function _signAll(IPvPEscrow.Swap[] memory swaps) internal view returns (IPvPEscrow.Signature[] memory sigsA, IPvPEscrow.Signature[] memory sigsB) {
        sigsA = new IPvPEscrow.Signature[](swaps.length);
        sigsB = new IPvPEscrow.Signature[](swaps.length);
        for (uint256 i; i < swaps.length; ++i) {
            sigsA[i] = _sign(_keyOf(swaps[i].partyA), swaps[i]);
            sigsB[i] = _sign(_keyOf(swaps[i].partyB), swaps[i]);
        }
    }

    function _keyOf(address party) internal view returns (uint256) {
        if (party == alice) return aliceKey;
        if (party == bob) return bobKey;
        if (party == carol) return carolKey;
        return daveKey;
    }
}

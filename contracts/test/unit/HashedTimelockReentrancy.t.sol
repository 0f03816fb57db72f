// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHashedTimelockEscrow} from "../../src/interfaces/IHashedTimelockEscrow.sol";
import {SettlementBase} from "../utils/SettlementBase.sol";
import {ReentrantToken} from "../mocks/ReentrantToken.sol";

/// @notice The HTLC has no reentrancy guard; these tests show why it needs none: a token that calls
///         back into the escrow mid-transfer finds the lock already settled or already open.
contract HashedTimelockReentrancyTest is SettlementBase {
    uint256 internal constant AMOUNT = 50_000_00;
    ReentrantToken internal hostile;
    uint64 internal expiry;

    function setUp() public override {
        super.setUp();
        hostile = new ReentrantToken();
        hostile.mint(alice, OPENING);
        vm.prank(alice);
        hostile.approve(address(htlc), type(uint256).max);
        expiry = uint64(vm.getBlockTimestamp() + 1 hours);
    }

    function _hostileRequest(uint256 nonceSalt) internal view returns (LockRequest memory r) {
        r = _request(alice, bob, AMOUNT, SECRET, expiry);
        r.terms.token = address(hostile);
        r.swapId = bytes32(nonceSalt);
        _rebind(r);
    }

    function _lockHostile() internal returns (LockRequest memory request, bytes32 lockId) {
        request = _hostileRequest(1);
        vm.prank(alice);
        lockId = htlc.lock(_params(request), _proof(request));
    }

    function _assertReentryRefused(bytes memory expected) internal view {
        assertTrue(hostile.reentered(), "token did call back");
        assertFalse(hostile.reentrySucceeded(), "re-entrant call must fail");
        assertEq(hostile.reentryRevertData(), expected);
    }

    function test_reentrantToken_CannotDoubleSpend_OnClaim() external {
        (LockRequest memory request, bytes32 lockId) = _lockHostile();
        hostile.arm(address(htlc), abi.encodeCall(htlc.claim, (_claimTerms(request.terms), SECRET)));
        vm.prank(carol);
        htlc.claim(_claimTerms(request.terms), SECRET);
        _assertReentryRefused(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, lockId));
        assertEq(hostile.balanceOf(bob), AMOUNT);
        assertEq(hostile.balanceOf(address(htlc)), 0);
    }

    function test_reentrantToken_CannotDoubleSpend_OnRefund() external {
        (LockRequest memory request, bytes32 lockId) = _lockHostile();
        vm.warp(expiry);
        hostile.arm(address(htlc), abi.encodeCall(htlc.refund, (request.terms)));
        htlc.refund(request.terms);
        _assertReentryRefused(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, lockId));
        assertEq(hostile.balanceOf(alice), OPENING);
        assertEq(hostile.balanceOf(address(htlc)), 0);
    }

    function test_reentrantToken_CannotDoubleLock() external {
        LockRequest memory request = _hostileRequest(1);
        LockRequest memory again = _hostileRequest(2);
        bytes memory signature = _authorise(aliceKey, again, 7);
        bytes32 lockId = htlc.lockIdOf(alice, request.terms.hashlock);
        hostile.arm(address(htlc), abi.encodeCall(htlc.lockFor, (_params(again), _proof(again), _auth(again, 7, signature))));
        vm.prank(alice);
        htlc.lock(_params(request), _proof(request));
        _assertReentryRefused(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockExists.selector, lockId));
        assertEq(hostile.balanceOf(alice), OPENING - AMOUNT);
        assertEq(hostile.balanceOf(address(htlc)), AMOUNT);
        assertFalse(htlc.authorisationUsed(alice, 7), "the refused re-entry left no trace");
    }
}

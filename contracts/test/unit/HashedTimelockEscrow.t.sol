// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHashedTimelockEscrow} from "../../src/interfaces/IHashedTimelockEscrow.sol";
import {ISettlementToken} from "../../src/interfaces/ISettlementToken.sol";
import {HashedTimelockEscrow} from "../../src/settlement/HashedTimelockEscrow.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {SettlementBase} from "../utils/SettlementBase.sol";

contract HashedTimelockEscrowTest is SettlementBase {
    uint256 internal constant AMOUNT = 50_000_00;
    uint64 internal expiry;

    function setUp() public override {
        super.setUp();
        expiry = uint64(vm.getBlockTimestamp() + 1 hours);
    }

    function _open() internal returns (LockRequest memory request, bytes32 lockId) {
        request = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.prank(alice);
        lockId = htlc.lock(_params(request), _proof(request));
    }

    /// @dev The lock a claim with preimage `guess` names (alice's hashlock sha256(guess)): never locked.
    function _wrongId(bytes32 guess) internal view returns (bytes32) {
        return htlc.lockIdOf(alice, _hashlock(guess));
    }

    // ─── lock ────────────────────────────────────────────────────────────────────────────

    function test_lock_ParksFundsAndCommits() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes32 lockId = htlc.lockIdOf(alice, request.terms.hashlock);
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Locked(
            request.terms.hashlock, request.swapId, address(cny), alice, bob, AMOUNT, expiry, request.quoteHash
        );
        vm.prank(alice);
        assertEq(htlc.lock(_params(request), _proof(request)), lockId);
        assertTrue(htlc.isOpen(lockId));
        assertEq(htlc.storedCommitment(lockId), htlc.commitmentOf(request.terms));
        assertEq(cny.balanceOf(address(htlc)), AMOUNT);
        assertEq(cny.balanceOf(alice), OPENING - AMOUNT);
    }

    /// @dev `lock` names no sender: whoever calls it locks its own funds, so nobody can lock another's.
    function test_lock_SenderIsTheCaller() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.prank(carol);
        bytes32 lockId = htlc.lock(_params(request), _proof(request));
        assertEq(lockId, htlc.lockIdOf(carol, request.terms.hashlock));
        request.terms.sender = carol;
        assertEq(htlc.storedCommitment(lockId), htlc.commitmentOf(request.terms));
        assertEq(cny.balanceOf(carol), OPENING - AMOUNT);
        assertEq(cny.balanceOf(alice), OPENING, "alice's funds untouched");
    }

    function test_lock_RevertWhen_ZeroAmount() external {
        LockRequest memory req0 = _request(alice, bob, 0, SECRET, expiry);
        vm.expectRevert(IHashedTimelockEscrow.HtlcZeroAmount.selector);
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
    }

    function test_lock_RevertWhen_ReceiverIsSenderOrZero() external {
        LockRequest memory req0 = _request(alice, alice, AMOUNT, SECRET, expiry);
        LockRequest memory req1 = _request(alice, address(0), AMOUNT, SECRET, expiry);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidReceiver.selector, alice));
        htlc.lock(_params(req0), _proof(req0));
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidReceiver.selector, address(0)));
        htlc.lock(_params(req1), _proof(req1));
        vm.stopPrank();
    }

    function test_lock_RevertWhen_ZeroHashlock() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        request.terms.hashlock = bytes32(0);
        vm.expectRevert(IHashedTimelockEscrow.HtlcZeroHashlock.selector);
        vm.prank(alice);
        htlc.lock(_params(request), _proof(request));
    }

    function test_lock_RevertWhen_ExpiryNotInFuture() external {
        uint64 nowTs = uint64(vm.getBlockTimestamp());
        LockRequest memory req0 = _request(alice, bob, AMOUNT, SECRET, nowTs);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcExpiryInPast.selector, nowTs, vm.getBlockTimestamp()));
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
    }

    function test_lock_RevertWhen_ExpiryBeyondMaximum() external {
        uint64 tooFar = uint64(vm.getBlockTimestamp() + MAX_LOCK + 1);
        LockRequest memory req0 = _request(alice, bob, AMOUNT, SECRET, tooFar);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcExpiryTooFar.selector, tooFar, vm.getBlockTimestamp() + MAX_LOCK)
        );
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
    }

    function test_lock_AtMaximumExpiry() external {
        LockRequest memory req0 = _request(alice, bob, AMOUNT, SECRET, uint64(vm.getBlockTimestamp() + MAX_LOCK));
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
        assertEq(cny.balanceOf(address(htlc)), AMOUNT);
    }

    function test_lock_RevertWhen_LockIdReused() external {
        (, bytes32 lockId) = _open();
        LockRequest memory again = _request(alice, carol, 1, SECRET, expiry);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockExists.selector, lockId));
        vm.prank(alice);
        htlc.lock(_params(again), _proof(again));
    }

    function test_lock_SameHashlockByOtherSenderIsAnotherLock() external {
        _open();
        LockRequest memory counter = _request(bob, alice, AMOUNT, SECRET, expiry - 10 minutes);
        vm.prank(bob);
        bytes32 counterId = htlc.lock(_params(counter), _proof(counter));
        assertTrue(htlc.isOpen(counterId));
        assertEq(cny.balanceOf(address(htlc)), 2 * AMOUNT);
    }

    /// @dev The quote hash is recomputed from the proof: terms altered after signing recover to someone else.
    function test_lock_RevertWhen_QuoteTermsAltered() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        IHashedTimelockEscrow.QuoteProof memory proof = _proof(request);
        proof.termsHash = keccak256("other terms");
        vm.expectPartialRevert(IHashedTimelockEscrow.HtlcQuoteNotSigned.selector);
        vm.prank(alice);
        htlc.lock(_params(request), proof);
    }

    function test_lock_RevertWhen_QuoteExpired() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.warp(request.quoteValidUntil + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcQuoteExpired.selector, request.quoteHash, request.quoteValidUntil)
        );
        vm.prank(alice);
        htlc.lock(_params(request), _proof(request));
    }

    function test_lock_RevertWhen_QuoteOutlivesLock() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        request.quoteValidUntil = expiry + 1;
        _rebind(request);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcQuoteOutlivesLock.selector, request.quoteHash, expiry + 1, expiry)
        );
        vm.prank(alice);
        htlc.lock(_params(request), _proof(request));
    }

    function test_lock_RevertWhen_ReceiverNotParticipant() external {
        LockRequest memory req0 = _request(alice, outsider, AMOUNT, SECRET, expiry);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcTransferNotPermitted.selector, address(cny), alice, outsider)
        );
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
    }

    function test_lock_RevertWhen_ReceiverFrozen() external {
        LockRequest memory req0 = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.prank(regulator);
        cny.freeze(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcTransferNotPermitted.selector, address(cny), alice, bob)
        );
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
        assertEq(cny.balanceOf(alice), OPENING);
    }

    function test_lock_RevertWhen_SenderFrozen() external {
        LockRequest memory req0 = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.prank(regulator);
        cny.freeze(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcTransferNotPermitted.selector, address(cny), alice, bob)
        );
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
    }

    function test_lock_RevertWhen_SenderSuspended() external {
        LockRequest memory req0 = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.prank(operator);
        registry.suspend(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcTransferNotPermitted.selector, address(cny), alice, bob)
        );
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
    }

    function test_lock_RevertWhen_TokenPaused() external {
        LockRequest memory req0 = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.prank(regulator);
        cny.pause();
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcTransferNotPermitted.selector, address(cny), alice, bob)
        );
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
    }

    // ─── lockFor (relayed) ───────────────────────────────────────────────────────────────

    function test_lockFor_RelayerLocksWithAuthorisation() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory signature = _authorise(aliceKey, request, 42);
        vm.prank(carol);
        bytes32 lockId = htlc.lockFor(_params(request), _proof(request), _auth(request, 42, signature));
        assertTrue(htlc.isOpen(lockId));
        assertTrue(htlc.authorisationUsed(alice, 42));
        assertEq(cny.balanceOf(alice), OPENING - AMOUNT);
    }

    function test_lockFor_RevertWhen_AuthorisationReplayedAfterClaim() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory signature = _authorise(aliceKey, request, 42);
        htlc.lockFor(_params(request), _proof(request), _auth(request, 42, signature));
        htlc.claim(_claimTerms(request.terms), SECRET);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcAuthorisationUsed.selector, alice, 42));
        htlc.lockFor(_params(request), _proof(request), _auth(request, 42, signature));
        assertEq(cny.balanceOf(alice), OPENING - AMOUNT, "alice paid twice");
    }

    function test_lockFor_RevertWhen_SignedByAnotherAccount() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory signature = _authorise(bobKey, request, 1);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidAuthorisation.selector, alice));
        htlc.lockFor(_params(request), _proof(request), _auth(request, 1, signature));
    }

    function test_lockFor_RevertWhen_TermsAltered() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory signature = _authorise(aliceKey, request, 1);
        request.terms.receiver = carol; // a relayer redirecting the funds
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidAuthorisation.selector, alice));
        htlc.lockFor(_params(request), _proof(request), _auth(request, 1, signature));
    }

    function test_lockFor_RevertWhen_ReplayedOnAnotherContract() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory signature = _authorise(aliceKey, request, 1);
        HashedTimelockEscrow other = new HashedTimelockEscrow(registry, MAX_LOCK);
        vm.prank(operator);
        registry.setSettlementContract(address(other), true);
        vm.prank(alice);
        cny.approve(address(other), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidAuthorisation.selector, alice));
        other.lockFor(_params(request), _proof(request), _auth(request, 1, signature));
    }

    function test_lockFor_RevertWhen_ReplayedOnAnotherChain() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory signature = _authorise(aliceKey, request, 1);
        vm.chainId(block.chainid + 7);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidAuthorisation.selector, alice));
        htlc.lockFor(_params(request), _proof(request), _auth(request, 1, signature));
    }

    function test_lockForBatch_LocksAll() external {
        (
            LockRequest[] memory requests,
            IHashedTimelockEscrow.QuoteProof[] memory quotes,
            uint256[] memory nonces,
            bytes[] memory signatures
        ) = _batchOf(3);
        bytes32[] memory ids = htlc.lockForBatch(_batch(requests, quotes, nonces, signatures));
        assertEq(ids.length, 3);
        assertEq(cny.balanceOf(address(htlc)), 3 * AMOUNT + 3);
    }

    function test_lockForBatch_RevertWhen_Empty() external {
        vm.expectRevert(IHashedTimelockEscrow.HtlcBatchMalformed.selector);
        htlc.lockForBatch(new IHashedTimelockEscrow.RelayedLock[](0));
    }

    /// @dev Finding: one item submitted first by anyone (through lockFor) made the whole batch revert.
    function test_lockForBatch_FrontRunItemIsSkippedNotFatal() external {
        (
            LockRequest[] memory requests,
            IHashedTimelockEscrow.QuoteProof[] memory quotes,
            uint256[] memory nonces,
            bytes[] memory signatures
        ) = _batchOf(3);
        vm.prank(outsider); // a griefer copies item 1 from the mempool and submits it first
        htlc.lockFor(_params(requests[1]), quotes[1], _auth(requests[1], nonces[1], signatures[1]));
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.BatchLockSkipped(alice, nonces[1]);
        bytes32[] memory ids = htlc.lockForBatch(_batch(requests, quotes, nonces, signatures));
        assertEq(ids[1], bytes32(0), "skipped item reports no lock");
        assertTrue(htlc.isOpen(ids[0]) && htlc.isOpen(ids[2]), "the rest locked");
        assertEq(cny.balanceOf(address(htlc)), 3 * AMOUNT + 3, "each item locked exactly once");
        assertEq(cny.balanceOf(alice), OPENING - 3 * AMOUNT - 3);
    }

    function _batchOf(uint256 n)
        internal
        view
        returns (
            LockRequest[] memory requests,
            IHashedTimelockEscrow.QuoteProof[] memory quotes,
            uint256[] memory nonces,
            bytes[] memory signatures
        )
    {
        requests = new LockRequest[](n);
        quotes = new IHashedTimelockEscrow.QuoteProof[](n);
        nonces = new uint256[](n);
        signatures = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            requests[i] = _request(alice, bob, AMOUNT + i, keccak256(abi.encode(i)), expiry);
            quotes[i] = _proof(requests[i]);
            nonces[i] = i;
            signatures[i] = _authorise(aliceKey, requests[i], i);
        }
    }

    // ─── batches move each run of one party's locks in one token in one transfer ───────

    /// @dev A relayed item of `sender`'s in `token`, authorised with nonce `nonce`.
    function _item(address sender, uint256 key, address token, uint256 amount, uint256 nonce)
        internal
        view
        returns (IHashedTimelockEscrow.RelayedLock memory)
    {
        address receiver = sender == bob ? carol : bob;
        LockRequest memory request = _request(sender, receiver, amount, keccak256(abi.encode("run", nonce)), expiry);
        request.terms.token = token;
        return _relayed(request, _proof(request), nonce, _authorise(key, request, nonce));
    }

    function test_lockForBatch_PullsEachRunInOneTransfer() external {
        IHashedTimelockEscrow.RelayedLock[] memory items = new IHashedTimelockEscrow.RelayedLock[](5);
        items[0] = _item(alice, aliceKey, address(cny), 100, 1);
        items[1] = _item(alice, aliceKey, address(cny), 200, 2); // same run: one pull of 300
        items[2] = _item(alice, aliceKey, address(hkd), 400, 3); // token changes: new run
        items[3] = _item(bob, bobKey, address(hkd), 800, 4); // sender changes: new run
        items[4] = _item(alice, aliceKey, address(cny), 1600, 5); // alice in CNY again: new run
        vm.expectCall(address(cny), abi.encodeCall(cny.transferFrom, (alice, address(htlc), 300)), 1);
        vm.expectCall(address(hkd), abi.encodeCall(hkd.transferFrom, (alice, address(htlc), 400)), 1);
        vm.expectCall(address(hkd), abi.encodeCall(hkd.transferFrom, (bob, address(htlc), 800)), 1);
        vm.expectCall(address(cny), abi.encodeCall(cny.transferFrom, (alice, address(htlc), 1600)), 1);
        bytes32[] memory ids = htlc.lockForBatch(items);
        for (uint256 i; i < 5; ++i) {
            assertTrue(htlc.isOpen(ids[i]), "every item locked");
        }
        assertEq(cny.balanceOf(address(htlc)), 1900);
        assertEq(hkd.balanceOf(address(htlc)), 1200);
        assertEq(cny.balanceOf(alice), OPENING - 1900);
        assertEq(hkd.balanceOf(alice), OPENING - 400);
        assertEq(hkd.balanceOf(bob), OPENING - 800);
    }

    /// @dev A run's single pull is checked against the run's sum: a fee-on-transfer token is refused.
    function test_lockForBatch_RevertWhen_RunUnderReceived() external {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        fot.mint(alice, OPENING);
        vm.prank(alice);
        fot.approve(address(htlc), type(uint256).max);
        IHashedTimelockEscrow.RelayedLock[] memory items = new IHashedTimelockEscrow.RelayedLock[](2);
        items[0] = _item(alice, aliceKey, address(fot), 1000, 1);
        items[1] = _item(alice, aliceKey, address(fot), 2000, 2);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcAmountNotReceived.selector, 3000, 2970));
        htlc.lockForBatch(items);
        assertEq(fot.balanceOf(address(htlc)), 0);
    }

    function test_lock_RevertWhen_FeeOnTransfer() external {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        fot.mint(alice, OPENING);
        LockRequest memory request = _request(alice, bob, 1000, SECRET, expiry);
        request.terms.token = address(fot);
        vm.startPrank(alice);
        fot.approve(address(htlc), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcAmountNotReceived.selector, 1000, 990));
        htlc.lock(_params(request), _proof(request));
        vm.stopPrank();
    }

    function test_claimBatch_PaysEachRunInOneTransfer() external {
        IHashedTimelockEscrow.LockTerms[] memory terms = new IHashedTimelockEscrow.LockTerms[](4);
        bytes32[] memory secrets = new bytes32[](4);
        address[4] memory senders = [alice, carol, alice, dave];
        address[4] memory receivers = [bob, bob, carol, bob];
        for (uint256 i; i < 4; ++i) {
            secrets[i] = keccak256(abi.encode("claim run", i));
            LockRequest memory request = _request(senders[i], receivers[i], 100 * (i + 1), secrets[i], expiry);
            terms[i] = request.terms;
            vm.prank(senders[i]);
            htlc.lock(_params(request), _proof(request));
        }
        // runs by (token, receiver): bob 100 + 200, carol 300, bob 400
        vm.expectCall(address(cny), abi.encodeCall(cny.transfer, (bob, 300)), 1);
        vm.expectCall(address(cny), abi.encodeCall(cny.transfer, (carol, 300)), 1);
        vm.expectCall(address(cny), abi.encodeCall(cny.transfer, (bob, 400)), 1);
        assertEq(htlc.claimBatch(_claimTerms(terms), secrets), 4);
        assertEq(cny.balanceOf(bob), OPENING + 700);
        assertEq(cny.balanceOf(carol), OPENING - 200 + 300);
        assertEq(cny.balanceOf(address(htlc)), 0);
    }

    function test_refundBatch_PaysEachRunInOneTransfer() external {
        IHashedTimelockEscrow.LockTerms[] memory terms = new IHashedTimelockEscrow.LockTerms[](3);
        address[3] memory senders = [alice, alice, carol];
        for (uint256 i; i < 3; ++i) {
            LockRequest memory request =
                _request(senders[i], bob, 100 * (i + 1), keccak256(abi.encode("refund run", i)), expiry);
            terms[i] = request.terms;
            vm.prank(senders[i]);
            htlc.lock(_params(request), _proof(request));
        }
        vm.warp(expiry);
        vm.expectCall(address(cny), abi.encodeCall(cny.transfer, (alice, 300)), 1);
        vm.expectCall(address(cny), abi.encodeCall(cny.transfer, (carol, 300)), 1);
        assertEq(htlc.refundBatch(terms), 3);
        assertEq(cny.balanceOf(alice), OPENING);
        assertEq(cny.balanceOf(carol), OPENING);
        assertEq(cny.balanceOf(address(htlc)), 0);
    }

    /// @dev Compact signatures: a relayed authorisation with its `vs` parity bit flipped recovers to someone else.
    function test_lockFor_RevertWhen_CompactSignatureTampered() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        IHashedTimelockEscrow.Authorisation memory auth = _auth(request, 5, _authorise(aliceKey, request, 5));
        auth.vs ^= bytes32(uint256(1) << 255);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidAuthorisation.selector, alice));
        htlc.lockFor(_params(request), _proof(request), auth);
    }

    // ─── quote binding, verified on chain ────────────────────────────────────────────────

    /// @dev Finding: any quote hash was accepted (binding was self-declared).
    function test_lock_RevertWhen_QuoteNotSignedByQuoteSigner() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        IHashedTimelockEscrow.QuoteProof memory forged = _proofBy(aliceKey, request); // a bank signing its own quote
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcQuoteNotSigned.selector, request.quoteHash, alice)
        );
        vm.prank(alice);
        htlc.lock(_params(request), forged);
    }

    /// @dev Finding: `quoteValidUntil` was self-declared, so a stretched validity defeated the
    ///      free-option check. The signed validity is the only one that verifies.
    function test_lock_RevertWhen_QuoteValidityStretched() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        IHashedTimelockEscrow.QuoteProof memory proof = _proof(request); // signed for now + 5 minutes
        proof.validUntil = expiry - 1; // claims a longer life than the service signed
        vm.expectPartialRevert(IHashedTimelockEscrow.HtlcQuoteNotSigned.selector);
        vm.prank(alice);
        htlc.lock(_params(request), proof);
    }

    function test_lock_RevertWhen_QuoteSignerRoleRevoked() external {
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        vm.startPrank(operator);
        registry.revokeRole(registry.QUOTE_SIGNER_ROLE(), quoter);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.HtlcQuoteNotSigned.selector, request.quoteHash, quoter)
        );
        vm.prank(alice);
        htlc.lock(_params(request), _proof(request));
    }

    function test_quoteDigest_MatchesIndependentEncoding() external view {
        assertEq(htlc.quoteDigest(bytes32(uint256(7)), 1234), _quoteDigest(bytes32(uint256(7)), 1234));
    }

    // ─── a hashlock locks once, ever ─────────────────────────────────────────────────────

    /// @dev Finding: after a claim the commitment was deleted, so a re-signed retry with the same
    ///      hashlock locked again and paid the receiver twice.
    function test_lock_RevertWhen_HashlockReusedAfterClaim() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        htlc.claim(_claimTerms(request.terms), SECRET);
        LockRequest memory retry = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory resigned = _authorise(aliceKey, retry, 77);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcHashlockUsed.selector, lockId));
        htlc.lockFor(_params(retry), _proof(retry), _auth(retry, 77, resigned));
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT, "receiver paid once");
        assertTrue(htlc.isSettled(lockId));
        assertEq(htlc.storedCommitment(lockId), htlc.SETTLED());
    }

    function test_lock_RevertWhen_HashlockReusedAfterRefund() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.warp(expiry);
        htlc.refund(request.terms);
        LockRequest memory retry = _request(alice, bob, AMOUNT, SECRET, expiry + 1 hours);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcHashlockUsed.selector, lockId));
        vm.prank(alice);
        htlc.lock(_params(retry), _proof(retry));
    }

    // ─── delisting the escrow never strands what it holds ────────────────────────────────

    /// @dev Finding: delisting an escrow made it ineligible, so every open lock in it was stranded.
    function test_delistedEscrow_StillPaysOutClaimsAndRefundsButTakesNoNewLocks() external {
        (LockRequest memory request,) = _open();
        LockRequest memory other = _request(carol, bob, AMOUNT, keccak256("other"), expiry);
        vm.prank(carol);
        htlc.lock(_params(other), _proof(other));
        vm.prank(operator);
        registry.setSettlementContract(address(htlc), false);
        htlc.claim(_claimTerms(request.terms), SECRET);
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT, "claim paid out of the delisted escrow");
        vm.warp(expiry);
        htlc.refund(other.terms);
        assertEq(cny.balanceOf(carol), OPENING, "refund paid out of the delisted escrow");
        LockRequest memory fresh = _request(alice, bob, AMOUNT, keccak256("fresh"), expiry + 1 hours);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, address(htlc)));
        vm.prank(alice);
        htlc.lock(_params(fresh), _proof(fresh));
    }

    // ─── freezes reach locked funds ──────────────────────────────────────────────────────

    /// @dev Finding: a payer frozen after locking still paid out through claim. Now the claim is held: the
    ///      preimage is recorded, nothing moves, the refund is closed, and the receiver is paid once the
    ///      freeze lifts (even after expiry).
    function test_claim_HeldWhileSenderFrozen_PaidWhenLifted() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.prank(regulator);
        cny.freeze(alice);
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.ClaimHeld(lockId, SECRET);
        htlc.claim(_claimTerms(request.terms), SECRET);
        assertEq(cny.balanceOf(address(htlc)), AMOUNT, "funds stay in escrow");
        assertTrue(htlc.isClaimPending(lockId) && htlc.isOpen(lockId));
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcClaimHeld.selector, lockId));
        htlc.claim(_claimTerms(request.terms), SECRET); // still held
        vm.warp(expiry + 1 days);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcClaimPending.selector, lockId));
        htlc.refund(request.terms); // the funds are bob's now
        vm.prank(regulator);
        cny.unfreeze(alice);
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Claimed(lockId, SECRET);
        htlc.claim(_claimTerms(request.terms), SECRET);
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT, "paid once the hold lifted, after expiry");
        assertTrue(htlc.isSettled(lockId));
    }

    function test_claim_HeldWhileSenderSuspended() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.prank(operator);
        registry.suspend(alice);
        htlc.claim(_claimTerms(request.terms), SECRET);
        assertTrue(htlc.isClaimPending(lockId));
        assertEq(cny.balanceOf(bob), OPENING);
    }

    function test_claim_HeldWhileReceiverFrozen() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.prank(regulator);
        cny.freeze(bob);
        htlc.claim(_claimTerms(request.terms), SECRET);
        assertTrue(htlc.isClaimPending(lockId));
        assertEq(cny.balanceOf(bob), OPENING);
    }

    function test_claim_RevertWhen_WrongSecretDuringHold() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.prank(regulator);
        cny.freeze(bob);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, _wrongId(keccak256("guess"))));
        htlc.claim(_claimTerms(request.terms), keccak256("guess")); // a hold never lets a wrong preimage close the refund
        assertFalse(htlc.isClaimPending(lockId));
    }

    function test_claim_RevertWhen_ExpiredAndNothingPending() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.prank(regulator);
        cny.freeze(bob);
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockExpired.selector, lockId, expiry));
        htlc.claim(_claimTerms(request.terms), SECRET); // a hold after expiry opens nothing: the refund is the sender's
    }

    function test_refund_WaitsForUnfreezeThenReturnsToSender() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.prank(regulator);
        cny.freeze(alice);
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenAccountFrozen.selector, alice));
        htlc.refund(request.terms);
        vm.prank(regulator);
        cny.unfreeze(alice);
        htlc.refund(request.terms);
        assertEq(cny.balanceOf(alice), OPENING, "refund reaches its owner once the freeze is lifted");
        assertTrue(htlc.isSettled(lockId));
    }

    function test_claimBatch_HoldsLockOfFrozenPartyAndClaimsTheRest() external {
        IHashedTimelockEscrow.LockTerms[] memory terms = new IHashedTimelockEscrow.LockTerms[](2);
        bytes32[] memory secrets = new bytes32[](2);
        LockRequest memory held = _request(carol, bob, AMOUNT, SECRET, expiry);
        LockRequest memory paid = _request(alice, bob, AMOUNT, keccak256("other"), expiry);
        vm.prank(carol);
        bytes32 heldId = htlc.lock(_params(held), _proof(held));
        vm.prank(alice);
        htlc.lock(_params(paid), _proof(paid));
        vm.prank(regulator);
        cny.freeze(carol);
        (terms[0], terms[1]) = (held.terms, paid.terms);
        (secrets[0], secrets[1]) = (SECRET, keccak256("other"));
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.ClaimHeld(heldId, SECRET);
        assertEq(htlc.claimBatch(_claimTerms(terms), secrets), 1);
        assertTrue(htlc.isClaimPending(heldId), "the frozen payer's lock is held for its receiver");
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
        assertEq(htlc.claimBatch(_claimTerms(terms), secrets), 0, "a batch retries a held claim without reverting");
        vm.prank(regulator);
        cny.unfreeze(carol);
        vm.warp(expiry + 1);
        assertEq(htlc.claimBatch(_claimTerms(terms), secrets), 1, "the held claim pays once the hold lifts");
        assertEq(cny.balanceOf(bob), OPENING + 2 * AMOUNT);
    }

    function test_refundBatch_HoldsLockOfFrozenSenderAndRefundsTheRest() external {
        IHashedTimelockEscrow.LockTerms[] memory terms = new IHashedTimelockEscrow.LockTerms[](2);
        LockRequest memory held = _request(carol, bob, AMOUNT, SECRET, expiry);
        LockRequest memory back = _request(alice, bob, AMOUNT, keccak256("other"), expiry);
        vm.prank(carol);
        bytes32 heldId = htlc.lock(_params(held), _proof(held));
        vm.prank(alice);
        htlc.lock(_params(back), _proof(back));
        vm.prank(regulator);
        cny.freeze(carol);
        vm.warp(expiry);
        (terms[0], terms[1]) = (held.terms, back.terms);
        assertEq(htlc.refundBatch(terms), 1);
        assertTrue(htlc.isOpen(heldId));
        assertEq(cny.balanceOf(alice), OPENING);
    }

    // ─── claim ───────────────────────────────────────────────────────────────────────────

    function test_claim_PaysReceiverAndRevealsSecret() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Claimed(lockId, SECRET);
        vm.prank(carol); // anyone holding the secret
        htlc.claim(_claimTerms(request.terms), SECRET);
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
        assertEq(cny.balanceOf(carol), OPENING);
        assertFalse(htlc.isOpen(lockId));
        assertEq(cny.balanceOf(address(htlc)), 0);
    }

    function test_claim_RevertWhen_WrongSecret() external {
        (LockRequest memory request,) = _open();
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, _wrongId(keccak256("guess"))));
        htlc.claim(_claimTerms(request.terms), keccak256("guess"));
    }

    function test_claim_RevertWhen_AtExpiry() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockExpired.selector, lockId, expiry));
        htlc.claim(_claimTerms(request.terms), SECRET);
    }

    function test_claim_JustBeforeExpiry() external {
        (LockRequest memory request,) = _open();
        vm.warp(expiry - 1);
        htlc.claim(_claimTerms(request.terms), SECRET);
        assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
    }

    function test_claim_RevertWhen_Twice() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        htlc.claim(_claimTerms(request.terms), SECRET);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, lockId));
        htlc.claim(_claimTerms(request.terms), SECRET);
    }

    function test_claim_RevertWhen_ReceiverRedirected() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        request.terms.receiver = carol;
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcTermsMismatch.selector, lockId));
        htlc.claim(_claimTerms(request.terms), SECRET);
    }

    function test_claim_RevertWhen_AmountInflated() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        request.terms.amount += 1;
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcTermsMismatch.selector, lockId));
        htlc.claim(_claimTerms(request.terms), SECRET);
    }

    function test_claimBatch_SkipsSettledLocks() external {
        IHashedTimelockEscrow.LockTerms[] memory terms = new IHashedTimelockEscrow.LockTerms[](2);
        bytes32[] memory secrets = new bytes32[](2);
        for (uint256 i; i < 2; ++i) {
            secrets[i] = keccak256(abi.encode("s", i));
            LockRequest memory request = _request(alice, bob, AMOUNT, secrets[i], expiry);
            terms[i] = request.terms;
            vm.prank(alice);
            htlc.lock(_params(request), _proof(request));
        }
        htlc.claim(_claimTerms(terms[0]), secrets[0]); // the receiver claimed one directly
        assertEq(htlc.claimBatch(_claimTerms(terms), secrets), 1);
        assertEq(cny.balanceOf(bob), OPENING + 2 * AMOUNT);
    }

    function test_claimBatch_RevertWhen_AnyWrongSecret() external {
        (LockRequest memory request,) = _open();
        IHashedTimelockEscrow.LockTerms[] memory terms = new IHashedTimelockEscrow.LockTerms[](1);
        terms[0] = request.terms;
        bytes32[] memory secrets = new bytes32[](1);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, _wrongId(bytes32(0))));
        htlc.claimBatch(_claimTerms(terms), secrets);
    }

    // ─── refund ──────────────────────────────────────────────────────────────────────────

    function test_refund_ReturnsToSenderFromExpiry() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.warp(expiry);
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Refunded(lockId);
        vm.prank(carol); // anyone
        htlc.refund(request.terms);
        assertEq(cny.balanceOf(alice), OPENING);
        assertEq(cny.balanceOf(carol), OPENING);
        assertFalse(htlc.isOpen(lockId));
    }

    function test_refund_RevertWhen_BeforeExpiry() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.warp(expiry - 1);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotExpired.selector, lockId, expiry));
        htlc.refund(request.terms);
    }

    function test_refund_RevertWhen_Twice() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.warp(expiry);
        htlc.refund(request.terms);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, lockId));
        htlc.refund(request.terms);
    }

    function test_refund_RevertWhen_AlreadyClaimed() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        htlc.claim(_claimTerms(request.terms), SECRET);
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, lockId));
        htlc.refund(request.terms);
    }

    function test_claim_RevertWhen_AlreadyRefunded() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.warp(expiry);
        htlc.refund(request.terms);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, lockId));
        htlc.claim(_claimTerms(request.terms), SECRET);
    }

    function test_refund_RevertWhen_SenderRedirected() external {
        (LockRequest memory request, bytes32 lockId) = _open();
        vm.warp(expiry);
        request.terms.sender = carol;
        bytes32 otherId = htlc.lockIdOf(carol, request.terms.hashlock);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, otherId));
        htlc.refund(request.terms);
        assertTrue(htlc.isOpen(lockId));
    }

    function test_refundBatch_SkipsSettledLocks() external {
        (LockRequest memory request,) = _open();
        IHashedTimelockEscrow.LockTerms[] memory terms = new IHashedTimelockEscrow.LockTerms[](2);
        terms[0] = request.terms;
        terms[1] = request.terms;
        vm.warp(expiry);
        assertEq(htlc.refundBatch(terms), 1);
        assertEq(cny.balanceOf(alice), OPENING);
    }

    // ─── fuzz ────────────────────────────────────────────────────────────────────────────

    function testFuzz_lock_ConservesAmount(uint256 amount) external {
        amount = bound(amount, 1, OPENING);
        LockRequest memory req0 = _request(alice, bob, amount, SECRET, expiry);
        vm.prank(alice);
        htlc.lock(_params(req0), _proof(req0));
        assertEq(cny.balanceOf(alice) + cny.balanceOf(address(htlc)), OPENING);
        assertEq(cny.balanceOf(address(htlc)), amount);
    }

    function testFuzz_windows_ClaimStrictlyBeforeRefundFrom(uint256 dt) external {
        dt = bound(dt, 0, 3 hours);
        (LockRequest memory request,) = _open();
        vm.warp(vm.getBlockTimestamp() + dt);
        bool beforeExpiry = vm.getBlockTimestamp() < expiry;
        if (beforeExpiry) {
            htlc.claim(_claimTerms(request.terms), SECRET);
            assertEq(cny.balanceOf(bob), OPENING + AMOUNT);
        } else {
            htlc.refund(request.terms);
            assertEq(cny.balanceOf(alice), OPENING);
        }
    }

    function testFuzz_lock_ExpiryBounds(uint64 offset) external {
        offset = uint64(bound(offset, 0, 10 days));
        uint64 lockExpiry = uint64(vm.getBlockTimestamp()) + offset;
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, lockExpiry);
        request.quoteValidUntil = uint64(vm.getBlockTimestamp());
        _rebind(request);
        bool valid = offset > 0 && offset <= MAX_LOCK;
        if (!valid) vm.expectRevert();
        vm.prank(alice);
        htlc.lock(_params(request), _proof(request));
        assertEq(cny.balanceOf(address(htlc)), valid ? AMOUNT : 0);
    }

    function testFuzz_claim_RefusesAnyOtherPreimage(bytes32 guess) external {
        vm.assume(guess != SECRET);
        (LockRequest memory request,) = _open();
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcLockNotOpen.selector, _wrongId(guess)));
        htlc.claim(_claimTerms(request.terms), guess);
    }

    function testFuzz_lockFor_RefusesAnyOtherSigner(uint256 key) external {
        key = bound(key, 1, 1e60);
        vm.assume(key != aliceKey);
        LockRequest memory request = _request(alice, bob, AMOUNT, SECRET, expiry);
        bytes memory signature = _authorise(key, request, 9);
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.HtlcInvalidAuthorisation.selector, alice));
        htlc.lockFor(_params(request), _proof(request), _auth(request, 9, signature));
    }
}

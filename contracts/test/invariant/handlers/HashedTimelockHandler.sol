// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IHashedTimelockEscrow} from "../../../src/interfaces/IHashedTimelockEscrow.sol";
import {HashedTimelockEscrow} from "../../../src/settlement/HashedTimelockEscrow.sol";
import {SettlementToken} from "../../../src/tokens/SettlementToken.sol";

/// @notice Locks, claims, refunds and time travel on one HTLC by labelled banks, with ghost records
///         of every lock's fate and of the amount that should sit in the escrow.
contract HashedTimelockHandler is CommonBase, StdCheats, StdUtils {
    HashedTimelockEscrow public immutable htlc;
    SettlementToken public immutable token;
    address[] public actors;

    IHashedTimelockEscrow.LockTerms[] internal _locks;
    bytes32[] internal _secrets;
    mapping(uint256 index => uint8 fate) public fate; // 0 open, 1 claimed, 2 refunded

    uint256 public ghostOpenAmount;
    uint256 public ghostClaims;
    uint256 public ghostRefunds;
    /// @notice Settlements observed on a lock that was already settled (must stay 0).
    uint256 public ghostDoubleSettlements;
    /// @notice Claims that paid someone other than the receiver, or refunds other than the sender (must stay 0).
    uint256 public ghostMisdirected;

    constructor(HashedTimelockEscrow htlc_, SettlementToken token_, address[] memory actors_) {
        htlc = htlc_;
        token = token_;
        actors = actors_;
    }

    function lockCount() external view returns (uint256) {
        return _locks.length;
    }

    function lock(uint256 senderSeed, uint256 receiverSeed, uint256 amount, uint256 ttl) external {
        address sender = actors[senderSeed % actors.length];
        address receiver = actors[receiverSeed % actors.length];
        if (sender == receiver) receiver = actors[(receiverSeed + 1) % actors.length];
        amount = bound(amount, 1, token.balanceOf(sender) / 4 + 1);
        ttl = bound(ttl, 1, 6 hours);
        bytes32 secret = keccak256(abi.encode(_locks.length, senderSeed));
        IHashedTimelockEscrow.LockTerms memory terms = IHashedTimelockEscrow.LockTerms({
            token: address(token),
            sender: sender,
            receiver: receiver,
            amount: amount,
            hashlock: sha256(abi.encodePacked(secret)),
            expiry: uint64(vm.getBlockTimestamp() + ttl)
        });
        IHashedTimelockEscrow.LockRequest memory request = IHashedTimelockEscrow.LockRequest({
            terms: terms,
            swapId: secret,
            quoteHash: keccak256("quote"),
            quoteValidUntil: uint64(vm.getBlockTimestamp())
        });
        vm.prank(sender);
        try htlc.lock(request, IHashedTimelockEscrow.QuoteProof(bytes32(0), "")) {
            _locks.push(terms);
            _secrets.push(secret);
            ghostOpenAmount += amount;
        } catch {}
    }

    function claim(uint256 seed, address caller, bool preferOpen) external {
        if (_locks.length == 0) return;
        uint256 i = preferOpen ? _openLockFrom(seed) : seed % _locks.length;
        IHashedTimelockEscrow.LockTerms memory terms = _locks[i];
        uint256 receiverBefore = token.balanceOf(terms.receiver);
        vm.prank(caller);
        try htlc.claim(terms, _secrets[i]) {
            if (fate[i] != 0) ghostDoubleSettlements++;
            if (token.balanceOf(terms.receiver) != receiverBefore + terms.amount) ghostMisdirected++;
            fate[i] = 1;
            ghostClaims++;
            ghostOpenAmount -= terms.amount;
        } catch {}
    }

    function refund(uint256 seed, address caller, bool preferOpen, bool waitForExpiry) external {
        if (_locks.length == 0) return;
        uint256 i = preferOpen ? _openLockFrom(seed) : seed % _locks.length;
        IHashedTimelockEscrow.LockTerms memory terms = _locks[i];
        if (waitForExpiry && vm.getBlockTimestamp() < terms.expiry) vm.warp(terms.expiry);
        uint256 senderBefore = token.balanceOf(terms.sender);
        vm.prank(caller);
        try htlc.refund(terms) {
            if (fate[i] != 0) ghostDoubleSettlements++;
            if (token.balanceOf(terms.sender) != senderBefore + terms.amount) ghostMisdirected++;
            fate[i] = 2;
            ghostRefunds++;
            ghostOpenAmount -= terms.amount;
        } catch {}
    }

    function warp(uint256 dt) external {
        vm.warp(vm.getBlockTimestamp() + bound(dt, 1, 3 hours));
    }

    /// @dev The first lock still open at or after `seed` (wrapping), so most calls act on a live lock;
    ///      `preferOpen = false` still exercises settled ones.
    function _openLockFrom(uint256 seed) private view returns (uint256) {
        uint256 n = _locks.length;
        for (uint256 k; k < n; ++k) {
            uint256 i = (seed + k) % n;
            if (fate[i] == 0) return i;
        }
        return seed % n;
    }

    /// @notice Open locks according to the escrow, cross-checked against the ghost fates.
    function openLocksMatchFates() external view returns (bool) {
        for (uint256 i; i < _locks.length; ++i) {
            bool open = htlc.isOpen(htlc.lockIdOf(_locks[i].sender, _locks[i].hashlock));
            if (open != (fate[i] == 0)) return false;
        }
        return true;
    }
}

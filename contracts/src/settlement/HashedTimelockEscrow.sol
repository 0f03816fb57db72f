// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IHashedTimelockEscrow} from "../interfaces/IHashedTimelockEscrow.sol";
import {ITransferPolicy} from "../interfaces/ITransferPolicy.sol";

/// @title HashedTimelockEscrow
/// @notice The cross-ledger leg of a Corridor swap. One storage slot per open lock.
/// @dev No reentrancy guard, by design: every entry point writes its storage (commitment stored, or
///      deleted) before its first external call, so a token that calls back finds the lock already
///      open (lock → {HtlcLockExists}) or already settled (claim/refund → {HtlcLockNotOpen}).
///      `test_reentrantToken_CannotDoubleSpend` proves it with a token that re-enters on every call.
contract HashedTimelockEscrow is IHashedTimelockEscrow, EIP712 {
    using SafeERC20 for IERC20;

    bytes32 private constant _AUTHORISATION_TYPEHASH = keccak256(
        "LockAuthorisation(address token,address sender,address receiver,uint256 amount,bytes32 hashlock,uint64 expiry,bytes32 swapId,bytes32 quoteHash,uint64 quoteValidUntil,uint256 nonce)"
    );

    /// @inheritdoc IHashedTimelockEscrow
    uint64 public immutable maxLockDuration;

    mapping(bytes32 lockId => bytes32 commitment) private _commitments;
    mapping(address sender => mapping(uint256 word => uint256 bits)) private _usedAuthorisations;

    /// @param maxLockDuration_ The longest a lock may run, in seconds (e.g. 2 days).
    constructor(uint64 maxLockDuration_) EIP712("Corridor HTLC", "1") {
        maxLockDuration = maxLockDuration_;
    }

    // ─── Lock ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function lock(LockRequest calldata request) external returns (bytes32) {
        if (msg.sender != request.terms.sender) revert HtlcNotSender(msg.sender, request.terms.sender);
        return _lock(request);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function lockFor(LockRequest calldata request, uint256 nonce, bytes calldata signature)
        external
        returns (bytes32)
    {
        _consumeAuthorisation(request, nonce, signature);
        return _lock(request);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function lockForBatch(LockRequest[] calldata requests, uint256[] calldata nonces, bytes[] calldata signatures)
        external
        returns (bytes32[] memory lockIds)
    {
        uint256 n = requests.length;
        if (n == 0 || nonces.length != n || signatures.length != n) revert HtlcBatchMalformed();
        lockIds = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            _consumeAuthorisation(requests[i], nonces[i], signatures[i]);
            lockIds[i] = _lock(requests[i]);
        }
    }

    function _lock(LockRequest calldata request) private returns (bytes32 lockId) {
        LockTerms calldata terms = request.terms;
        if (terms.amount == 0) revert HtlcZeroAmount();
        if (terms.receiver == address(0) || terms.receiver == terms.sender) revert HtlcInvalidReceiver(terms.receiver);
        if (terms.hashlock == bytes32(0)) revert HtlcZeroHashlock();
        if (terms.expiry <= block.timestamp) revert HtlcExpiryInPast(terms.expiry, block.timestamp);
        if (terms.expiry > block.timestamp + maxLockDuration) {
            revert HtlcExpiryTooFar(terms.expiry, block.timestamp + maxLockDuration);
        }
        if (request.quoteHash == bytes32(0)) revert HtlcMissingQuote();
        if (request.quoteValidUntil < block.timestamp) revert HtlcQuoteExpired(request.quoteHash, request.quoteValidUntil);
        if (request.quoteValidUntil > terms.expiry) {
            revert HtlcQuoteOutlivesLock(request.quoteHash, request.quoteValidUntil, terms.expiry);
        }
        lockId = _lockId(terms.sender, terms.hashlock);
        if (_commitments[lockId] != bytes32(0)) revert HtlcLockExists(lockId);
        _commitments[lockId] = _commit(terms); // before any external call (see the contract's @dev)
        // Refuse up front what the token would refuse at claim time, so funds are never parked for a
        // receiver who cannot be paid.
        if (!ITransferPolicy(terms.token).canTransfer(terms.sender, terms.receiver)) {
            revert HtlcTransferNotPermitted(terms.token, terms.sender, terms.receiver);
        }
        emit Locked(
            terms.hashlock,
            request.swapId,
            terms.token,
            terms.sender,
            terms.receiver,
            terms.amount,
            terms.expiry,
            request.quoteHash
        );
        IERC20(terms.token).safeTransferFrom(terms.sender, address(this), terms.amount);
    }

    function _consumeAuthorisation(LockRequest calldata request, uint256 nonce, bytes calldata signature) private {
        address sender = request.terms.sender;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _usedAuthorisations[sender][nonce >> 8];
        if (bits & bit != 0) revert HtlcAuthorisationUsed(sender, nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(_AUTHORISATION_TYPEHASH, request, nonce)));
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error != ECDSA.RecoverError.NoError || signer != sender) revert HtlcInvalidAuthorisation(sender);
        _usedAuthorisations[sender][nonce >> 8] = bits | bit;
    }

    // ─── Claim (before expiry) ───────────────────────────────────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function claim(LockTerms calldata terms, bytes32 secret) external {
        bytes32 lockId = _lockId(terms.sender, terms.hashlock);
        _checkOpen(lockId, terms);
        _claim(lockId, terms, secret);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function claimBatch(LockTerms[] calldata terms, bytes32[] calldata secrets)
        external
        returns (uint256 claimed)
    {
        uint256 n = terms.length;
        if (n == 0 || secrets.length != n) revert HtlcBatchMalformed();
        for (uint256 i; i < n; ++i) {
            bytes32 lockId = _lockId(terms[i].sender, terms[i].hashlock);
            if (_commitments[lockId] == bytes32(0)) continue; // settled meanwhile, e.g. by the receiver
            _checkOpen(lockId, terms[i]);
            _claim(lockId, terms[i], secrets[i]);
            ++claimed;
        }
    }

    function _claim(bytes32 lockId, LockTerms calldata terms, bytes32 secret) private {
        if (block.timestamp >= terms.expiry) revert HtlcLockExpired(lockId, terms.expiry);
        if (sha256(abi.encodePacked(secret)) != terms.hashlock) revert HtlcWrongSecret(lockId);
        delete _commitments[lockId];
        emit Claimed(lockId, secret);
        IERC20(terms.token).safeTransfer(terms.receiver, terms.amount);
    }

    // ─── Refund (from expiry on) ─────────────────────────────────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function refund(LockTerms calldata terms) external {
        bytes32 lockId = _lockId(terms.sender, terms.hashlock);
        _checkOpen(lockId, terms);
        _refund(lockId, terms);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function refundBatch(LockTerms[] calldata terms) external returns (uint256 refunded) {
        uint256 n = terms.length;
        if (n == 0) revert HtlcBatchMalformed();
        for (uint256 i; i < n; ++i) {
            bytes32 lockId = _lockId(terms[i].sender, terms[i].hashlock);
            if (_commitments[lockId] == bytes32(0)) continue; // settled meanwhile
            _checkOpen(lockId, terms[i]);
            _refund(lockId, terms[i]);
            ++refunded;
        }
    }

    function _refund(bytes32 lockId, LockTerms calldata terms) private {
        if (block.timestamp < terms.expiry) revert HtlcLockNotExpired(lockId, terms.expiry);
        delete _commitments[lockId];
        emit Refunded(lockId);
        IERC20(terms.token).safeTransfer(terms.sender, terms.amount);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function lockIdOf(address sender, bytes32 hashlock) external pure returns (bytes32) {
        return _lockId(sender, hashlock);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function isOpen(bytes32 lockId) external view returns (bool) {
        return _commitments[lockId] != bytes32(0);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function commitmentOf(LockTerms calldata terms) external pure returns (bytes32) {
        return _commit(terms);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function storedCommitment(bytes32 lockId) external view returns (bytes32) {
        return _commitments[lockId];
    }

    /// @inheritdoc IHashedTimelockEscrow
    function authorisationUsed(address sender, uint256 nonce) external view returns (bool) {
        return _usedAuthorisations[sender][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ─── Internals ───────────────────────────────────────────────────────────────────────

    function _checkOpen(bytes32 lockId, LockTerms calldata terms) private view {
        bytes32 stored = _commitments[lockId];
        if (stored == bytes32(0)) revert HtlcLockNotOpen(lockId);
        if (stored != _commit(terms)) revert HtlcTermsMismatch(lockId);
    }

    function _lockId(address sender, bytes32 hashlock) private pure returns (bytes32) {
        return keccak256(abi.encode(sender, hashlock));
    }

    function _commit(LockTerms calldata terms) private pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }
}

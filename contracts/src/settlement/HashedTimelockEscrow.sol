// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IHashedTimelockEscrow} from "../interfaces/IHashedTimelockEscrow.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITransferPolicy} from "../interfaces/ITransferPolicy.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title HashedTimelockEscrow
/// @notice The cross-ledger leg of a Corridor swap. One storage slot per open lock.
/// @dev No reentrancy guard, by design: every entry point writes its storage (commitment stored, or
///      replaced by the settled marker) before its first state-changing external call, so a token that
///      calls back finds the lock already open (lock → {HtlcLockExists}) or already settled
///      (claim/refund → {HtlcLockNotOpen}). `test_reentrantToken_CannotDoubleSpend` proves it with a
///      token that re-enters on every call.
contract HashedTimelockEscrow is IHashedTimelockEscrow, EIP712 {
    using SafeERC20 for IERC20;

    bytes32 private constant _AUTHORISATION_TYPEHASH = keccak256(
        "LockAuthorisation(address token,address sender,address receiver,uint256 amount,bytes32 hashlock,uint64 expiry,bytes32 swapId,bytes32 quoteHash,uint64 quoteValidUntil,uint256 nonce)"
    );

    /// @dev The off-chain quote service's EIP-712 domain (name and version only: one quote binds the
    ///      locks of both ledgers) and the quote's type, terms nested so the validity can be checked here.
    bytes32 private constant _QUOTE_DOMAIN_SEPARATOR = keccak256(
        abi.encode(keccak256("EIP712Domain(string name,string version)"), keccak256("Corridor Quotes"), keccak256("1"))
    );
    bytes32 private constant _QUOTE_TYPEHASH = keccak256(
        "Quote(QuoteTerms terms,uint64 validUntil)QuoteTerms(string base,string quote,string side,uint256 amount,uint256 rate,uint256 mid,uint16 spreadBps,uint256 oracleRound,uint64 validFrom,address quoter)"
    );

    /// @inheritdoc IHashedTimelockEscrow
    bytes32 public constant SETTLED = bytes32(uint256(1));
    /// @dev The bit of a live lock's stored commitment that marks a claim held by the token policy.
    bytes32 private constant _PENDING = bytes32(uint256(1));

    /// @notice The registry holding QUOTE_SIGNER_ROLE.
    IParticipantRegistry public immutable registry;
    /// @inheritdoc IHashedTimelockEscrow
    uint64 public immutable maxLockDuration;

    mapping(bytes32 lockId => bytes32 commitment) private _commitments;
    mapping(address sender => mapping(uint256 word => uint256 bits)) private _usedAuthorisations;

    /// @param registry_ The ledger's participant registry (who may sign quotes).
    /// @param maxLockDuration_ The longest a lock may run, in seconds (e.g. 2 days).
    constructor(IParticipantRegistry registry_, uint64 maxLockDuration_) EIP712("Corridor HTLC", "1") {
        if (address(registry_).code.length == 0) revert HtlcInvalidRegistry(address(registry_));
        registry = registry_;
        maxLockDuration = maxLockDuration_;
    }

    // ─── Lock ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function lock(LockParams calldata params, QuoteProof calldata quote) external returns (bytes32 lockId) {
        lockId = _open(params, msg.sender, _checkTerms(params, quote, msg.sender));
        _pull(params.token, msg.sender, params.amount);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function lockFor(LockParams calldata params, QuoteProof calldata quote, Authorisation calldata authorisation)
        external
        returns (bytes32 lockId)
    {
        address sender = authorisation.sender;
        bytes32 quoteHash = _checkTerms(params, quote, sender);
        _consumeAuthorisation(params, quote.validUntil, quoteHash, authorisation);
        lockId = _open(params, sender, quoteHash);
        // The sender signed these exact terms (checked by _consumeAuthorisation above).
        _pull(params.token, sender, params.amount);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function lockForBatch(RelayedLock[] calldata locks) external returns (bytes32[] memory lockIds) {
        uint256 n = locks.length;
        if (n == 0) revert HtlcBatchMalformed();
        lockIds = new bytes32[](n);
        // A run of consecutive items with the same sender and token is pulled in one transfer once it ends:
        // every item of the run is stored before its funds move (see the contract notes).
        (address runToken, address runSender, uint256 runAmount) = (address(0), address(0), 0);
        for (uint256 i; i < n; ++i) {
            RelayedLock calldata item = locks[i];
            address sender = item.authorisation.sender;
            // Someone submitted this authorisation first (through lockFor): its lock exists or the
            // nonce is spent; either way this item has nothing left to do and the rest goes on.
            if (_authorisationIsUsed(sender, item.authorisation.nonce)) {
                emit BatchLockSkipped(sender, item.authorisation.nonce);
                continue;
            }
            bytes32 quoteHash = _checkTerms(item.params, item.quote, sender);
            _consumeAuthorisation(item.params, item.quote.validUntil, quoteHash, item.authorisation);
            lockIds[i] = _open(item.params, sender, quoteHash);
            address token = item.params.token;
            if (token != runToken || sender != runSender) {
                if (runAmount != 0) _pull(runToken, runSender, runAmount);
                (runToken, runSender, runAmount) = (token, sender, 0);
            }
            runAmount += item.params.amount;
        }
        if (runAmount != 0) _pull(runToken, runSender, runAmount);
    }

    /// @dev The lock's own checks and its quote's. Returns the quote hash (the quote's EIP-712 digest).
    function _checkTerms(LockParams calldata params, QuoteProof calldata quote, address sender)
        private
        view
        returns (bytes32 quoteHash)
    {
        uint64 expiry = params.expiry;
        if (params.amount == 0) revert HtlcZeroAmount();
        if (params.receiver == address(0) || params.receiver == sender) revert HtlcInvalidReceiver(params.receiver);
        if (params.hashlock == bytes32(0)) revert HtlcZeroHashlock();
        if (expiry <= block.timestamp) revert HtlcExpiryInPast(expiry, block.timestamp);
        if (expiry > block.timestamp + maxLockDuration) revert HtlcExpiryTooFar(expiry, block.timestamp + maxLockDuration);
        uint64 validUntil = quote.validUntil;
        quoteHash = _quoteDigest(quote.termsHash, validUntil);
        if (validUntil < block.timestamp) revert HtlcQuoteExpired(quoteHash, validUntil);
        if (validUntil > expiry) revert HtlcQuoteOutlivesLock(quoteHash, validUntil, expiry);
        // "Bound to a signed FX quote" holds on chain: the hash is the digest of a quote with these terms and
        // this validity, signed by a holder of the registry's QUOTE_SIGNER_ROLE (so the validity the
        // free-option checks above use is the one the quote service signed). The third value only details
        // `error`, which is checked.
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(quoteHash, quote.r, quote.vs);
        if (error != ECDSA.RecoverError.NoError || !registry.hasRole(Roles.QUOTE_SIGNER, signer)) {
            revert HtlcQuoteNotSigned(quoteHash, signer);
        }
    }

    /// @dev Stores the lock's commitment (before any external call that moves value: see the contract
    ///      notes), checks the token would let the sender pay the receiver, and emits {Locked}.
    function _open(LockParams calldata params, address sender, bytes32 quoteHash) private returns (bytes32 lockId) {
        (address token, address receiver, uint256 amount, bytes32 hashlock, uint64 expiry) =
            (params.token, params.receiver, params.amount, params.hashlock, params.expiry);
        lockId = _lockId(sender, hashlock);
        bytes32 existing = _commitments[lockId];
        if (existing == SETTLED) revert HtlcHashlockUsed(lockId);
        if (existing != bytes32(0)) revert HtlcLockExists(lockId);
        _commitments[lockId] = _commit(token, sender, receiver, amount, hashlock, expiry);
        // Refuse up front what the token would refuse at claim time, so funds are never parked for a
        // receiver who cannot be paid.
        if (!ITransferPolicy(token).canTransfer(sender, receiver)) {
            revert HtlcTransferNotPermitted(token, sender, receiver);
        }
        emit Locked(hashlock, params.swapId, token, sender, receiver, amount, expiry, quoteHash);
    }

    /// @dev Pulls `amount` from `sender`, then verifies what arrived: a token that takes a fee (or lies)
    ///      would leave the lock under-funded and paid out of other locks of the same token. Reached only for
    ///      the caller's own funds (lock) or after _consumeAuthorisation checked the sender's signature over
    ///      the exact terms of every lock pulled for (lockFor, lockForBatch).
    function _pull(address token, address sender, uint256 amount) private {
        uint256 held = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(sender, address(this), amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        uint256 received = balance > held ? balance - held : 0;
        if (received != amount) revert HtlcAmountNotReceived(amount, received);
    }

    function _quoteDigest(bytes32 termsHash, uint64 validUntil) private pure returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(_QUOTE_TYPEHASH, termsHash, validUntil));
        return keccak256(abi.encodePacked("\x19\x01", _QUOTE_DOMAIN_SEPARATOR, structHash));
    }

    function _consumeAuthorisation(
        LockParams calldata params,
        uint64 quoteValidUntil,
        bytes32 quoteHash,
        Authorisation calldata authorisation
    ) private {
        (address sender, uint256 nonce) = (authorisation.sender, authorisation.nonce);
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _usedAuthorisations[sender][nonce >> 8];
        if (bits & bit != 0) revert HtlcAuthorisationUsed(sender, nonce);
        bytes32 structHash = _authorisationHash(params, quoteHash, quoteValidUntil, authorisation);
        // The third value only details `error`, which is checked.
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError error,) =
            ECDSA.tryRecover(_hashTypedDataV4(structHash), authorisation.r, authorisation.vs);
        if (error != ECDSA.RecoverError.NoError || signer != sender) revert HtlcInvalidAuthorisation(sender);
        _usedAuthorisations[sender][nonce >> 8] = bits | bit;
    }

    /// @dev The `LockAuthorisation` struct hash (sender and nonce read from the authorisation, which keeps
    ///      the legacy code generator the Slither build uses within its stack).
    function _authorisationHash(
        LockParams calldata params,
        bytes32 quoteHash,
        uint64 quoteValidUntil,
        Authorisation calldata authorisation
    ) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _AUTHORISATION_TYPEHASH,
                params.token,
                authorisation.sender,
                params.receiver,
                params.amount,
                params.hashlock,
                params.expiry,
                params.swapId,
                quoteHash,
                quoteValidUntil,
                authorisation.nonce
            )
        );
    }

    // ─── Claim (before expiry; a held claim completes whenever its hold lifts) ──────────

    /// @inheritdoc IHashedTimelockEscrow
    function claim(ClaimTerms calldata terms, bytes32 secret) external {
        bytes32 hashlock = sha256(abi.encodePacked(secret));
        bytes32 lockId = _lockId(terms.sender, hashlock);
        bytes32 stored = _liveCommitment(lockId, _commit(terms, hashlock));
        // A first claim during a hold records it (ClaimHeld) and succeeds; a claim that still cannot pay
        // reverts, so a caller never mistakes it for a payment.
        if (!_claim(lockId, stored, terms, secret)) {
            if (stored & _PENDING != 0) revert HtlcClaimHeld(lockId);
            return;
        }
        IERC20(terms.token).safeTransfer(terms.receiver, terms.amount);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function claimBatch(ClaimTerms[] calldata terms, bytes32[] calldata secrets) external returns (uint256 claimed) {
        uint256 n = terms.length;
        if (n == 0 || secrets.length != n) revert HtlcBatchMalformed();
        // Consecutive locks paid to the same receiver in the same token are paid in one transfer once the run
        // ends; each is marked settled first.
        (address runToken, address runReceiver, uint256 runAmount) = (address(0), address(0), 0);
        for (uint256 i; i < n; ++i) {
            ClaimTerms calldata item = terms[i];
            bytes32 hashlock = sha256(abi.encodePacked(secrets[i]));
            bytes32 lockId = _lockId(item.sender, hashlock);
            if (_commitments[lockId] == SETTLED) continue; // settled meanwhile, e.g. by the receiver
            if (!_claim(lockId, _liveCommitment(lockId, _commit(item, hashlock)), item, secrets[i])) continue;
            (address token, address receiver) = (item.token, item.receiver);
            if (token != runToken || receiver != runReceiver) {
                if (runAmount != 0) IERC20(runToken).safeTransfer(runReceiver, runAmount);
                (runToken, runReceiver, runAmount) = (token, receiver, 0);
            }
            runAmount += item.amount;
            ++claimed;
        }
        if (runAmount != 0) IERC20(runToken).safeTransfer(runReceiver, runAmount);
    }

    /// @dev Marks the lock settled and returns true when the token policy lets this escrow pay the receiver
    ///      (the caller then pays); otherwise records the claim as pending and returns false: the preimage is
    ///      then public (the swap's other leg can be claimed), the refund is closed for good, and the payment
    ///      is made by a later claim whenever the hold lifts, expiry or not. So a supervisory hold delays a
    ///      swap but can never leave it one-legged.
    function _claim(bytes32 lockId, bytes32 stored, ClaimTerms calldata terms, bytes32 secret) private returns (bool) {
        bool pending = stored & _PENDING != 0;
        if (!pending && block.timestamp >= terms.expiry) revert HtlcLockExpired(lockId, terms.expiry);
        if (!ITransferPolicy(terms.token).canRelease(terms.sender, terms.receiver)) {
            if (pending) return false; // still held
            _commitments[lockId] = stored | _PENDING;
            emit ClaimHeld(lockId, secret);
            return false;
        }
        _commitments[lockId] = SETTLED;
        emit Claimed(lockId, secret);
        return true;
    }

    // ─── Refund (from expiry on, unless a claim is pending) ──────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function refund(LockTerms calldata terms) external {
        bytes32 lockId = _lockId(terms.sender, terms.hashlock);
        bytes32 stored = _liveCommitment(lockId, _commit(terms));
        if (stored & _PENDING != 0) revert HtlcClaimPending(lockId);
        _refund(lockId, terms);
        IERC20(terms.token).safeTransfer(terms.sender, terms.amount);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function refundBatch(LockTerms[] calldata terms) external returns (uint256 refunded) {
        uint256 n = terms.length;
        if (n == 0) revert HtlcBatchMalformed();
        (address runToken, address runSender, uint256 runAmount) = (address(0), address(0), 0);
        for (uint256 i; i < n; ++i) {
            LockTerms calldata item = terms[i];
            bytes32 lockId = _lockId(item.sender, item.hashlock);
            if (_commitments[lockId] == SETTLED) continue; // settled meanwhile
            if (_liveCommitment(lockId, _commit(item)) & _PENDING != 0) continue; // the receiver's, once the hold lifts
            (address token, address sender) = (item.token, item.sender);
            if (!ITransferPolicy(token).isPermitted(sender)) {
                emit SettlementHeld(lockId, token); // the token would refuse the sender now
                continue;
            }
            _refund(lockId, item);
            if (token != runToken || sender != runSender) {
                if (runAmount != 0) IERC20(runToken).safeTransfer(runSender, runAmount);
                (runToken, runSender, runAmount) = (token, sender, 0);
            }
            runAmount += item.amount;
            ++refunded;
        }
        if (runAmount != 0) IERC20(runToken).safeTransfer(runSender, runAmount);
    }

    /// @dev Checks the refund window and marks the lock settled; the caller pays the sender.
    function _refund(bytes32 lockId, LockTerms calldata terms) private {
        if (block.timestamp < terms.expiry) revert HtlcLockNotExpired(lockId, terms.expiry);
        _commitments[lockId] = SETTLED;
        emit Refunded(lockId);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function lockIdOf(address sender, bytes32 hashlock) external pure returns (bytes32) {
        return _lockId(sender, hashlock);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function isOpen(bytes32 lockId) external view returns (bool) {
        bytes32 stored = _commitments[lockId];
        return stored != bytes32(0) && stored != SETTLED;
    }

    /// @inheritdoc IHashedTimelockEscrow
    function isSettled(bytes32 lockId) external view returns (bool) {
        return _commitments[lockId] == SETTLED;
    }

    /// @inheritdoc IHashedTimelockEscrow
    function isClaimPending(bytes32 lockId) external view returns (bool) {
        bytes32 stored = _commitments[lockId];
        return stored != SETTLED && stored & _PENDING != 0;
    }

    /// @inheritdoc IHashedTimelockEscrow
    function quoteDigest(bytes32 termsHash, uint64 validUntil) external pure returns (bytes32) {
        return _quoteDigest(termsHash, validUntil);
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
        return _authorisationIsUsed(sender, nonce);
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ─── Internals ───────────────────────────────────────────────────────────────────────

    function _authorisationIsUsed(address sender, uint256 nonce) private view returns (bool) {
        return _usedAuthorisations[sender][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @dev The lock's stored word while it is live (open, or with a claim pending), checked against the
    ///      commitment of the terms the caller passed.
    function _liveCommitment(bytes32 lockId, bytes32 commitment) private view returns (bytes32 stored) {
        stored = _commitments[lockId];
        if (stored == bytes32(0) || stored == SETTLED) revert HtlcLockNotOpen(lockId);
        if (stored & ~_PENDING != commitment) revert HtlcTermsMismatch(lockId);
    }

    function _lockId(address sender, bytes32 hashlock) private pure returns (bytes32) {
        return keccak256(abi.encode(sender, hashlock));
    }

    /// @dev The hash of the terms (`abi.encode(LockTerms)`) with its lowest bit cleared: that bit marks a
    ///      pending claim.
    function _commit(
        address token,
        address sender,
        address receiver,
        uint256 amount,
        bytes32 hashlock,
        uint64 expiry
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(token, sender, receiver, amount, hashlock, expiry)) & ~_PENDING;
    }

    function _commit(LockTerms calldata terms) private pure returns (bytes32) {
        return _commit(terms.token, terms.sender, terms.receiver, terms.amount, terms.hashlock, terms.expiry);
    }

    function _commit(ClaimTerms calldata terms, bytes32 hashlock) private pure returns (bytes32) {
        return _commit(terms.token, terms.sender, terms.receiver, terms.amount, hashlock, terms.expiry);
    }
}

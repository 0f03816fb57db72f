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
    function lock(LockRequest calldata request, QuoteProof calldata quote) external returns (bytes32) {
        if (msg.sender != request.terms.sender) revert HtlcNotSender(msg.sender, request.terms.sender);
        return _lock(request, quote);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function lockFor(LockRequest calldata request, QuoteProof calldata quote, uint256 nonce, bytes calldata signature)
        external
        returns (bytes32)
    {
        _consumeAuthorisation(request, nonce, signature);
        return _lock(request, quote);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function lockForBatch(
        LockRequest[] calldata requests,
        QuoteProof[] calldata quotes,
        uint256[] calldata nonces,
        bytes[] calldata signatures
    ) external returns (bytes32[] memory lockIds) {
        uint256 n = requests.length;
        if (n == 0 || quotes.length != n || nonces.length != n || signatures.length != n) revert HtlcBatchMalformed();
        lockIds = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            address sender = requests[i].terms.sender;
            // Someone submitted this authorisation first (through lockFor): its lock exists or the
            // nonce is spent; either way this item has nothing left to do and the rest goes on.
            if (_authorisationIsUsed(sender, nonces[i])) {
                emit BatchLockSkipped(sender, nonces[i]);
                continue;
            }
            _consumeAuthorisation(requests[i], nonces[i], signatures[i]);
            lockIds[i] = _lock(requests[i], quotes[i]);
        }
    }

    function _lock(LockRequest calldata request, QuoteProof calldata quote) private returns (bytes32 lockId) {
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
        _checkQuote(request, quote);
        lockId = _lockId(terms.sender, terms.hashlock);
        bytes32 existing = _commitments[lockId];
        if (existing == SETTLED) revert HtlcHashlockUsed(lockId);
        if (existing != bytes32(0)) revert HtlcLockExists(lockId);
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
        // Pull, then verify what arrived: a token that takes a fee (or lies) would leave this lock
        // under-funded and paid out of other locks of the same token.
        IERC20 token = IERC20(terms.token);
        uint256 held = token.balanceOf(address(this));
        // Reached only from lock (msg.sender == sender) or after _consumeAuthorisation checked the
        // sender's signature over these exact terms (lockFor, lockForBatch).
        // slither-disable-next-line arbitrary-send-erc20
        token.safeTransferFrom(terms.sender, address(this), terms.amount);
        uint256 balance = token.balanceOf(address(this));
        uint256 received = balance > held ? balance - held : 0;
        if (received != terms.amount) revert HtlcAmountNotReceived(terms.amount, received);
    }

    /// @dev The request's quote hash must be the digest of a quote with these terms and this validity,
    ///      signed by a holder of the registry's QUOTE_SIGNER_ROLE: "bound to a signed FX quote" holds on
    ///      chain, and the validity the free-option checks use is the one the quote service signed.
    function _checkQuote(LockRequest calldata request, QuoteProof calldata quote) private view {
        bytes32 digest = _quoteDigest(quote.termsHash, request.quoteValidUntil);
        if (digest != request.quoteHash) revert HtlcQuoteMismatch(request.quoteHash, digest);
        // The third value only details `error`, which is checked.
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, quote.signature);
        if (error != ECDSA.RecoverError.NoError || !registry.hasRole(Roles.QUOTE_SIGNER, signer)) {
            revert HtlcQuoteNotSigned(request.quoteHash, signer);
        }
    }

    function _quoteDigest(bytes32 termsHash, uint64 validUntil) private pure returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(_QUOTE_TYPEHASH, termsHash, validUntil));
        return keccak256(abi.encodePacked("\x19\x01", _QUOTE_DOMAIN_SEPARATOR, structHash));
    }

    function _consumeAuthorisation(LockRequest calldata request, uint256 nonce, bytes calldata signature) private {
        address sender = request.terms.sender;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _usedAuthorisations[sender][nonce >> 8];
        if (bits & bit != 0) revert HtlcAuthorisationUsed(sender, nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(_AUTHORISATION_TYPEHASH, request, nonce)));
        // The third value only details `error`, which is checked.
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error != ECDSA.RecoverError.NoError || signer != sender) revert HtlcInvalidAuthorisation(sender);
        _usedAuthorisations[sender][nonce >> 8] = bits | bit;
    }

    // ─── Claim (before expiry; a held claim completes whenever its hold lifts) ──────────

    /// @inheritdoc IHashedTimelockEscrow
    function claim(LockTerms calldata terms, bytes32 secret) external {
        bytes32 lockId = _lockId(terms.sender, terms.hashlock);
        bytes32 stored = _liveCommitment(lockId, terms);
        // A first claim during a hold records it (ClaimHeld) and succeeds; a claim that still cannot pay
        // reverts, so a caller never mistakes it for a payment.
        if (!_claim(lockId, stored, terms, secret) && stored & _PENDING != 0) revert HtlcClaimHeld(lockId);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function claimBatch(LockTerms[] calldata terms, bytes32[] calldata secrets)
        external
        returns (uint256 claimed)
    {
        uint256 n = terms.length;
        if (n == 0 || secrets.length != n) revert HtlcBatchMalformed();
        for (uint256 i; i < n; ++i) {
            LockTerms calldata item = terms[i];
            bytes32 lockId = _lockId(item.sender, item.hashlock);
            if (_commitments[lockId] == SETTLED) continue; // settled meanwhile, e.g. by the receiver
            if (_claim(lockId, _liveCommitment(lockId, item), item, secrets[i])) ++claimed;
        }
    }

    /// @dev Pays the receiver, or, when the token policy refuses the payment now (a party frozen or
    ///      suspended, the currency paused), records the claim as pending: the preimage is then public
    ///      (the swap's other leg can be claimed), the refund is closed for good, and the payment is made
    ///      by a later claim whenever the hold lifts, expiry or not. So a supervisory hold delays a swap
    ///      but can never leave it one-legged. Returns false when the payment is held.
    function _claim(bytes32 lockId, bytes32 stored, LockTerms calldata terms, bytes32 secret) private returns (bool) {
        bool pending = stored & _PENDING != 0;
        if (!pending && block.timestamp >= terms.expiry) revert HtlcLockExpired(lockId, terms.expiry);
        if (sha256(abi.encodePacked(secret)) != terms.hashlock) revert HtlcWrongSecret(lockId);
        if (!ITransferPolicy(terms.token).canRelease(terms.sender, terms.receiver)) {
            if (pending) return false; // still held
            _commitments[lockId] = stored | _PENDING;
            emit ClaimHeld(lockId, secret);
            return false;
        }
        _commitments[lockId] = SETTLED;
        emit Claimed(lockId, secret);
        IERC20(terms.token).safeTransfer(terms.receiver, terms.amount);
        return true;
    }

    // ─── Refund (from expiry on, unless a claim is pending) ──────────────────────────────

    /// @inheritdoc IHashedTimelockEscrow
    function refund(LockTerms calldata terms) external {
        bytes32 lockId = _lockId(terms.sender, terms.hashlock);
        bytes32 stored = _liveCommitment(lockId, terms);
        if (stored & _PENDING != 0) revert HtlcClaimPending(lockId);
        _refund(lockId, terms);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function refundBatch(LockTerms[] calldata terms) external returns (uint256 refunded) {
        uint256 n = terms.length;
        if (n == 0) revert HtlcBatchMalformed();
        for (uint256 i; i < n; ++i) {
            LockTerms calldata item = terms[i];
            bytes32 lockId = _lockId(item.sender, item.hashlock);
            bytes32 stored = _commitments[lockId];
            if (stored == SETTLED) continue; // settled meanwhile
            if (_liveCommitment(lockId, item) & _PENDING != 0) continue; // the receiver's, once the hold lifts
            if (!ITransferPolicy(item.token).isPermitted(item.sender)) {
                emit SettlementHeld(lockId, item.token); // the token would refuse the sender now
                continue;
            }
            _refund(lockId, item);
            ++refunded;
        }
    }

    function _refund(bytes32 lockId, LockTerms calldata terms) private {
        if (block.timestamp < terms.expiry) revert HtlcLockNotExpired(lockId, terms.expiry);
        _commitments[lockId] = SETTLED;
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

    /// @dev The lock's stored word while it is live (open, or with a claim pending), checked against `terms`.
    function _liveCommitment(bytes32 lockId, LockTerms calldata terms) private view returns (bytes32 stored) {
        stored = _commitments[lockId];
        if (stored == bytes32(0) || stored == SETTLED) revert HtlcLockNotOpen(lockId);
        if (stored & ~_PENDING != _commit(terms)) revert HtlcTermsMismatch(lockId);
    }

    function _lockId(address sender, bytes32 hashlock) private pure returns (bytes32) {
        return keccak256(abi.encode(sender, hashlock));
    }

    /// @dev The hash of the terms with its lowest bit cleared: that bit marks a pending claim.
    function _commit(LockTerms calldata terms) private pure returns (bytes32) {
        return keccak256(abi.encode(terms)) & ~_PENDING;
    }
}

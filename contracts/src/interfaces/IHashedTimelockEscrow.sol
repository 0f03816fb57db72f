// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IHashedTimelockEscrow
/// @notice One leg of a swap across two ledgers: funds locked under a sha256 hashlock, claimable by
///         the named receiver with the preimage before expiry, refundable to the sender from expiry on.
/// @dev Storage holds one slot per lock: the hash of its {LockTerms} while open, keyed by
///      `lockId = keccak256(abi.encode(sender, hashlock))`; on claim or refund the slot keeps a
///      settled marker instead of being cleared, so a (sender, hashlock) pair can be locked only
///      once, ever: a re-signed retry can never pay the receiver twice. (The marker costs the claim
///      or refund the storage refund a deletion would earn, about 4.8k gas.) Everything else (swap id,
///      quote hash) lives in events. Callers pass the terms back to claim or refund.
///
///      Time windows (expiry = T):
///      ```
///      lock ─────────────── claim open ───────────────┤ T ├──────── refund open ────────►
///                       claim: block.timestamp < T       refund: block.timestamp >= T
///      ```
///      The two windows never overlap, so a lock ends claimed or refunded, never both.
///
///      Quote binding, verified on chain: each lock carries the signed FX quote its swap was agreed on
///      ({QuoteProof}: the quote's terms hash, validity and signature). The escrow computes the quote
///      hash from the quote's terms hash and its `validUntil` (domain "Corridor Quotes",
///      version "1"; type `Quote(QuoteTerms terms,uint64 validUntil)QuoteTerms(string base,string
///      quote,string side,uint256 amount,uint256 rate,uint256 mid,uint16 spreadBps,uint256 oracleRound,
///      uint64 validFrom,address quoter)`), recovers the signer and requires the registry's
///      QUOTE_SIGNER_ROLE, and names that hash in {Locked}. A lock is refused when the quote has expired or
///      stays valid beyond the lock's expiry (a free option).
///
///      Calldata is kept to what the escrow cannot derive: {lock} takes its sender from the caller,
///      {claim} derives the hashlock from the preimage, the quote hash is recomputed, and signatures are
///      compact (EIP-2098, two words, in static structs).
///
///      Supervisory powers reach locked funds without ever breaking atomicity: a claim pays only while the
///      token policy lets this escrow pay the receiver for the sender ({ITransferPolicy-canRelease}: no
///      party frozen or suspended, currency not paused). A claim with the right preimage made during a
///      hold is recorded as **pending** ({ClaimHeld}, which carries the preimage like {Claimed}): from
///      then on the funds are the receiver's, the refund is closed for good, and any later claim pays
///      them the moment the hold lifts, before or after expiry. So a hold delays a swap, never leaves it
///      one-legged. A refund only ever pays the sender; if the sender is frozen, the token holds the
///      refund until the freeze is lifted (refunds stay open forever after expiry).
///
///      ```
///      lock ──┬── claim (policy allows) ──────────────► Claimed: paid, settled
///             ├── claim (policy holds) ─► ClaimHeld ──► claim once the hold lifts ─► Claimed
///             └── expiry, no claim ─────► refund ─────► Refunded
///      ```
interface IHashedTimelockEscrow {
    /// @notice The terms a lock pays out on; their hash is the only thing stored.
    struct LockTerms {
        address token;
        address sender;
        address receiver;
        uint256 amount;
        bytes32 hashlock;
        uint64 expiry;
    }

    /// @notice What a lock names besides its sender (the caller of {lock}, the signer of a relayed
    ///         {Authorisation}): its terms, and the swap it belongs to (kept in the {Locked} event only).
    struct LockParams {
        address token;
        address receiver;
        uint256 amount;
        bytes32 hashlock;
        uint64 expiry;
        bytes32 swapId;
    }

    /// @notice The FX quote a lock binds to, as the quote service signed it: the EIP-712 struct hash of the
    ///         quote's `QuoteTerms`, its validity, and the quote signer's compact (EIP-2098) signature over
    ///         the quote's digest. The quote hash (that digest) is recomputed from these, never passed.
    struct QuoteProof {
        bytes32 termsHash;
        uint64 validUntil;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A sender's single-use EIP-712 `LockAuthorisation` for a relayed lock: who signed, its nonce,
    ///         and the compact (EIP-2098) signature.
    struct Authorisation {
        address sender;
        uint256 nonce;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice One item of {lockForBatch}: exactly the arguments of {lockFor}.
    struct RelayedLock {
        LockParams params;
        QuoteProof quote;
        Authorisation authorisation;
    }

    /// @notice A lock's terms without its hashlock, which {claim} derives from the preimage (sha256).
    struct ClaimTerms {
        address token;
        address sender;
        address receiver;
        uint256 amount;
        uint64 expiry;
    }

    /// @notice Thrown when the amount is zero.
    error HtlcZeroAmount();
    /// @notice Thrown when the receiver is zero or the sender itself.
    error HtlcInvalidReceiver(address receiver);
    /// @notice Thrown when the hashlock is zero.
    error HtlcZeroHashlock();
    /// @notice Thrown when the expiry is not in the future.
    error HtlcExpiryInPast(uint64 expiry, uint256 nowTimestamp);
    /// @notice Thrown when the expiry is beyond the configured maximum lock duration.
    error HtlcExpiryTooFar(uint64 expiry, uint256 latestAllowed);
    /// @notice Thrown when a lock with this id (same sender and hashlock) is still open.
    error HtlcLockExists(bytes32 lockId);
    /// @notice Thrown when locking a (sender, hashlock) whose lock was already claimed or refunded.
    error HtlcHashlockUsed(bytes32 lockId);
    /// @notice Thrown when the quote's signature does not recover to a holder of QUOTE_SIGNER_ROLE (a quote
    ///         signed by anyone else, or terms hash or validity altered after signing).
    error HtlcQuoteNotSigned(bytes32 quoteHash, address signer);
    /// @notice Thrown when the bound quote has already expired.
    error HtlcQuoteExpired(bytes32 quoteHash, uint64 quoteValidUntil);
    /// @notice Thrown when the bound quote stays valid after the lock expires (a free option).
    error HtlcQuoteOutlivesLock(bytes32 quoteHash, uint64 quoteValidUntil, uint64 expiry);
    /// @notice Thrown when the token's policy would refuse the transfer (paused, frozen, non-participant).
    error HtlcTransferNotPermitted(address token, address sender, address receiver);
    /// @notice Thrown when a relayed authorisation does not recover to the sender.
    error HtlcInvalidAuthorisation(address sender);
    /// @notice Thrown when a relayed authorisation's nonce was already used.
    error HtlcAuthorisationUsed(address sender, uint256 nonce);
    /// @notice Thrown when no open lock has this id. A claim with a wrong preimage lands here: it names the
    ///         lock id of sha256(preimage), which was never locked.
    error HtlcLockNotOpen(bytes32 lockId);
    /// @notice Thrown when the terms passed do not hash to the open lock's commitment.
    error HtlcTermsMismatch(bytes32 lockId);
    /// @notice Thrown by {claim} when a pending claim still cannot be paid (the hold is in force).
    error HtlcClaimHeld(bytes32 lockId);
    /// @notice Thrown when refunding a lock whose claim is pending: its funds are the receiver's.
    error HtlcClaimPending(bytes32 lockId);
    /// @notice Thrown when claiming at or after expiry.
    error HtlcLockExpired(bytes32 lockId, uint64 expiry);
    /// @notice Thrown when refunding before expiry.
    error HtlcLockNotExpired(bytes32 lockId, uint64 expiry);
    /// @notice Thrown when batch arrays differ in length or are empty.
    error HtlcBatchMalformed();
    /// @notice Thrown when the escrow received less than the lock's amount (a fee-on-transfer or otherwise
    ///         non-standard token): the lock would be under-funded and paid from other locks.
    error HtlcAmountNotReceived(uint256 expected, uint256 received);
    /// @notice Thrown when the registry address holds no code.
    error HtlcInvalidRegistry(address registry);

    /// @notice Emitted when funds are locked. The lock id is `lockIdOf(sender, hashlock)`; it is left out
    ///         of the topics to save gas, as a watcher on the other ledger filters by hashlock.
    event Locked(
        bytes32 indexed hashlock,
        bytes32 indexed swapId,
        address token,
        address sender,
        address receiver,
        uint256 amount,
        uint64 expiry,
        bytes32 quoteHash
    );
    /// @notice Emitted when a lock is claimed; carries the preimage so the other ledger learns it.
    /// @dev A watcher that knows the hashlock and the lock's sender derives the lock id with {lockIdOf}.
    event Claimed(bytes32 indexed lockId, bytes32 secret);
    /// @notice Emitted when a claim with the right preimage is held by the token policy: the lock becomes the
    ///         receiver's (no refund), paid by a later claim once the hold lifts. Carries the preimage.
    event ClaimHeld(bytes32 indexed lockId, bytes32 secret);
    /// @notice Emitted when a lock is refunded to its sender.
    event Refunded(bytes32 indexed lockId);
    /// @notice Emitted by {lockForBatch} for an item whose authorisation was already used (typically
    ///         submitted first by someone else through {lockFor}); the rest of the batch goes on.
    event BatchLockSkipped(address indexed sender, uint256 nonce);
    /// @notice Emitted by {claimBatch} or {refundBatch} for an open lock it leaves open because the
    ///         token policy refuses a party now (frozen, suspended or paused); the rest goes on.
    event SettlementHeld(bytes32 indexed lockId, address indexed token);

    /// @notice Locks `params.amount` of the caller's tokens; the caller is the lock's sender.
    /// @dev Requirements: the caller has approved this contract; amount > 0; receiver non-zero and not the
    ///      caller; hashlock non-zero; now < expiry <= now + maxLockDuration; the (caller, hashlock) never
    ///      locked before; `quote` signed by a QUOTE_SIGNER_ROLE holder, not expired and not valid beyond
    ///      expiry; the token would let the caller pay `receiver`; the escrow receives exactly `amount` (no
    ///      fee-on-transfer tokens). Emits {Locked}, whose quote hash is the quote's recomputed digest.
    /// @param params The lock's terms (sender aside) and its swap id.
    /// @param quote The quote the lock binds to, with its signature.
    /// @return lockId keccak256(abi.encode(msg.sender, hashlock)).
    function lock(LockParams calldata params, QuoteProof calldata quote) external returns (bytes32 lockId);

    /// @notice Locks on the sender's behalf, carrying its EIP-712 `LockAuthorisation` signature (domain
    ///         "Corridor HTLC", version "1", this chain and contract; type `LockAuthorisation(address token,
    ///         address sender,address receiver,uint256 amount,bytes32 hashlock,uint64 expiry,bytes32 swapId,
    ///         bytes32 quoteHash,uint64 quoteValidUntil,uint256 nonce)`, the quote hash being the digest of
    ///         `quote`).
    /// @dev As {lock}, for `authorisation.sender`, by any caller; the authorisation is single-use by its
    ///      nonce. Emits {Locked}.
    /// @param params The lock's terms (sender aside) and its swap id, exactly as signed.
    /// @param quote The quote the lock binds to, with its signature.
    /// @param authorisation The sender, its nonce and its signature.
    /// @return lockId keccak256(abi.encode(sender, hashlock)).
    function lockFor(LockParams calldata params, QuoteProof calldata quote, Authorisation calldata authorisation)
        external
        returns (bytes32 lockId);

    /// @notice {lockFor} for several authorisations in one transaction.
    /// @dev An item whose authorisation nonce was already used is skipped (lock id 0, {BatchLockSkipped}),
    ///      so one item submitted first by somebody else cannot make the whole batch revert; any other
    ///      failure reverts the batch. Consecutive items of the same sender and token are pulled in one
    ///      transfer (and the escrow verifies it received their sum): order a batch by sender and token.
    /// @param locks The items, each exactly the arguments of a {lockFor}.
    /// @return lockIds The lock id of each item, zero for a skipped one.
    function lockForBatch(RelayedLock[] calldata locks) external returns (bytes32[] memory lockIds);

    /// @notice Pays an open lock to its receiver, by anyone holding the preimage; during a supervisory hold
    ///         records the claim as pending instead (see the contract notes).
    /// @dev The hashlock is sha256(secret): a wrong preimage names a lock that is not open. Requirements: the
    ///      lock is live and `terms` match it; now < expiry unless a claim is pending. Pays and marks the
    ///      lock settled (emits {Claimed}) when the token policy lets this escrow release it; otherwise
    ///      records the claim as pending (emits {ClaimHeld}); reverts {HtlcClaimHeld} when a pending claim
    ///      still cannot be paid.
    /// @param terms The lock's terms, hashlock aside.
    /// @param secret The 32-byte preimage of the hashlock.
    function claim(ClaimTerms calldata terms, bytes32 secret) external;

    /// @notice Claims several locks. Locks already settled are skipped; a claim the token policy holds is
    ///         recorded as pending ({ClaimHeld}) or stays pending; any other failure reverts.
    /// @dev Consecutive paid locks of the same token and receiver are paid in one transfer.
    /// @param terms Each lock's terms, hashlock aside.
    /// @param secrets Each lock's preimage, in the same order.
    /// @return claimed How many locks this call paid out.
    function claimBatch(ClaimTerms[] calldata terms, bytes32[] calldata secrets) external returns (uint256 claimed);

    /// @notice Returns an expired lock to its sender, by anyone.
    /// @dev Requirements: the lock is open (no claim pending) and `terms` match it; now >= expiry. Marks the
    ///      lock settled. Emits {Refunded}.
    /// @param terms The lock's terms.
    function refund(LockTerms calldata terms) external;

    /// @notice Refunds several locks. Locks already settled or with a claim pending are skipped; a lock whose
    ///         sender the token policy refuses now is left open ({SettlementHeld}); any other failure reverts.
    /// @dev Consecutive refunded locks of the same token and sender are paid back in one transfer.
    /// @param terms Each lock's terms.
    /// @return refunded How many locks this call paid back.
    function refundBatch(LockTerms[] calldata terms) external returns (uint256 refunded);

    /// @notice The id of the lock `sender` holds under `hashlock`.
    function lockIdOf(address sender, bytes32 hashlock) external pure returns (bytes32);

    /// @notice True while the lock holds funds (locked, neither paid out nor refunded; a pending claim
    ///         included).
    function isOpen(bytes32 lockId) external view returns (bool);

    /// @notice True once the lock has been claimed or refunded (its id can never be locked again).
    function isSettled(bytes32 lockId) external view returns (bool);

    /// @notice True while a claim of the lock is pending: the preimage was shown during a hold; the funds
    ///         are the receiver's and are paid by a claim once the hold lifts.
    function isClaimPending(bytes32 lockId) external view returns (bool);

    /// @notice The hash of `terms` (lowest bit cleared) that an open lock stores.
    function commitmentOf(LockTerms calldata terms) external pure returns (bytes32);

    /// @notice What lock `lockId` stores: the hash of its terms (lowest bit cleared) while open, the same
    ///         with the lowest bit set while a claim is pending, {SETTLED} once claimed or refunded, zero if
    ///         never locked. A party compares it with {commitmentOf} of the terms it
    ///         agreed to before revealing a secret.
    function storedCommitment(bytes32 lockId) external view returns (bytes32);

    /// @notice The marker a settled lock's slot keeps.
    function SETTLED() external view returns (bytes32);

    /// @notice The EIP-712 digest of a quote with struct hash of terms `termsHash` valid until `validUntil`.
    function quoteDigest(bytes32 termsHash, uint64 validUntil) external pure returns (bytes32);

    /// @notice True when `sender`'s relayed authorisation `nonce` has been used.
    function authorisationUsed(address sender, uint256 nonce) external view returns (bool);

    /// @notice The longest a lock may run, in seconds.
    function maxLockDuration() external view returns (uint64);
}

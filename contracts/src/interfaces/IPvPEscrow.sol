// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxRateSource} from "./IFxRateSource.sol";

/// @title IPvPEscrow
/// @notice Payment-versus-payment for two currencies on the same ledger: both legs move in one
///         transaction or neither does.
/// @dev Three ways to settle a {Swap}, each authorised by both parties' EIP-712 signatures over the
///      same terms (domain: "Corridor PvPEscrow", version "1", chain id, this contract):
///      - {settle}: direct delivery. A relayer submits both signatures; the escrow pulls each leg
///        from its payer and pays it to the counterparty in the same transaction.
///      - {fund}: escrow mode, for parties acting at different times. The first funding parks a leg
///        here; the second settles both atomically. After the deadline each funded party can take
///        its own leg back with {reclaim}.
///      - {settleBatch}: multilateral netting. Only each participant's net position per token moves
///        (debtors pay in, then creditors are paid out), with the same final balances as gross
///        settlement. Design choice: a swap that fails validation is skipped and reported in
///        {BatchSwapRejected}; the valid ones settle. Every swap in a batch passes exactly the checks
///        a single {settle} would, including the token policy for both parties in both currencies
///        (paused currency, frozen or suspended party): netting must not let a party whose net
///        position is zero settle what it could not settle alone. A failure to collect a net debit
///        (balance, allowance) reverts the whole batch, because netting couples its swaps.
///      Before anything moves, the price is checked against the oracle: pair not halted, rate fresh,
///      and both the agreed rate and the effective rate amountB/amountA within the swap's tolerance
///      of the oracle mid (so rounding of tiny amounts cannot clear a swap far outside the band). The
///      tolerance itself may not exceed {MAX_DEVIATION_BPS}.
///
///      Nonces: each (partyA, nonce) settles at most once, and only party A's own act consumes it (its
///      signature on {settle}/{settleBatch}, or its funding of leg A in escrow mode). Funding leg B
///      first parks B's leg without touching party A's nonce, so nobody can burn another party's
///      nonce. If the same terms are then settled directly, B's parked leg stays reclaimable by B
///      after the deadline.
interface IPvPEscrow {
    /// @notice The terms both parties sign.
    /// @param partyA Pays `amountA` of `tokenA` and receives `amountB` of `tokenB`.
    /// @param tokenA Settlement token of leg A (the base currency of `rate`).
    /// @param amountA Leg A in tokenA's minor units.
    /// @param partyB Pays `amountB` of `tokenB` and receives `amountA` of `tokenA`.
    /// @param tokenB Settlement token of leg B (the quote currency of `rate`).
    /// @param amountB Leg B in tokenB's minor units.
    /// @param rate Agreed rate: tokenB units per tokenA unit (whole units), 18-decimal fixed point.
    /// @param maxDeviationBps Largest accepted deviation of `rate` from the oracle mid, in basis points.
    /// @param deadline Last second (inclusive) at which the swap may settle.
    /// @param nonce Chosen by party A; each (partyA, nonce) settles at most once.
    struct Swap {
        address partyA;
        address tokenA;
        uint256 amountA;
        address partyB;
        address tokenB;
        uint256 amountB;
        uint256 rate;
        uint16 maxDeviationBps;
        uint64 deadline;
        uint256 nonce;
    }

    /// @notice A party's EIP-712 signature of a {Swap} in compact form (EIP-2098): `r`, and `s` with the
    ///         parity bit of `v` (27 or 28) in its top bit. Two words instead of a 65-byte `bytes` (offset,
    ///         length and three words), about 400 gas of calldata and decoding per signature.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice Which side of a swap.
    enum Leg {
        A,
        B
    }

    /// @notice Why a swap was refused (also reported per swap by {settleBatch}).
    enum Rejection {
        None,
        DeadlinePassed,
        NonceUsed,
        InvalidParties,
        ZeroAmount,
        TokenNotListed,
        InvalidSignatureA,
        InvalidSignatureB,
        InvalidRate,
        AmountsInconsistentWithRate,
        RateOutsideTolerance,
        OracleUnavailable,
        PartyNotPermitted,
        ToleranceTooWide,
        AmountTooLarge
    }

    /// @notice A listed token's currency and minor units, packed in one slot.
    struct Asset {
        bytes3 currency;
        uint8 decimals;
        bool listed;
    }

    /// @notice Thrown when the swap's deadline has passed.
    error PvPDeadlinePassed(bytes32 swapId, uint64 deadline);
    /// @notice Thrown when (partyA, nonce) has already settled or been funded.
    error PvPNonceUsed(bytes32 swapId, address partyA, uint256 nonce);
    /// @notice Thrown when the parties are the same, zero, or the tokens are the same.
    error PvPInvalidParties(bytes32 swapId);
    /// @notice Thrown when a leg's amount is zero.
    error PvPZeroAmount(bytes32 swapId);
    /// @notice Thrown when a token has not been listed by the operator.
    error PvPTokenNotListed(address token);
    /// @notice Thrown when a party's signature does not recover to that party.
    error PvPInvalidSignature(bytes32 swapId, address party);
    /// @notice Thrown when the agreed rate is zero or above 1e36 (no currency pair trades there).
    error PvPInvalidRate(bytes32 swapId, uint256 rate);
    /// @notice Thrown when amountB differs by more than one minor unit from amountA converted at `rate`.
    error PvPAmountsInconsistentWithRate(bytes32 swapId, uint256 expectedAmountB, uint256 amountB);
    /// @notice Thrown when the agreed rate deviates from the oracle mid by more than the swap allows.
    error PvPRateOutsideTolerance(bytes32 swapId, uint256 rate, uint256 oracleMid, uint256 deviationBps, uint16 maxDeviationBps);
    /// @notice Thrown when {fund} or {reclaim} is called for a leg in the wrong state.
    error PvPLegState(bytes32 swapId, Leg leg, uint8 state);
    /// @notice Thrown when {reclaim} is called at or before the deadline.
    error PvPReclaimTooEarly(bytes32 swapId, uint64 deadline);
    /// @notice Thrown when a batch's arrays differ in length or the batch is empty.
    error PvPBatchMalformed(uint256 swaps, uint256 signaturesA, uint256 signaturesB);
    /// @notice Thrown when the token policy refuses a party of the swap now (currency paused, party
    ///         frozen, suspended or not a participant), checked before releasing funds held in escrow.
    error PvPPartyNotPermitted(bytes32 swapId, address token, address party);
    /// @notice Thrown when a leg's amount exceeds 2^128 - 1 minor units (far beyond any supply; the bound
    ///         keeps every rate computation free of overflow).
    error PvPAmountTooLarge(bytes32 swapId);
    /// @notice Thrown when a swap allows a deviation from the oracle mid above {MAX_DEVIATION_BPS}.
    error PvPToleranceTooWide(bytes32 swapId, uint16 maxDeviationBps, uint16 cap);
    /// @notice Thrown when the escrow received less than a leg's amount (a fee-on-transfer or otherwise
    ///         non-standard token), which would leave it paying out of other parked legs.
    error PvPAmountNotReceived(address token, uint256 expected, uint256 received);
    /// @notice Thrown when a netted batch would end with the escrow holding less of a token than before
    ///         (a token that delivered less than it was asked to): parked legs are never spent on a batch.
    error PvPEscrowShortfall(address token, uint256 before, uint256 afterBatch);
    /// @notice Thrown when a non-operator calls an operator function.
    error PvPUnauthorized(address account);
    /// @notice Thrown when listing an asset with an invalid currency code.
    error PvPInvalidAsset(address token);
    /// @notice Thrown when listing one more token than {MAX_ASSETS}.
    error PvPTooManyAssets(uint256 max);

    /// @notice Emitted when both legs of a swap have moved.
    event Settled(
        bytes32 indexed swapId,
        address indexed partyA,
        address indexed partyB,
        uint256 amountA,
        uint256 amountB,
        uint256 oracleMid,
        uint256 roundRef
    );
    /// @notice Emitted by {settleBatch} for each swap it settled (both legs, netted with the rest of the batch).
    event SettledInBatch(bytes32 indexed swapId, uint256 indexed batchId);
    /// @notice Emitted when a leg is parked in escrow mode.
    event Funded(bytes32 indexed swapId, Leg leg, address indexed party, uint256 amount);
    /// @notice Emitted when a funded party takes its leg back after the deadline.
    event Reclaimed(bytes32 indexed swapId, Leg leg, address indexed party, uint256 amount);
    /// @notice Emitted per token by {settleBatch}: value settled gross versus funding actually moved.
    event BatchNetted(uint256 indexed batchId, address indexed token, uint256 grossValue, uint256 netMoved);
    /// @notice Emitted by {settleBatch} for each swap it skipped.
    event BatchSwapRejected(uint256 indexed batchId, uint256 index, bytes32 indexed swapId, Rejection reason);
    /// @notice Emitted once per batch.
    event BatchSettled(uint256 indexed batchId, uint256 settled, uint256 rejected);
    /// @notice Emitted when the operator lists or delists a token.
    event AssetListed(address indexed token, bytes3 currency, uint8 decimals, bool listed);

    /// @notice Settles both legs of `swap` in this transaction, pulling each leg from its payer.
    /// @dev Requirements: deadline not passed; (partyA, nonce) unused; distinct non-zero parties and
    ///      listed distinct tokens; non-zero amounts; `maxDeviationBps` at most {MAX_DEVIATION_BPS}; both
    ///      signatures valid; amountB within one minor unit of amountA at `rate`; `rate` and the effective
    ///      rate amountB/amountA within `maxDeviationBps` of the oracle mid; each payer has approved this
    ///      contract for its leg; the token policy lets each leg move (not paused, no party frozen or
    ///      suspended). Emits {Settled}.
    /// @param swap The signed terms.
    /// @param signatureA Party A's EIP-712 signature over `swap`, compact (EIP-2098).
    /// @param signatureB Party B's EIP-712 signature over `swap`, compact (EIP-2098).
    /// @return id The EIP-712 digest of `swap`, which is also its id.
    function settle(Swap calldata swap, Signature calldata signatureA, Signature calldata signatureB)
        external
        returns (bytes32 id);

    /// @notice Escrow mode: parks one leg here; the second funding settles both legs atomically.
    /// @dev Requirements: as {settle} for the terms; the caller is the leg's payer, or carries the payer's
    ///      EIP-712 `Funding(bytes32 swapId,uint8 leg)` signature (a consent to escrow mode distinct from
    ///      the `Swap` signature, which can therefore never be replayed to park anyone's funds); the leg not
    ///      yet funded; the nonce unused, unless this is leg B after leg A was funded. Funding leg A
    ///      consumes party A's nonce (so {settle} can no longer run for these terms); funding leg B
    ///      never does. On the second funding the party whose leg is parked here must still be permitted
    ///      by its token (a freeze or suspension since its funding blocks settlement; the parked leg
    ///      stays reclaimable after the deadline). Emits {Funded}, and {Settled} on the second funding.
    /// @param swap The signed terms.
    /// @param leg Which leg is funded.
    /// @param signature The payer's `Funding` signature ({fundingDigest}), 65 bytes `r ‖ s ‖ v`; empty when
    ///        the payer calls.
    /// @return id The EIP-712 digest of `swap`, which is also its id.
    function fund(Swap calldata swap, Leg leg, bytes calldata signature) external returns (bytes32 id);

    /// @notice Escrow mode: after the deadline, returns a funded leg to the party that funded it.
    /// @dev Anyone may call; the funds go only to that leg's payer. Requirements: `block.timestamp`
    ///      after the deadline; the leg funded and the swap not settled. Emits {Reclaimed}.
    /// @param swap The terms.
    /// @param leg Which leg to return.
    function reclaim(Swap calldata swap, Leg leg) external;

    /// @notice Settles a batch with multilateral netting; see the contract notes for skipped swaps.
    /// @dev Requirements: the three arrays have the same, non-zero length. Emits {BatchSwapRejected}
    ///      per skipped swap, {SettledInBatch} per settled swap, {BatchNetted} per token and {BatchSettled}.
    /// @param swaps The signed terms.
    /// @param signaturesA Party A's compact signature for each swap.
    /// @param signaturesB Party B's compact signature for each swap.
    /// @return batchId Sequence number of this batch.
    /// @return settled How many swaps settled.
    function settleBatch(Swap[] calldata swaps, Signature[] calldata signaturesA, Signature[] calldata signaturesB)
        external
        returns (uint256 batchId, uint256 settled);

    /// @notice Lists (or delists) a token with its currency and minor units.
    /// @dev Requirements: caller holds the registry's OPERATOR_ROLE; `currency` is non-zero; `decimals` is the
    ///      token's own `decimals()` and, when the token names its currency (`currency()`), `currency` is
    ///      that one; listing a token not yet listed leaves at most {MAX_ASSETS} listed. Emits {AssetListed}.
    function listAsset(address token, bytes3 currency, uint8 decimals, bool listed) external;

    /// @notice The most tokens listed at once (listing keeps a word per ordered pair of listed tokens, so a
    ///         settlement reads both legs' currencies and minor units in one slot).
    function MAX_ASSETS() external view returns (uint256);

    /// @notice The widest tolerance a swap may allow around the oracle mid, in basis points (10 %).
    function MAX_DEVIATION_BPS() external view returns (uint16);

    /// @notice The EIP-712 digest of `swap`, which is also its id.
    function swapId(Swap calldata swap) external view returns (bytes32);

    /// @notice The EIP-712 digest a payer signs to let a relayer fund its `leg` of swap `id`.
    function fundingDigest(bytes32 id, Leg leg) external view returns (bytes32);

    /// @notice True when (partyA, nonce) has been consumed.
    function nonceUsed(address partyA, uint256 nonce) external view returns (bool);

    /// @notice Escrow-mode state bits of a swap: 1 leg A funded, 2 leg B funded, 4 settled, 8 A reclaimed, 16 B reclaimed.
    function escrowState(bytes32 id) external view returns (uint8);

    /// @notice Why `swap` would be refused now (Rejection.None when it would settle), without reverting.
    function check(Swap calldata swap, Signature calldata signatureA, Signature calldata signatureB)
        external
        view
        returns (Rejection);

    /// @notice The oracle every settlement is checked against.
    function oracle() external view returns (IFxRateSource);

    /// @notice A listed token's asset record.
    function asset(address token) external view returns (Asset memory);
}

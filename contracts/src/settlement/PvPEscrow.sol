// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IFxRateSource} from "../interfaces/IFxRateSource.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IPvPEscrow} from "../interfaces/IPvPEscrow.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {ITransferPolicy} from "../interfaces/ITransferPolicy.sol";
import {FxMath} from "../libraries/FxMath.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title PvPEscrow
/// @notice Same-ledger payment-versus-payment with direct, escrow-mode and netted batch settlement.
contract PvPEscrow is IPvPEscrow, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using TransientSlot for TransientSlot.Uint256Slot;

    bytes32 private constant _SWAP_TYPEHASH = keccak256(
        "Swap(address partyA,address tokenA,uint256 amountA,address partyB,address tokenB,uint256 amountB,uint256 rate,uint16 maxDeviationBps,uint64 deadline,uint256 nonce)"
    );

    /// @dev Consent to park one's own leg in escrow mode. A separate type from `Swap`: a signature given
    ///      for direct settlement (public in every settle and settleBatch calldata) can never be replayed
    ///      to park a party's funds.
    bytes32 private constant _FUNDING_TYPEHASH = keccak256("Funding(bytes32 swapId,uint8 leg)");

    uint8 private constant _FUNDED_A = 1;
    uint8 private constant _FUNDED_B = 2;
    uint8 private constant _SETTLED = 4;
    uint8 private constant _RECLAIMED_A = 8;
    uint8 private constant _RECLAIMED_B = 16;

    /// @inheritdoc IPvPEscrow
    uint16 public constant MAX_DEVIATION_BPS = 1_000;

    /// @dev secp256k1's order / 2: the largest `s` of a non-malleable signature (EIP-2).
    uint256 private constant _HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @dev Per-batch memo of the token policy's answer for (party, token): 0 unknown, 1 permitted, 2 not.
    uint256 private constant _PERMIT_UNKNOWN = 0;
    uint256 private constant _PERMIT_YES = 1;
    uint256 private constant _PERMIT_NO = 2;
    /// @dev Tags that keep the two per-batch transient maps (policy memo, position index) apart.
    uint256 private constant _PERMIT_TAG = 0;
    uint256 private constant _POSITION_TAG = 1;

    /// @inheritdoc IPvPEscrow
    uint256 public constant MAX_ASSETS = 32;

    IParticipantRegistry public immutable registry;
    /// @inheritdoc IPvPEscrow
    IFxRateSource public immutable oracle;

    mapping(address token => Asset) private _assets;
    /// @dev The figures a swap between two listed tokens is checked with, one word per ordered token pair:
    ///      `currencyA (24) | 10**decimalsA (64) | currencyB (24) | 10**decimalsB (64)` (high to low), non-zero
    ///      exactly while both tokens are listed. Kept by {listAsset}; a settlement reads one slot for both legs.
    mapping(address tokenA => mapping(address tokenB => uint256 legs)) private _legs;
    /// @dev The listed tokens (at most MAX_ASSETS), to keep `_legs` when a token is listed or delisted.
    address[] private _listed;
    mapping(address partyA => mapping(uint256 word => uint256 bits)) private _nonceBitmap;
    mapping(bytes32 swapId => uint8 state) private _escrow;
    uint256 private _batchCount;

    constructor(IParticipantRegistry registry_, IFxRateSource oracle_) EIP712("Corridor PvPEscrow", "1") {
        registry = registry_;
        oracle = oracle_;
    }

    // ─── Direct settlement ───────────────────────────────────────────────────────────────

    /// @inheritdoc IPvPEscrow
    function settle(Swap calldata swap, Signature calldata signatureA, Signature calldata signatureB)
        external
        nonReentrant
        returns (bytes32 id)
    {
        id = _hash(swap);
        (uint256 mid, uint256 roundRef) = _validateOrRevert(swap, id, signatureA, signatureB);
        (address partyA, address partyB, uint256 amountA, uint256 amountB) =
            (swap.partyA, swap.partyB, swap.amountA, swap.amountB);
        _useNonce(partyA, swap.nonce);
        emit Settled(id, partyA, partyB, amountA, amountB, mid, roundRef);
        // Both parties signed these exact terms (EIP-712, checked by _validateOrRevert above).
        // slither-disable-next-line arbitrary-send-erc20
        IERC20(swap.tokenA).safeTransferFrom(partyA, partyB, amountA);
        // slither-disable-next-line arbitrary-send-erc20
        IERC20(swap.tokenB).safeTransferFrom(partyB, partyA, amountB);
    }

    // ─── Escrow mode ─────────────────────────────────────────────────────────────────────
    //
    //   fund(first leg) ──► fund(second leg) = settle both          (any time up to the deadline)
    //          │
    //          └─ deadline passes ──► reclaim(funded leg) to its payer   (deadline + 1 onwards)

    /// @inheritdoc IPvPEscrow
    function fund(Swap calldata swap, Leg leg, bytes calldata signature) external nonReentrant returns (bytes32 id) {
        id = _hash(swap);
        uint8 state = _escrow[id];
        uint8 fundedBit = leg == Leg.A ? _FUNDED_A : _FUNDED_B;
        if (state & (fundedBit | _SETTLED | _RECLAIMED_A | _RECLAIMED_B) != 0) revert PvPLegState(id, leg, state);
        // Only party A's own act consumes its nonce: funding leg A does (checked and used here), funding
        // leg B never does, so nobody can burn another party's nonce by naming it party A. A first funding
        // of leg B still checks the nonce is unused: once the terms settled directly (or in a batch), no
        // leg of them may be parked any more.
        (Rejection terms, uint256 legs) = _checkTerms(swap, leg == Leg.A || state == 0);
        if (terms != Rejection.None) _revertWith(terms, swap, id);
        (address payer, address token, uint256 amount) = _leg(swap, leg);
        if (msg.sender != payer && !_signedByBytes(_fundingDigest(id, leg), signature, payer)) {
            revert PvPInvalidSignature(id, payer);
        }
        if (leg == Leg.A) _useNonce(swap.partyA, swap.nonce);
        if (state == 0) {
            _escrow[id] = fundedBit;
            emit Funded(id, leg, payer, amount);
            _pull(token, payer, amount);
            return id;
        }
        _escrow[id] = state | fundedBit | _SETTLED;
        emit Funded(id, leg, payer, amount);
        _settleFunded(swap, id, leg == Leg.A ? Leg.B : Leg.A, legs);
        _pull(token, payer, amount);
        IERC20(swap.tokenA).safeTransfer(swap.partyB, swap.amountA);
        IERC20(swap.tokenB).safeTransfer(swap.partyA, swap.amountB);
    }

    /// @dev The second funding settles both legs. The parked leg's payer funded earlier: a freeze or
    ///      suspension since then blocks settlement (its leg stays reclaimable after the deadline); the
    ///      tokens check everyone else on the transfers that follow.
    function _settleFunded(Swap calldata swap, bytes32 id, Leg parked, uint256 legs) private {
        (address parkedPayer, address parkedToken,) = _leg(swap, parked);
        if (!ITransferPolicy(parkedToken).isPermitted(parkedPayer)) {
            revert PvPPartyNotPermitted(id, parkedToken, parkedPayer);
        }
        (uint256 mid, uint256 roundRef) = _checkRate(swap, id, legs);
        emit Settled(id, swap.partyA, swap.partyB, swap.amountA, swap.amountB, mid, roundRef);
    }

    /// @dev Pulls a leg into escrow and verifies what arrived: a fee-on-transfer token would otherwise
    ///      leave the escrow paying this leg out of other parked legs.
    function _pull(address token, address payer, uint256 amount) private {
        uint256 held = IERC20(token).balanceOf(address(this));
        // Only fund() pulls, after checking the payer is msg.sender or signed these exact terms.
        // slither-disable-next-line arbitrary-send-erc20
        IERC20(token).safeTransferFrom(payer, address(this), amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        uint256 received = balance > held ? balance - held : 0;
        if (received != amount) revert PvPAmountNotReceived(token, amount, received);
    }

    function _leg(Swap calldata swap, Leg leg) private pure returns (address payer, address token, uint256 amount) {
        return leg == Leg.A ? (swap.partyA, swap.tokenA, swap.amountA) : (swap.partyB, swap.tokenB, swap.amountB);
    }

    /// @inheritdoc IPvPEscrow
    function reclaim(Swap calldata swap, Leg leg) external nonReentrant {
        bytes32 id = _hash(swap);
        if (block.timestamp <= swap.deadline) revert PvPReclaimTooEarly(id, swap.deadline);
        uint8 state = _escrow[id];
        uint8 fundedBit = leg == Leg.A ? _FUNDED_A : _FUNDED_B;
        uint8 reclaimedBit = leg == Leg.A ? _RECLAIMED_A : _RECLAIMED_B;
        if (state & fundedBit == 0 || state & (_SETTLED | reclaimedBit) != 0) revert PvPLegState(id, leg, state);
        _escrow[id] = state | reclaimedBit;
        (address payer, address token, uint256 amount) = _leg(swap, leg);
        emit Reclaimed(id, leg, payer, amount);
        IERC20(token).safeTransfer(payer, amount);
    }

    // ─── Batch settlement with multilateral netting ──────────────────────────────────────

    /// @dev One participant's running net position in one token during a batch (memory only).
    struct Position {
        address party;
        address token;
        int256 net;
    }

    /// @dev Gross value per token during a batch (memory only).
    struct Gross {
        address token;
        uint256 value;
    }

    /// @dev The oracle's answer for one token pair, asked once per batch (memory only).
    struct RateQuote {
        address tokenA;
        address tokenB;
        bool available;
        uint256 mid;
        uint256 roundRef;
    }

    /// @dev A batch in progress (memory only). Position lookups go through transient storage
    ///      (key: batch id, party, token) so booking a leg costs the same however many positions exist.
    struct Batch {
        uint256 id;
        uint256 settled;
        Position[] positions;
        uint256 positionCount;
        Gross[] gross;
        uint256 tokenCount;
        RateQuote[] rates;
        uint256 rateCount;
    }

    /// @inheritdoc IPvPEscrow
    function settleBatch(Swap[] calldata swaps, Signature[] calldata signaturesA, Signature[] calldata signaturesB)
        external
        nonReentrant
        returns (uint256 batchId, uint256 settled)
    {
        uint256 n = swaps.length;
        if (n == 0 || signaturesA.length != n || signaturesB.length != n) {
            revert PvPBatchMalformed(n, signaturesA.length, signaturesB.length);
        }
        Batch memory batch = Batch({
            id: ++_batchCount,
            settled: 0,
            positions: new Position[](4 * n),
            positionCount: 0,
            gross: new Gross[](2 * n),
            tokenCount: 0,
            rates: new RateQuote[](n),
            rateCount: 0
        });
        for (uint256 i; i < n; ++i) {
            _batchOne(batch, i, swaps[i], signaturesA[i], signaturesB[i]);
        }
        emit BatchSettled(batch.id, batch.settled, n - batch.settled);
        _moveNet(batch);
        return (batch.id, batch.settled);
    }

    /// @dev Validates one swap of a batch and books it into the net positions, or reports why not.
    function _batchOne(
        Batch memory batch,
        uint256 index,
        Swap calldata swap,
        Signature calldata signatureA,
        Signature calldata signatureB
    ) private {
        bytes32 id = _hash(swap);
        // _checkTerms sees nonces consumed earlier in this batch, so a duplicate swap is refused.
        (Rejection rejection, uint256 legs) = _checkTermsAndSignatures(swap, id, signatureA, signatureB);
        if (rejection == Rejection.None) rejection = _checkBatchParties(batch.id, swap);
        if (rejection == Rejection.None) rejection = _checkBatchRate(batch, swap, legs);
        if (rejection != Rejection.None) {
            emit BatchSwapRejected(batch.id, index, id, rejection);
            return;
        }
        _useNonce(swap.partyA, swap.nonce);
        emit SettledInBatch(id, batch.id);
        int256 amountA = SafeCast.toInt256(swap.amountA);
        int256 amountB = SafeCast.toInt256(swap.amountB);
        _book(batch, swap.partyA, swap.tokenA, -amountA);
        _book(batch, swap.partyB, swap.tokenA, amountA);
        _book(batch, swap.partyB, swap.tokenB, -amountB);
        _book(batch, swap.partyA, swap.tokenB, amountB);
        _addGross(batch, swap.tokenA, swap.amountA);
        _addGross(batch, swap.tokenB, swap.amountB);
        ++batch.settled;
    }

    /// @dev Both parties must be permitted by both tokens, exactly as the two transfers of a single
    ///      {settle} would require: netting moves only net positions, so without this a party whose net
    ///      position in a token is zero (frozen, suspended, or in a paused currency) would settle
    ///      through the batch what it could not settle alone. Answers are memoised per batch.
    function _checkBatchParties(uint256 batchId, Swap calldata swap) private returns (Rejection) {
        if (
            !_permittedInBatch(batchId, swap.tokenA, swap.partyA) || !_permittedInBatch(batchId, swap.tokenA, swap.partyB)
                || !_permittedInBatch(batchId, swap.tokenB, swap.partyA)
                || !_permittedInBatch(batchId, swap.tokenB, swap.partyB)
        ) return Rejection.PartyNotPermitted;
        return Rejection.None;
    }

    function _permittedInBatch(uint256 batchId, address token, address party) private returns (bool) {
        TransientSlot.Uint256Slot slot = TransientSlot.asUint256(_batchKey(_PERMIT_TAG, batchId, party, token));
        uint256 memo = slot.tload();
        if (memo == _PERMIT_UNKNOWN) {
            memo = ITransferPolicy(token).isPermitted(party) ? _PERMIT_YES : _PERMIT_NO;
            slot.tstore(memo);
        }
        return memo == _PERMIT_YES;
    }

    /// @dev The oracle is asked once per token pair per batch; its answer (or failure) is reused. Memory is
    ///      allocated only for a pair's first swap: per-swap allocations would grow the batch's memory, whose
    ///      cost is quadratic.
    function _checkBatchRate(Batch memory batch, Swap calldata swap, uint256 legs) private view returns (Rejection) {
        (address tokenA, address tokenB) = (swap.tokenA, swap.tokenB);
        uint256 count = batch.rateCount;
        for (uint256 r; r < count; ++r) {
            RateQuote memory cached = batch.rates[r];
            if (cached.tokenA == tokenA && cached.tokenB == tokenB) return _judgeQuote(swap, cached, legs);
        }
        RateQuote memory quote = RateQuote({tokenA: tokenA, tokenB: tokenB, available: false, mid: 0, roundRef: 0});
        try oracle.settlementRate(_currencyA(legs), _currencyB(legs)) returns (uint256 mid, uint256 roundRef) {
            (quote.available, quote.mid, quote.roundRef) = (true, mid, roundRef);
        } catch {}
        batch.rates[batch.rateCount++] = quote;
        return _judgeQuote(swap, quote, legs);
    }

    function _judgeQuote(Swap calldata swap, RateQuote memory quote, uint256 legs) private pure returns (Rejection) {
        if (!quote.available) return Rejection.OracleUnavailable;
        if (!_withinTolerance(swap, quote.mid, legs)) return Rejection.RateOutsideTolerance;
        return Rejection.None;
    }

    /// @dev Debtors pay in first, so the escrow never pays out what it does not yet hold; and it must end
    ///      holding at least what it held before, so legs parked in escrow mode are never spent.
    function _moveNet(Batch memory batch) private {
        uint256[] memory held = new uint256[](batch.tokenCount);
        for (uint256 t; t < batch.tokenCount; ++t) {
            held[t] = IERC20(batch.gross[t].token).balanceOf(address(this));
            uint256 moved = 0;
            for (uint256 p; p < batch.positionCount; ++p) {
                Position memory position = batch.positions[p];
                if (position.token == batch.gross[t].token && position.net > 0) moved += uint256(position.net);
            }
            emit BatchNetted(batch.id, batch.gross[t].token, batch.gross[t].value, moved);
        }
        for (uint256 p; p < batch.positionCount; ++p) {
            Position memory position = batch.positions[p];
            if (position.net < 0) {
                // A debit is booked only for a party whose signature _batchOne checked on every swap
                // it is booked for.
                // slither-disable-next-line arbitrary-send-erc20
                IERC20(position.token).safeTransferFrom(position.party, address(this), uint256(-position.net));
            }
        }
        for (uint256 p; p < batch.positionCount; ++p) {
            Position memory position = batch.positions[p];
            if (position.net > 0) IERC20(position.token).safeTransfer(position.party, uint256(position.net));
        }
        for (uint256 t; t < batch.tokenCount; ++t) {
            address token = batch.gross[t].token;
            uint256 balance = IERC20(token).balanceOf(address(this));
            if (balance < held[t]) revert PvPEscrowShortfall(token, held[t], balance);
        }
    }

    function _book(Batch memory batch, address party, address token, int256 delta) private {
        TransientSlot.Uint256Slot slot = TransientSlot.asUint256(_batchKey(_POSITION_TAG, batch.id, party, token));
        uint256 oneBasedIndex = slot.tload();
        if (oneBasedIndex != 0) {
            batch.positions[oneBasedIndex - 1].net += delta;
            return;
        }
        batch.positions[batch.positionCount++] = Position({party: party, token: token, net: delta});
        slot.tstore(batch.positionCount);
    }

    /// @dev The transient-storage key of (tag, batch, party, token): `keccak256(abi.encode(...))` computed in
    ///      the scratch memory past the free-memory pointer, which it leaves where it was (no allocation per
    ///      lookup, so a batch's memory does not grow with its swaps).
    function _batchKey(uint256 tag, uint256 batchId, address party, address token) private pure returns (bytes32 key) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, tag)
            mstore(add(ptr, 0x20), batchId)
            mstore(add(ptr, 0x40), and(party, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x60), and(token, 0xffffffffffffffffffffffffffffffffffffffff))
            key := keccak256(ptr, 0x80)
        }
    }

    function _addGross(Batch memory batch, address token, uint256 amount) private pure {
        for (uint256 t; t < batch.tokenCount; ++t) {
            if (batch.gross[t].token == token) {
                batch.gross[t].value += amount;
                return;
            }
        }
        batch.gross[batch.tokenCount++] = Gross({token: token, value: amount});
    }

    // ─── Operator ────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPvPEscrow
    function listAsset(address token, bytes3 currency, uint8 decimals, bool listed) external {
        if (!registry.hasRole(Roles.OPERATOR, msg.sender)) revert PvPUnauthorized(msg.sender);
        if (token.code.length == 0 || currency == bytes3(0) || decimals > 18) revert PvPInvalidAsset(token);
        // The band check trusts these figures: they must be the token's own (a relabelled decimals would
        // move the oracle band by powers of ten).
        if (!_describes(token, currency, decimals)) revert PvPInvalidAsset(token);
        _assets[token] = Asset({currency: currency, decimals: decimals, listed: listed});
        _relink(token, currency, decimals, listed);
        emit AssetListed(token, currency, decimals, listed);
    }

    /// @dev Rewrites the `_legs` words of every pair `token` forms with another listed token: its figures
    ///      while listed, zero once delisted.
    function _relink(address token, bytes3 currency, uint8 decimals, bool listed) private {
        uint256 count = _listed.length;
        uint256 at = count;
        for (uint256 i; i < count; ++i) {
            if (_listed[i] == token) at = i;
        }
        if (!listed) {
            if (at < count) {
                _listed[at] = _listed[count - 1];
                _listed.pop();
                --count;
            }
        } else if (at == count) {
            if (count == MAX_ASSETS) revert PvPTooManyAssets(MAX_ASSETS);
            _listed.push(token);
        }
        uint256 own = _leg(currency, decimals);
        for (uint256 i; i < count; ++i) {
            address other = _listed[i];
            if (other == token) continue;
            Asset memory o = _assets[other];
            uint256 theirs = _leg(o.currency, o.decimals);
            _legs[token][other] = listed ? (own << 88) | theirs : 0;
            _legs[other][token] = listed ? (theirs << 88) | own : 0;
        }
    }

    /// @dev One side of a `legs` word: `currency (24) | 10**decimals (64)`.
    function _leg(bytes3 currency, uint8 decimals) private pure returns (uint256) {
        return (uint256(uint24(currency)) << 64) | 10 ** decimals;
    }

    /// @dev True when the token reports exactly these minor units and, if it names its currency (as a
    ///      SettlementToken does), this currency.
    function _describes(address token, bytes3 currency, uint8 decimals) private view returns (bool) {
        try IERC20Metadata(token).decimals() returns (uint8 actual) {
            if (actual != decimals) return false;
        } catch {
            return false;
        }
        try ISettlementToken(token).currency() returns (bytes3 named) {
            return named == currency;
        } catch {
            return true; // a token that names no currency (a plain ERC-20) is listed on its decimals alone
        }
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPvPEscrow
    function swapId(Swap calldata swap) external view returns (bytes32) {
        return _hash(swap);
    }

    /// @inheritdoc IPvPEscrow
    function fundingDigest(bytes32 id, Leg leg) external view returns (bytes32) {
        return _fundingDigest(id, leg);
    }

    /// @inheritdoc IPvPEscrow
    function nonceUsed(address partyA, uint256 nonce) external view returns (bool) {
        return _nonceIsUsed(partyA, nonce);
    }

    /// @inheritdoc IPvPEscrow
    function escrowState(bytes32 id) external view returns (uint8) {
        return _escrow[id];
    }

    /// @inheritdoc IPvPEscrow
    function check(Swap calldata swap, Signature calldata signatureA, Signature calldata signatureB)
        external
        view
        returns (Rejection)
    {
        return _validate(swap, _hash(swap), signatureA, signatureB);
    }

    /// @inheritdoc IPvPEscrow
    function asset(address token) external view returns (Asset memory) {
        return _assets[token];
    }

    // ─── Validation ──────────────────────────────────────────────────────────────────────

    function _validateOrRevert(
        Swap calldata swap,
        bytes32 id,
        Signature calldata signatureA,
        Signature calldata signatureB
    ) private view returns (uint256 mid, uint256 roundRef) {
        (Rejection rejection, uint256 legs) = _checkTerms(swap, true);
        if (rejection != Rejection.None) _revertWith(rejection, swap, id);
        if (!_signedBy(id, signatureA, swap.partyA)) revert PvPInvalidSignature(id, swap.partyA);
        if (!_signedBy(id, signatureB, swap.partyB)) revert PvPInvalidSignature(id, swap.partyB);
        return _checkRate(swap, id, legs);
    }

    /// @dev The non-reverting twin of {_validateOrRevert}, for {check}.
    function _validate(Swap calldata swap, bytes32 id, Signature calldata signatureA, Signature calldata signatureB)
        private
        view
        returns (Rejection)
    {
        (Rejection rejection, uint256 legs) = _checkTermsAndSignatures(swap, id, signatureA, signatureB);
        if (rejection != Rejection.None) return rejection;
        if (
            !ITransferPolicy(swap.tokenA).isPermitted(swap.partyA) || !ITransferPolicy(swap.tokenA).isPermitted(swap.partyB)
                || !ITransferPolicy(swap.tokenB).isPermitted(swap.partyA)
                || !ITransferPolicy(swap.tokenB).isPermitted(swap.partyB)
        ) return Rejection.PartyNotPermitted;
        // check() needs only the mid; the round is reported when the swap settles.
        // slither-disable-next-line unused-return
        try oracle.settlementRate(_currencyA(legs), _currencyB(legs)) returns (uint256 oracleMid, uint256) {
            return _withinTolerance(swap, oracleMid, legs) ? Rejection.None : Rejection.RateOutsideTolerance;
        } catch {
            return Rejection.OracleUnavailable;
        }
    }

    function _checkTermsAndSignatures(
        Swap calldata swap,
        bytes32 id,
        Signature calldata signatureA,
        Signature calldata signatureB
    ) private view returns (Rejection rejection, uint256 legs) {
        (rejection, legs) = _checkTerms(swap, true);
        if (rejection != Rejection.None) return (rejection, legs);
        if (!_signedBy(id, signatureA, swap.partyA)) rejection = Rejection.InvalidSignatureA;
        else if (!_signedBy(id, signatureB, swap.partyB)) rejection = Rejection.InvalidSignatureB;
    }

    /// @dev Everything about the terms that needs neither signatures nor the oracle. Returns the pair's
    ///      `legs` word (both currencies and minor units, one SLOAD), which every later check reuses.
    function _checkTerms(Swap calldata swap, bool checkNonce) private view returns (Rejection, uint256 legs) {
        if (block.timestamp > swap.deadline) return (Rejection.DeadlinePassed, 0);
        (address partyA, address partyB, address tokenA, address tokenB) =
            (swap.partyA, swap.partyB, swap.tokenA, swap.tokenB);
        if (checkNonce && _nonceIsUsed(partyA, swap.nonce)) return (Rejection.NonceUsed, 0);
        if (partyA == partyB || partyA == address(0) || partyB == address(0) || tokenA == tokenB) {
            return (Rejection.InvalidParties, 0);
        }
        (uint256 amountA, uint256 amountB) = (swap.amountA, swap.amountB);
        if (amountA == 0 || amountB == 0) return (Rejection.ZeroAmount, 0);
        if ((amountA | amountB) > type(uint128).max) return (Rejection.AmountTooLarge, 0);
        if (swap.maxDeviationBps > MAX_DEVIATION_BPS) return (Rejection.ToleranceTooWide, 0);
        legs = _legs[tokenA][tokenB];
        if (legs == 0) return (Rejection.TokenNotListed, 0);
        uint256 rate = swap.rate;
        if (rate == 0 || rate > FxMath.MAX_RATE) return (Rejection.InvalidRate, legs);
        uint256 expectedB = FxMath.convertScaled(amountA, rate, _scaleA(legs), _scaleB(legs));
        uint256 gap = expectedB > amountB ? expectedB - amountB : amountB - expectedB;
        if (gap > 1) return (Rejection.AmountsInconsistentWithRate, legs);
        return (Rejection.None, legs);
    }

    /// @dev Reads the oracle (which reverts with its own error when halted, stale or unknown) and
    ///      checks the agreed rate against the mid.
    function _checkRate(Swap calldata swap, bytes32 id, uint256 legs)
        private
        view
        returns (uint256 mid, uint256 roundRef)
    {
        (mid, roundRef) = oracle.settlementRate(_currencyA(legs), _currencyB(legs));
        (uint256 rate, uint16 tolerance) = (swap.rate, swap.maxDeviationBps);
        uint256 deviation = FxMath.deviationBps(rate, mid);
        if (deviation > tolerance) revert PvPRateOutsideTolerance(id, rate, mid, deviation, tolerance);
        (uint256 effective, uint256 effectiveDeviation) = _effectiveDeviation(swap, mid, legs);
        if (effectiveDeviation > tolerance) {
            revert PvPRateOutsideTolerance(id, effective, mid, effectiveDeviation, tolerance);
        }
    }

    /// @dev The agreed rate and the effective rate (what amountB for amountA really pays) both within
    ///      the swap's tolerance of `mid`.
    function _withinTolerance(Swap calldata swap, uint256 mid, uint256 legs) private pure returns (bool) {
        if (FxMath.deviationBps(swap.rate, mid) > swap.maxDeviationBps) return false;
        (, uint256 effectiveDeviation) = _effectiveDeviation(swap, mid, legs);
        return effectiveDeviation <= swap.maxDeviationBps;
    }

    /// @dev amountB / amountA as an 18-decimal rate in whole units, and its distance from `mid` in bps.
    ///      `rate` may round amountB by a minor unit; for tiny amounts that unit is a large share of the
    ///      leg, which this check refuses (0.01 CNY for 0.02 HKD is a rate of 2, not 1.085).
    function _effectiveDeviation(Swap calldata swap, uint256 mid, uint256 legs)
        private
        pure
        returns (uint256 effective, uint256 deviation)
    {
        effective = FxMath.rateOfScaled(swap.amountA, swap.amountB, _scaleA(legs), _scaleB(legs));
        deviation = FxMath.deviationBps(effective, mid);
    }

    function _revertWith(Rejection rejection, Swap calldata swap, bytes32 id) private view {
        if (rejection == Rejection.DeadlinePassed) revert PvPDeadlinePassed(id, swap.deadline);
        if (rejection == Rejection.NonceUsed) revert PvPNonceUsed(id, swap.partyA, swap.nonce);
        if (rejection == Rejection.InvalidParties) revert PvPInvalidParties(id);
        if (rejection == Rejection.ZeroAmount) revert PvPZeroAmount(id);
        if (rejection == Rejection.AmountTooLarge) revert PvPAmountTooLarge(id);
        if (rejection == Rejection.TokenNotListed) {
            revert PvPTokenNotListed(_assets[swap.tokenA].listed ? swap.tokenB : swap.tokenA);
        }
        if (rejection == Rejection.InvalidRate) revert PvPInvalidRate(id, swap.rate);
        if (rejection == Rejection.ToleranceTooWide) {
            revert PvPToleranceTooWide(id, swap.maxDeviationBps, MAX_DEVIATION_BPS);
        }
        Asset memory assetA = _assets[swap.tokenA];
        uint256 expectedB = FxMath.convert(swap.amountA, swap.rate, assetA.decimals, _assets[swap.tokenB].decimals);
        revert PvPAmountsInconsistentWithRate(id, expectedB, swap.amountB);
    }

    /// @dev A compact (EIP-2098) signature of `id` by `party`. OpenZeppelin's recovery refuses a
    ///      malleable (high) `s` and a zero signer, as for 65-byte signatures.
    function _signedBy(bytes32 id, Signature calldata signature, address party) private pure returns (bool) {
        bytes32 vs = signature.vs;
        bytes32 s = vs & bytes32(type(uint256).max >> 1);
        // As OpenZeppelin's ECDSA: only the lower half of s is accepted (no malleable twin).
        if (uint256(s) > _HALF_ORDER) return false;
        // ecrecover answers zero for an invalid signature; `party` is never zero (checked with the terms).
        return ecrecover(id, uint8(uint256(vs) >> 255) + 27, signature.r, s) == party;
    }

    /// @dev A 65-byte `r ‖ s ‖ v` signature of `digest` by `party` (the optional {fund} consent).
    function _signedByBytes(bytes32 id, bytes calldata signature, address party) private pure returns (bool) {
        // The third value only details `error`, which is checked.
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(id, signature);
        return error == ECDSA.RecoverError.NoError && signer == party;
    }

    function _fundingDigest(bytes32 id, Leg leg) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_FUNDING_TYPEHASH, id, uint8(leg))));
    }

    /// @dev `_hashTypedDataV4(keccak256(abi.encode(_SWAP_TYPEHASH, swap)))`, the struct hashed in the scratch
    ///      memory past the free-memory pointer (no allocation per swap of a batch). Every field of `Swap` is
    ///      one static word, so its calldata is its ABI encoding; a field with dirty high bits hashes to a
    ///      digest nobody signed (and reverts where it is read).
    function _hash(Swap calldata swap) private view returns (bytes32) {
        bytes32 structHash;
        bytes32 typeHash = _SWAP_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), swap, 0x140)
            structHash := keccak256(ptr, 0x160)
        }
        return _hashTypedDataV4(structHash);
    }

    function _currencyA(uint256 legs) private pure returns (bytes3) {
        return bytes3(uint24(legs >> 152));
    }

    function _currencyB(uint256 legs) private pure returns (bytes3) {
        return bytes3(uint24(legs >> 64));
    }

    function _scaleA(uint256 legs) private pure returns (uint256) {
        return uint64(legs >> 88);
    }

    function _scaleB(uint256 legs) private pure returns (uint256) {
        return uint64(legs);
    }

    function _nonceIsUsed(address partyA, uint256 nonce) private view returns (bool) {
        return _nonceBitmap[partyA][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    function _useNonce(address partyA, uint256 nonce) private {
        _nonceBitmap[partyA][nonce >> 8] |= 1 << (nonce & 0xff);
    }
}

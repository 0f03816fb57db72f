// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {DelayedGovernance} from "../governance/DelayedGovernance.sol";
import {IFxOracle} from "../interfaces/IFxOracle.sol";
import {IFxRateSource} from "../interfaces/IFxRateSource.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IsoCodes} from "../libraries/IsoCodes.sol";
import {ObservationCodec} from "../libraries/ObservationCodec.sol";
import {PairCodec} from "../libraries/PairCodec.sol";
import {RoundCodec} from "../libraries/RoundCodec.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title FxOracle
/// @notice The sanity band every Corridor settlement is checked against. See {IFxOracle}.
contract FxOracle is IFxOracle, EIP712, DelayedGovernance {
    using ObservationCodec for uint256;
    using IsoCodes for bytes3;

    bytes32 private constant _REPORT_TYPEHASH = keccak256("Report(uint256[] observations)");
    uint256 private constant _BPS = 10_000;
    uint256 private constant _ONE = 1e8;
    /// @dev Beyond this many calendar days a rate is stale whatever the calendar says.
    uint256 private constant _MAX_CALENDAR_DAYS = 31;
    /// @dev secp256k1's order / 2: the largest `s` of a non-malleable signature (EIP-2).
    uint256 private constant _HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice The smallest configured quorum: no reporter ever publishes alone.
    uint256 public constant MIN_QUORUM = 2;
    /// @notice Bounds of a pair's maximum age, in open-market seconds.
    uint256 public constant MIN_MAX_AGE = 1 hours;
    uint256 public constant MAX_MAX_AGE = 14 days;
    /// @notice The widest dispersion band and breaker threshold, in basis points.
    uint256 public constant MAX_BPS = 10_000;
    /// @notice The most crosses the oracle judges after each round (bounds {publish}'s gas).
    uint256 public constant MAX_CROSSES = 16;
    /// @inheritdoc IFxOracle
    uint256 public constant ROUND_WINDOW = 256;

    /// @notice The ledger's participant registry: roles and the reporter set.
    IParticipantRegistry public immutable registry;
    /// @inheritdoc IFxOracle
    bytes3 public immutable baseCurrency;

    mapping(bytes6 pairId => uint256 packed) private _pairs; // see PairCodec
    /// @dev Each pair's last ROUND_WINDOW rounds, round `id` at index `id % ROUND_WINDOW` (see RoundCodec).
    ///      Once a pair's ring is full a round overwrites a non-zero word (~5k gas) instead of filling a
    ///      fresh slot (~22k); older rounds live on in {RoundPublished}.
    mapping(bytes6 pairId => uint256[ROUND_WINDOW] ring) private _rounds;
    mapping(uint256 dayWord => uint256 bits) private _holidays;
    // One slot, read once per round.
    uint8 private _quorum;
    uint8 private _crossCount;
    bytes6[MAX_CROSSES] private _crosses;

    /// @param registry_ The ledger's participant registry (roles, reporter set, governance delay).
    /// @param baseCurrency_ The currency every published leg is quoted against (EUR for ECB rates).
    /// @param quorum_ The configured quorum: at least MIN_QUORUM, a strict majority of the registry's
    ///        reporters and at most their number. The governance delay is the registry's.
    constructor(IParticipantRegistry registry_, bytes3 baseCurrency_, uint8 quorum_)
        EIP712("Corridor FxOracle", "1")
        DelayedGovernance(registry_.governanceDelay())
    {
        if (!baseCurrency_.isCurrency()) revert FxInvalidBaseCurrency(baseCurrency_);
        registry = registry_;
        baseCurrency = baseCurrency_;
        _checkQuorum(quorum_, registry_.reporterCount());
        _quorum = quorum_;
        emit QuorumChanged(0, quorum_);
    }

    modifier onlyRole(bytes32 role) {
        _checkRegistryRole(role, msg.sender);
        _;
    }

    // ─── Publishing ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc IFxOracle
    function publish(uint256[] calldata observations, Signature[] calldata signatures) external {
        uint256 k = signatures.length;
        (uint256 configured, uint256 crossCount) = (_quorum, _crossCount);
        // Cheap refusal before any signature is recovered; the quorum in force (which falls to all the
        // reporters when removals left fewer than the configured quorum) is checked after.
        if (k < MIN_QUORUM) revert FxQuorumNotMet(k, MIN_QUORUM);
        if (observations.length == 0 || observations.length % k != 0) {
            revert FxMalformedReport(observations.length, k);
        }
        uint256 p = observations.length / k;
        _checkSigners(observations, signatures, p, configured);
        if (crossCount == 0) {
            for (uint256 j; j < p; ++j) {
                _aggregate(observations, k, p, j);
            }
            return;
        }
        bytes6[] memory updated = new bytes6[](p);
        for (uint256 j; j < p; ++j) {
            updated[j] = _aggregate(observations, k, p, j);
        }
        // After every leg of the round is stored, so legs moving together are judged together.
        _judgeCrosses(updated, crossCount);
    }

    /// @dev Each report must be signed by a distinct reporter; all are checked against the registry in
    ///      one call, which also gives the reporter count the quorum in force depends on.
    function _checkSigners(
        uint256[] calldata observations,
        Signature[] calldata signatures,
        uint256 p,
        uint256 configured
    ) private view {
        uint256 k = signatures.length;
        address[] memory signers = new address[](k);
        bytes32 domain = _domainSeparatorV4(); // once, not once per report
        for (uint256 r; r < k; ++r) {
            address signer = _recover(_reportDigest(domain, observations, r * p, p), signatures[r]);
            for (uint256 q; q < r; ++q) {
                if (signers[q] == signer) revert FxDuplicateReporter(signer);
            }
            signers[r] = signer;
        }
        (uint256 reporters, uint256 firstNonReporter) = _checkReporters(signers);
        if (firstNonReporter < k) revert FxUnknownReporter(signers[firstNonReporter]);
        uint256 inForce = _quorumInForce(configured, reporters);
        if (k < inForce) revert FxQuorumNotMet(k, inForce);
    }

    /// @dev {reportDigest} of `observations[start:start + p]` (inside the array: observations.length is k * p),
    ///      hashed in the scratch memory past the free-memory pointer, allocating nothing.
    function _reportDigest(bytes32 domain, uint256[] calldata observations, uint256 start, uint256 p)
        private
        pure
        returns (bytes32)
    {
        bytes32 typeHash = _REPORT_TYPEHASH;
        bytes32 structHash;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let size := mul(p, 0x20)
            calldatacopy(ptr, add(observations.offset, mul(start, 0x20)), size)
            let observationsHash := keccak256(ptr, size)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), observationsHash)
            structHash := keccak256(ptr, 0x40)
        }
        return MessageHashUtils.toTypedDataHash(domain, structHash);
    }

    /// @dev The signer of a compact signature, refused as OpenZeppelin's ECDSA.recover refuses it: a malleable
    ///      (upper-half) `s` or no signer at all.
    function _recover(bytes32 digest, Signature calldata signature) private pure returns (address signer) {
        bytes32 vs = signature.vs;
        bytes32 s = vs & bytes32(type(uint256).max >> 1);
        if (uint256(s) > _HALF_ORDER) revert ECDSA.ECDSAInvalidSignatureS(s);
        signer = ecrecover(digest, uint8(uint256(vs) >> 255) + 27, signature.r, s);
        if (signer == address(0)) revert ECDSA.ECDSAInvalidSignature();
    }

    /// @dev `registry.checkReporters(signers)`, the call encoded in the scratch memory past the free-memory
    ///      pointer (a copy of `signers` with the selector and offset before it). Reverts as the registry does,
    ///      or without data when the registry answers less than two words.
    function _checkReporters(address[] memory signers)
        private
        view
        returns (uint256 reporters, uint256 firstNonReporter)
    {
        bytes4 selector = IParticipantRegistry.checkReporters.selector;
        address target = address(registry);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), 0x20)
            let size := mul(add(mload(signers), 1), 0x20)
            mcopy(add(ptr, 0x24), signers, size)
            if iszero(staticcall(gas(), target, ptr, add(0x24, size), ptr, 0x40)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0x40) { revert(0, 0) }
            reporters := mload(ptr)
            firstNonReporter := mload(add(ptr, 0x20))
        }
    }

    /// @dev The medians of one pair's observations across the k reports.
    struct Column {
        uint256 mid;
        uint256 bid;
        uint256 ask;
        uint256 observedAt;
        uint256 dispersionBps;
    }

    /// @dev Checks column `j` (one pair across the k reports), takes medians and stores the round. Works on
    ///      the pair's packed word (one SLOAD, one SSTORE) without decoding it.
    function _aggregate(uint256[] calldata observations, uint256 k, uint256 p, uint256 j)
        private
        returns (bytes6 pairId)
    {
        pairId = observations[j].pair();
        uint256 state = _pairs[pairId];
        if (!PairCodec.listed(state)) revert FxPairNotListed(pairId);
        if (PairCodec.derived(state)) revert FxPairIsDerived(pairId);
        (uint256 lastSequence, uint256 maxAge) = (PairCodec.lastSequence(state), PairCodec.maxAge(state));
        // The lowest sequence of the round is stored, not the highest: every observation must exceed
        // the last stored sequence, and one reporter signing 2^24 - 1 must not raise that floor.
        uint256 minSequence = type(uint256).max;
        for (uint256 r; r < k; ++r) {
            uint256 word = observations[r * p + j];
            if (word.pair() != pairId) revert FxPairMismatch(r * p + j, pairId, word.pair());
            (uint256 mid, uint256 bid, uint256 ask) = (word.mid(), word.bid(), word.ask());
            if (bid == 0 || bid > mid || mid > ask) revert FxInvalidPrices(pairId, bid, mid, ask);
            uint256 observedAt = word.observedAt();
            // Fresh by wall clock (the common case) needs no calendar and no call.
            if (observedAt > block.timestamp || block.timestamp - observedAt > maxAge) {
                _checkFresh(pairId, observedAt, maxAge);
            }
            uint256 sequence = word.sequence();
            if (sequence <= lastSequence) revert FxSequenceNotIncreasing(pairId, sequence, lastSequence);
            if (sequence < minSequence) minSequence = sequence;
        }
        Column memory column = k == 3
            ? _column3(observations[j], observations[p + j], observations[2 * p + j])
            : _columnOf(observations, k, p, j);
        uint256 maxDispersion = PairCodec.maxDispersionBps(state);
        if (column.dispersionBps > maxDispersion) {
            revert FxDispersionTooHigh(pairId, column.dispersionBps, maxDispersion);
        }
        uint256 lastObservedAt = PairCodec.lastObservedAt(state);
        if (column.observedAt < lastObservedAt) {
            revert FxObservationOlderThanLast(pairId, column.observedAt, lastObservedAt);
        }
        _store(pairId, state, column, minSequence);
    }

    /// @dev `spread` in basis points of `mid`, rounded up. Both are below 2^48: no overflow, no mulDiv.
    function _ceilBps(uint256 spread, uint256 mid) private pure returns (uint256) {
        return (spread * _BPS + mid - 1) / mid;
    }

    /// @dev Medians of three observations, on the stack (the common 3-of-n round).
    function _column3(uint256 a, uint256 b, uint256 c) private pure returns (Column memory column) {
        column.mid = _median3(a.mid(), b.mid(), c.mid());
        column.bid = _median3(a.bid(), b.bid(), c.bid());
        column.ask = _median3(a.ask(), b.ask(), c.ask());
        column.observedAt = _median3(a.observedAt(), b.observedAt(), c.observedAt());
        uint256 high = Math.max(a.mid(), Math.max(b.mid(), c.mid()));
        uint256 low = Math.min(a.mid(), Math.min(b.mid(), c.mid()));
        column.dispersionBps = _ceilBps(high - low, column.mid);
    }

    /// @dev Medians of any number of observations (sorted copies in memory).
    function _columnOf(uint256[] calldata observations, uint256 k, uint256 p, uint256 j)
        private
        pure
        returns (Column memory column)
    {
        uint256[] memory mids = new uint256[](k);
        uint256[] memory bids = new uint256[](k);
        uint256[] memory asks = new uint256[](k);
        uint256[] memory times = new uint256[](k);
        for (uint256 r; r < k; ++r) {
            uint256 word = observations[r * p + j];
            (mids[r], bids[r], asks[r], times[r]) = (word.mid(), word.bid(), word.ask(), word.observedAt());
        }
        column.mid = _median(mids); // sorts `mids` in place
        column.bid = _median(bids);
        column.ask = _median(asks);
        column.observedAt = _median(times);
        column.dispersionBps = _ceilBps(mids[k - 1] - mids[0], column.mid);
    }

    /// @dev Appends the round, moves the pair's pointer and trips the breaker on a jump.
    function _store(bytes6 pairId, uint256 state, Column memory column, uint256 minSequence) private {
        uint256 roundId = PairCodec.latestRound(state) + 1;
        uint256 round = RoundCodec.encode(
            column.mid, column.bid, column.ask, column.dispersionBps, column.observedAt, block.timestamp
        );
        _rounds[pairId][roundId % ROUND_WINDOW] = round;
        uint256 previous = PairCodec.lastMid(state);
        (bool trips, uint256 jump) = _judge(previous, PairCodec.halted(state), PairCodec.breakerBps(state), column.mid);
        // One SSTORE: the word edited in place.
        _pairs[pairId] = PairCodec.withRound(state, roundId, minSequence, column.mid, column.observedAt, trips);
        emit RoundPublished(pairId, roundId, round);
        if (trips) emit BreakerTripped(pairId, roundId, previous, column.mid, jump);
    }

    /// @dev The breaker rule, for direct pairs and crosses alike: moving from `previous` to `mid` trips a
    ///      live pair with a previous value when the move exceeds its threshold (a halted pair stays
    ///      halted until resumed).
    function _judge(uint256 previous, bool halted, uint256 breakerBps, uint256 mid)
        private
        pure
        returns (bool trips, uint256 jump)
    {
        if (previous == 0 || halted) return (false, 0);
        // Both mids are below 2^48: the product cannot overflow, no mulDiv needed.
        jump = (mid > previous ? mid - previous : previous - mid) * _BPS / previous;
        trips = jump > breakerBps;
    }

    /// @dev Judges every listed cross with a leg among `updated` on its own move.
    function _judgeCrosses(bytes6[] memory updated, uint256 crossCount) private {
        for (uint256 i; i < crossCount; ++i) {
            bytes6 cross = _crosses[i];
            bytes6 baseLeg = _pairId(baseCurrency, bytes3(cross));
            bytes6 quoteLeg = _pairId(baseCurrency, bytes3(cross << 24));
            for (uint256 j; j < updated.length; ++j) {
                if (updated[j] == baseLeg || updated[j] == quoteLeg) {
                    _judgeCross(cross, baseLeg, quoteLeg);
                    break;
                }
            }
        }
    }

    function _judgeCross(bytes6 cross, bytes6 baseLeg, bytes6 quoteLeg) private {
        (uint256 baseWord, uint256 quoteWord) = (_pairs[baseLeg], _pairs[quoteLeg]);
        uint256 mid = _crossMid(PairCodec.lastMid(baseWord), PairCodec.lastMid(quoteWord));
        if (mid == 0) return; // a leg without data: nothing to judge yet
        uint256 word = _pairs[cross];
        uint256 previous = PairCodec.lastMid(word);
        if (mid == previous) return; // a heartbeat of unchanged legs writes nothing
        (bool trips, uint256 jump) = _judge(previous, PairCodec.halted(word), PairCodec.breakerBps(word), mid);
        _pairs[cross] = PairCodec.withMid(word, mid, trips); // one SSTORE, the word edited in place
        if (trips) {
            uint256 roundRef = (PairCodec.latestRound(baseWord) << 128) | PairCodec.latestRound(quoteWord);
            emit BreakerTripped(cross, roundRef, previous, mid, jump);
        }
    }

    /// @dev The cross mid from the legs' last mids (0 when a leg has none), capped to the 48 bits a
    ///      pair stores. Mids are below 2^48, so `quoteMid * 1e8` cannot overflow.
    function _crossMid(uint256 baseMid, uint256 quoteMid) private pure returns (uint256) {
        if (baseMid == 0 || quoteMid == 0) return 0;
        return Math.min(quoteMid * _ONE / baseMid, type(uint48).max);
    }

    function _checkFresh(bytes6 pairId, uint256 observedAt, uint256 maxAge) private view {
        if (observedAt > block.timestamp) revert FxObservationFromFuture(pairId, observedAt, block.timestamp);
        // Open-market age never exceeds wall-clock age, so the calendar is consulted only when needed.
        if (block.timestamp - observedAt <= maxAge) return;
        uint256 openAge = _openSecondsBetween(observedAt, block.timestamp);
        if (openAge > maxAge) revert FxStale(pairId, observedAt, openAge, maxAge);
    }

    // ─── Reads ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IFxRateSource
    /// @dev {latest}'s mid and round, with the same checks and errors in the same order, read from the
    ///      pairs' packed words alone: a direct pair's word carries its last round's mid, median observation
    ///      time and id, so a settlement reads one slot per pair (a cross three) and builds no {Rate}.
    function settlementRate(bytes3 base, bytes3 quote) external view returns (uint256 mid, uint256 roundRef) {
        bytes6 pairId = _pairId(base, quote);
        uint256 word = _pairs[pairId];
        bool inverse = false;
        if (!PairCodec.listed(word)) {
            bytes6 inversePair = _pairId(quote, base);
            word = _pairs[inversePair];
            if (!PairCodec.listed(word)) revert FxPairNotListed(pairId);
            (pairId, inverse) = (inversePair, true);
        }
        (mid, roundRef) = PairCodec.derived(word) ? _crossQuote(pairId, word) : _directQuote(pairId, word);
        // As {_invert}: the inverse mid is rounded down at 8 decimals, then scaled.
        if (inverse) mid = _ONE * _ONE / mid;
        mid *= 1e10;
    }

    /// @dev A direct pair's last mid and round from its word: not halted, with data, fresh.
    function _directQuote(bytes6 pairId, uint256 word) private view returns (uint256 mid, uint256 roundId) {
        if (PairCodec.halted(word)) revert FxPairHalted(pairId);
        return _legQuote(pairId, word);
    }

    /// @dev A pair's last mid and round from its word, if it has one and it is fresh (halts are the
    ///      caller's concern), as {_roundRate}.
    function _legQuote(bytes6 pairId, uint256 word) private view returns (uint256 mid, uint256 roundId) {
        roundId = PairCodec.latestRound(word);
        if (roundId == 0) revert FxNoData(pairId, 0);
        _checkFresh(pairId, PairCodec.lastObservedAt(word), PairCodec.maxAge(word));
        mid = PairCodec.lastMid(word);
    }

    /// @dev A cross's mid from its legs' words, as {_crossRate}.
    function _crossQuote(bytes6 cross, uint256 word) private view returns (uint256 mid, uint256 roundRef) {
        if (PairCodec.halted(word)) revert FxPairHalted(cross);
        if (PairCodec.lastMid(word) == 0) revert FxNoData(cross, 0);
        (uint256 baseMid, uint256 baseRound) = _legQuoteOf(bytes3(cross));
        (uint256 quoteMid, uint256 quoteRound) = _legQuoteOf(bytes3(cross << 24));
        // Mids are below 2^48: no overflow, the same floor as {_crossRate}'s mulDiv.
        return (quoteMid * _ONE / baseMid, (baseRound << 128) | quoteRound);
    }

    function _legQuoteOf(bytes3 currency) private view returns (uint256 mid, uint256 roundId) {
        bytes6 legId = _pairId(baseCurrency, currency);
        uint256 word = _pairs[legId];
        if (!PairCodec.listed(word) || PairCodec.derived(word)) revert FxPairNotListed(legId);
        return _legQuote(legId, word);
    }

    /// @inheritdoc IFxOracle
    function latest(bytes3 base, bytes3 quote) external view returns (Rate memory rate) {
        rate = _rate(base, quote);
        rate.market = _marketState(block.timestamp);
    }

    /// @dev A listed pair (direct or cross) or the inverse of one, in that order. Nothing else: an
    ///      unconfigured cross has no breaker and is not a settlement rate.
    function _rate(bytes3 base, bytes3 quote) private view returns (Rate memory) {
        bytes6 direct = _pairId(base, quote);
        Pair memory state = _pair(direct);
        if (state.listed) return state.derived ? _crossRate(direct, state) : _directRate(direct, state);
        bytes6 inverse = _pairId(quote, base);
        state = _pair(inverse);
        if (state.listed) return _invert(state.derived ? _crossRate(inverse, state) : _directRate(inverse, state));
        revert FxPairNotListed(direct);
    }

    /// @dev A cross through the base currency, usable when the cross itself is not halted and both legs
    ///      are listed, have data and are fresh (a leg's own halt does not stop it: see {IFxOracle}).
    function _crossRate(bytes6 cross, Pair memory state) private view returns (Rate memory) {
        if (state.halted) revert FxPairHalted(cross);
        if (state.lastMid == 0) revert FxNoData(cross, 0);
        Rate memory baseLeg = _leg(bytes3(cross));
        Rate memory quoteLeg = _leg(bytes3(cross << 24));
        // base/quote = (EUR/quote) / (EUR/base); a bid sells base, so it divides the worst legs.
        return Rate({
            mid: Math.mulDiv(quoteLeg.mid, _ONE, baseLeg.mid),
            bid: Math.mulDiv(quoteLeg.bid, _ONE, baseLeg.ask),
            ask: Math.mulDiv(quoteLeg.ask, _ONE, baseLeg.bid, Math.Rounding.Ceil),
            dispersionBps: baseLeg.dispersionBps + quoteLeg.dispersionBps,
            observedAt: Math.min(baseLeg.observedAt, quoteLeg.observedAt),
            publishedAt: Math.min(baseLeg.publishedAt, quoteLeg.publishedAt),
            roundRef: (baseLeg.roundRef << 128) | quoteLeg.roundRef,
            market: MarketState.Open,
            derived: true
        });
    }

    function _leg(bytes3 currency) private view returns (Rate memory) {
        bytes6 pairId = _pairId(baseCurrency, currency);
        Pair memory state = _pair(pairId);
        if (!state.listed || state.derived) revert FxPairNotListed(pairId);
        return _roundRate(pairId, state);
    }

    function _directRate(bytes6 pairId, Pair memory state) private view returns (Rate memory) {
        if (state.halted) revert FxPairHalted(pairId);
        return _roundRate(pairId, state);
    }

    /// @dev The pair's latest round, if it has one and it is fresh (halts are the caller's concern).
    function _roundRate(bytes6 pairId, Pair memory state) private view returns (Rate memory) {
        if (state.latestRound == 0) revert FxNoData(pairId, 0);
        Round memory round = _latestRound(pairId, state.latestRound);
        _checkFresh(pairId, round.observedAt, state.maxAge);
        return Rate({
            mid: round.mid,
            bid: round.bid,
            ask: round.ask,
            dispersionBps: round.dispersionBps,
            observedAt: round.observedAt,
            publishedAt: round.publishedAt,
            roundRef: state.latestRound,
            market: MarketState.Open,
            derived: false
        });
    }

    function _invert(Rate memory rate) private pure returns (Rate memory) {
        (uint256 bid, uint256 ask) = (rate.bid, rate.ask);
        rate.mid = Math.mulDiv(_ONE, _ONE, rate.mid);
        rate.bid = Math.mulDiv(_ONE, _ONE, ask);
        rate.ask = Math.mulDiv(_ONE, _ONE, bid, Math.Rounding.Ceil);
        rate.derived = true;
        return rate;
    }

    /// @dev The latest round of a pair with at least one (always inside the window).
    function _latestRound(bytes6 pairId, uint256 latestRound) private view returns (Round memory) {
        return RoundCodec.decode(_rounds[pairId][latestRound % ROUND_WINDOW]);
    }

    /// @dev The oldest round still kept on chain when `latestRound` is the newest.
    function _oldestKept(uint256 latestRound) private pure returns (uint256) {
        return latestRound > ROUND_WINDOW ? latestRound - ROUND_WINDOW + 1 : 1;
    }

    /// @inheritdoc IFxOracle
    function roundData(bytes6 pairId, uint256 roundId) external view returns (Round memory) {
        uint256 latestRound = PairCodec.latestRound(_pairs[pairId]);
        if (roundId == 0 || roundId > latestRound) revert FxNoData(pairId, roundId);
        uint256 oldest = _oldestKept(latestRound);
        uint256 word = _rounds[pairId][roundId % ROUND_WINDOW];
        if (roundId < oldest) {
            revert FxBeyondWindow(pairId, oldest, RoundCodec.publishedAt(_rounds[pairId][oldest % ROUND_WINDOW]));
        }
        return RoundCodec.decode(word);
    }

    /// @inheritdoc IFxOracle
    function roundAtOrBefore(bytes6 pairId, uint256 timestamp) external view returns (uint256, Round memory) {
        uint256 high = PairCodec.latestRound(_pairs[pairId]);
        if (high == 0) revert FxNoData(pairId, 0);
        uint256[ROUND_WINDOW] storage ring = _rounds[pairId];
        uint256 low = _oldestKept(high);
        uint256 oldestPublishedAt = RoundCodec.publishedAt(ring[low % ROUND_WINDOW]);
        if (oldestPublishedAt > timestamp) {
            // Before round 1 the pair had no round; before a later oldest round the answer left the window.
            if (low == 1) revert FxNoData(pairId, 0);
            revert FxBeyondWindow(pairId, low, oldestPublishedAt);
        }
        while (low < high) {
            uint256 middle = (low + high + 1) / 2;
            if (RoundCodec.publishedAt(ring[middle % ROUND_WINDOW]) <= timestamp) low = middle;
            else high = middle - 1;
        }
        return (low, RoundCodec.decode(ring[low % ROUND_WINDOW]));
    }

    /// @inheritdoc IFxOracle
    function pair(bytes6 pairId) external view returns (Pair memory) {
        return _pair(pairId);
    }

    /// @inheritdoc IFxOracle
    function crosses() external view returns (bytes6[] memory list) {
        uint256 count = _crossCount;
        list = new bytes6[](count);
        for (uint256 i; i < count; ++i) {
            list[i] = _crosses[i];
        }
    }

    /// @inheritdoc IFxOracle
    function quorum() external view returns (uint256 inForce, uint256 configured, uint256 reporters) {
        configured = _quorum;
        reporters = registry.reporterCount();
        inForce = _quorumInForce(configured, reporters);
    }

    /// @inheritdoc IFxOracle
    function reportDigest(uint256[] calldata observations) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_REPORT_TYPEHASH, keccak256(abi.encodePacked(observations)))));
    }

    // ─── Market calendar ─────────────────────────────────────────────────────────────────

    /// @inheritdoc IFxOracle
    function marketState(uint256 timestamp) external view returns (MarketState) {
        return _marketState(timestamp);
    }

    /// @inheritdoc IFxOracle
    function openSecondsBetween(uint256 from, uint256 to) external view returns (uint256) {
        return _openSecondsBetween(from, to);
    }

    function _marketState(uint256 timestamp) private view returns (MarketState) {
        uint256 day = timestamp / 1 days;
        if (_isWeekend(day)) return MarketState.Weekend;
        if (_isHoliday(day)) return MarketState.Holiday;
        return MarketState.Open;
    }

    function _openSecondsBetween(uint256 from, uint256 to) private view returns (uint256 open) {
        if (to <= from) return 0;
        uint256 firstDay = from / 1 days;
        uint256 lastDay = to / 1 days;
        if (lastDay - firstDay > _MAX_CALENDAR_DAYS) return type(uint256).max;
        for (uint256 day = firstDay; day <= lastDay; ++day) {
            if (_isWeekend(day) || _isHoliday(day)) continue;
            // Flooring to whole UTC days is the point: day * 1 days is that day's midnight.
            // slither-disable-next-line divide-before-multiply
            uint256 start = Math.max(from, day * 1 days);
            uint256 end = Math.min(to, (day + 1) * 1 days);
            open += end - start;
        }
    }

    /// @dev Day 0 (1970-01-01) was a Thursday; (day + 4) % 7 gives 0 for Sunday, 6 for Saturday.
    function _isWeekend(uint256 day) private pure returns (bool) {
        // Calendar arithmetic, not randomness; weekday is exact in [0, 6].
        // slither-disable-next-line weak-prng
        uint256 weekday = (day + 4) % 7;
        // slither-disable-next-line incorrect-equality
        return weekday == 0 || weekday == 6;
    }

    function _isHoliday(uint256 day) private view returns (bool) {
        return _holidays[day >> 8] & (1 << (day & 0xff)) != 0;
    }

    // ─── Administration ──────────────────────────────────────────────────────────────────

    /// @inheritdoc IFxOracle
    function configurePair(bytes6 pairId, uint32 maxAge, uint16 maxDispersionBps, uint16 breakerBps, bool listed)
        external
        onlyRole(Roles.OPERATOR)
    {
        (bytes3 base, bytes3 quote) = (bytes3(pairId), bytes3(pairId << 24));
        if (!base.isCurrency() || !quote.isCurrency() || base == quote) revert FxInvalidPairId(pairId);
        if (maxAge < MIN_MAX_AGE || maxAge > MAX_MAX_AGE) revert FxMaxAgeOutOfRange(maxAge, MIN_MAX_AGE, MAX_MAX_AGE);
        if (maxDispersionBps > MAX_BPS) revert FxDispersionOutOfRange(maxDispersionBps, MAX_BPS);
        _checkBreaker(breakerBps);
        Pair memory state = _pair(pairId);
        _checkKind(pairId, _pairId(quote, base), state, false, listed);
        // A delisted cross becoming direct again: its word held the derived mid, while a direct pair's word
        // holds its last round's mid (which {settlementRate} serves and the breaker judges the next round
        // against). Take that round's mid back.
        if (state.derived && state.latestRound != 0) state.lastMid = _latestRound(pairId, state.latestRound).mid;
        // Never touches `halted`: only the regulator lifts a halt.
        (state.maxAge, state.maxDispersionBps, state.breakerBps, state.listed, state.derived) =
        (maxAge, maxDispersionBps, breakerBps, listed, false);
        _setPair(pairId, state);
        emit PairConfigured(pairId, maxAge, maxDispersionBps, breakerBps, listed);
    }

    /// @inheritdoc IFxOracle
    function configureCross(bytes6 pairId, uint16 breakerBps, bool listed) external onlyRole(Roles.OPERATOR) {
        (bytes3 base, bytes3 quote) = (bytes3(pairId), bytes3(pairId << 24));
        if (!base.isCurrency() || !quote.isCurrency() || base == quote || base == baseCurrency || quote == baseCurrency)
        revert FxInvalidPairId(pairId);
        _checkBreaker(breakerBps);
        Pair memory state = _pair(pairId);
        bool wasListedCross = state.listed && state.derived;
        _checkKind(pairId, _pairId(quote, base), state, true, listed);
        if (listed && !wasListedCross) {
            if (_crossCount == MAX_CROSSES) revert FxTooManyCrosses(MAX_CROSSES);
            _crosses[_crossCount++] = pairId;
            uint256 previous = state.lastMid;
            (bool halts, uint256 jump) = _listCross(state, base, quote, breakerBps);
            if (halts) emit BreakerTripped(pairId, 0, previous, state.lastMid, jump);
        } else if (!listed && wasListedCross) {
            _removeCross(pairId);
        }
        // Never touches `halted`: only the regulator lifts a halt.
        (state.breakerBps, state.listed, state.derived) = (breakerBps, listed, true);
        _setPair(pairId, state);
        emit CrossConfigured(pairId, breakerBps, listed, state.lastMid);
    }

    /// @dev Listing (again) takes the current derived mid as the breaker reference, after judging the move
    ///      from the previous reference (a cross listed before keeps it while unlisted); a cross listed
    ///      while either leg is halted starts halted.
    function _listCross(Pair memory state, bytes3 base, bytes3 quote, uint16 breakerBps)
        private
        view
        returns (bool halts, uint256 jump)
    {
        Pair memory baseLeg = _pair(_pairId(baseCurrency, base));
        Pair memory quoteLeg = _pair(_pairId(baseCurrency, quote));
        uint256 mid = _crossMid(baseLeg.lastMid, quoteLeg.lastMid);
        bool trips;
        (trips, jump) = _judge(state.lastMid, state.halted, breakerBps, mid);
        halts = !state.halted && (trips || baseLeg.halted || quoteLeg.halted);
        if (halts) state.halted = true;
        state.lastMid = uint48(mid);
    }

    /// @inheritdoc IFxOracle
    function resume(bytes6 pairId) external onlyRole(Roles.REGULATOR) {
        Pair memory state = _pair(pairId);
        if (!state.halted) revert FxNotHalted(pairId);
        state.halted = false;
        _setPair(pairId, state);
        emit PairResumed(pairId, msg.sender);
    }

    /// @inheritdoc IFxOracle
    function resetSequence(bytes6 pairId) external onlyRole(Roles.REGULATOR) {
        Pair memory state = _pair(pairId);
        uint256 previous = state.lastSequence;
        if (previous == 0) revert FxSequenceNotSet(pairId);
        state.lastSequence = 0;
        _setPair(pairId, state);
        emit SequenceReset(pairId, previous, msg.sender);
    }

    /// @inheritdoc IFxOracle
    function proposeQuorum(uint8 newQuorum) external onlyProposer returns (uint256 id) {
        _checkQuorum(newQuorum, registry.reporterCount());
        return _propose(GovernanceAction.SetQuorum, newQuorum);
    }

    /// @inheritdoc IFxOracle
    function setHolidays(uint256[] calldata dayNumbers, bool holiday) external {
        bool regulator = registry.hasRole(Roles.REGULATOR, msg.sender);
        if (!regulator) _checkRegistryRole(Roles.OPERATOR, msg.sender);
        uint256 today = block.timestamp / 1 days;
        for (uint256 i; i < dayNumbers.length; ++i) {
            uint256 day = dayNumbers[i];
            if (!regulator && day <= today) revert FxHolidayNotAhead(day, today);
            uint256 bit = 1 << (day & 0xff);
            if (holiday) _holidays[day >> 8] |= bit;
            else _holidays[day >> 8] &= ~bit;
            emit HolidayChanged(day, holiday);
        }
    }

    /// @dev The operator proposes.
    function _checkProposer(address account) internal view override {
        _checkRegistryRole(Roles.OPERATOR, account);
    }

    /// @dev The regulator vetoes.
    function _checkVetoer(address account) internal view override {
        _checkRegistryRole(Roles.REGULATOR, account);
    }

    /// @dev The only action the oracle proposes is a new quorum; checked again against today's reporters.
    function _applyProposal(GovernanceAction, uint160 subject) internal override {
        uint256 previous = _quorum;
        _checkQuorum(subject, registry.reporterCount());
        _quorum = uint8(subject);
        _markChanged(_scopeOf(GovernanceAction.SetQuorum, 0));
        emit QuorumChanged(previous, subject);
    }

    function _checkRegistryRole(bytes32 role, address account) private view {
        if (!registry.hasRole(role, account)) revert FxUnauthorized(account, role);
    }

    function _checkQuorum(uint256 quorum_, uint256 reporters) private pure {
        uint256 min = Math.max(MIN_QUORUM, reporters / 2 + 1);
        if (quorum_ < min || quorum_ > reporters) revert FxQuorumOutOfRange(quorum_, min, reporters);
    }

    function _checkBreaker(uint256 breakerBps) private pure {
        if (breakerBps == 0 || breakerBps > MAX_BPS) revert FxBreakerOutOfRange(breakerBps, 1, MAX_BPS);
    }

    /// @dev One state per currency pair: a listed pair is configured only as its own kind (a cross is
    ///      delisted as a cross before it becomes direct, and the reverse), and a pair is listed only
    ///      while its inverse is not.
    function _checkKind(bytes6 pairId, bytes6 inverse, Pair memory state, bool asCross, bool listing) private view {
        if (state.listed && state.derived != asCross) revert FxPairListedAsOtherKind(pairId);
        // The inverse keeps its state (halt, breaker reference, sequence) even when delisted: listing this
        // id instead would start a fresh, live state for the same currency pair.
        if (listing && _pairs[inverse] != 0) revert FxInverseListed(pairId, inverse);
    }

    function _removeCross(bytes6 pairId) private {
        uint256 last = _crossCount - 1;
        for (uint256 i; i <= last; ++i) {
            if (_crosses[i] == pairId) {
                _crosses[i] = _crosses[last];
                delete _crosses[last];
                _crossCount = uint8(last);
                return;
            }
        }
    }

    /// @dev The quorum a round needs: the configured one, raised to a strict majority of the reporters.
    /// @dev Removals can leave fewer reporters than the configured quorum; the quorum in force then falls to
    ///      all of them (still a majority, never below MIN_QUORUM), so honest reporters are never locked out
    ///      until an addition clears its delay.
    function _quorumInForce(uint256 configured, uint256 reporters) private pure returns (uint256) {
        uint256 inForce = configured < reporters ? configured : reporters;
        uint256 majority = reporters / 2 + 1;
        if (inForce < majority) inForce = majority;
        return inForce < MIN_QUORUM ? MIN_QUORUM : inForce;
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────

    function _pair(bytes6 pairId) private view returns (Pair memory) {
        return PairCodec.decode(_pairs[pairId]);
    }

    function _setPair(bytes6 pairId, Pair memory state) private {
        _pairs[pairId] = PairCodec.encode(state);
    }

    function _pairId(bytes3 base, bytes3 quote) private pure returns (bytes6) {
        return bytes6(uint48(uint24(base)) << 24 | uint48(uint24(quote)));
    }

    /// @dev Insertion sort in place (k is a handful of reporters), then the middle (lower-middle mean for even k).
    function _median(uint256[] memory values) private pure returns (uint256) {
        uint256 n = values.length;
        for (uint256 i = 1; i < n; ++i) {
            uint256 value = values[i];
            uint256 j = i;
            while (j > 0 && values[j - 1] > value) {
                values[j] = values[j - 1];
                --j;
            }
            values[j] = value;
        }
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    function _median3(uint256 a, uint256 b, uint256 c) private pure returns (uint256) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
}

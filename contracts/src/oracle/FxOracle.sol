// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IFxOracle} from "../interfaces/IFxOracle.sol";
import {IFxRateSource} from "../interfaces/IFxRateSource.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ObservationCodec} from "../libraries/ObservationCodec.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title FxOracle
/// @notice The sanity band every Corridor settlement is checked against. See {IFxOracle}.
contract FxOracle is IFxOracle, EIP712 {
    using ObservationCodec for uint256;

    bytes32 private constant _REPORT_TYPEHASH = keccak256("Report(uint256[] observations)");
    uint256 private constant _BPS = 10_000;
    uint256 private constant _ONE = 1e8;
    /// @dev Beyond this many calendar days a rate is stale whatever the calendar says.
    uint256 private constant _MAX_CALENDAR_DAYS = 31;

    IParticipantRegistry public immutable registry;
    /// @inheritdoc IFxOracle
    bytes3 public immutable baseCurrency;

    mapping(bytes6 pairId => Pair) private _pairs;
    mapping(bytes6 pairId => mapping(uint256 roundId => Round)) private _rounds;
    mapping(address reporter => bool) private _reporters;
    mapping(uint256 dayWord => uint256 bits) private _holidays;
    uint8 private _reporterCount;
    uint8 private _quorum;

    /// @param registry_ The ledger's participant registry (roles).
    /// @param baseCurrency_ The currency every published pair is quoted against (EUR for ECB rates).
    constructor(IParticipantRegistry registry_, bytes3 baseCurrency_) EIP712("Corridor FxOracle", "1") {
        registry = registry_;
        baseCurrency = baseCurrency_;
    }

    modifier onlyRole(bytes32 role) {
        if (!registry.hasRole(role, msg.sender)) revert FxUnauthorized(msg.sender);
        _;
    }

    // ─── Publishing ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc IFxOracle
    function publish(uint256[] calldata observations, Signature[] calldata signatures) external {
        uint256 k = signatures.length;
        // An unset quorum (0) accepts nothing: no reporter ever publishes alone by default.
        if (_quorum == 0 || k < _quorum) revert FxQuorumNotMet(k, _quorum);
        if (observations.length == 0 || observations.length % k != 0) {
            revert FxMalformedReport(observations.length, k);
        }
        uint256 p = observations.length / k;
        _checkSigners(observations, signatures, p);
        for (uint256 j; j < p; ++j) {
            _aggregate(observations, k, p, j);
        }
    }

    /// @dev Each report must be signed by a distinct authorised reporter.
    function _checkSigners(uint256[] calldata observations, Signature[] calldata signatures, uint256 p) private view {
        address[] memory seen = new address[](signatures.length);
        for (uint256 r; r < signatures.length; ++r) {
            bytes32 digest = _hashTypedDataV4(
                keccak256(abi.encode(_REPORT_TYPEHASH, keccak256(abi.encodePacked(observations[r * p:(r + 1) * p]))))
            );
            address signer = ECDSA.recover(digest, signatures[r].r, signatures[r].vs);
            if (!_reporters[signer]) revert FxUnknownReporter(signer);
            for (uint256 q; q < r; ++q) {
                if (seen[q] == signer) revert FxDuplicateReporter(signer);
            }
            seen[r] = signer;
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

    /// @dev Checks column `j` (one pair across the k reports), takes medians and stores the round.
    function _aggregate(uint256[] calldata observations, uint256 k, uint256 p, uint256 j) private {
        bytes6 pairId = observations[j].pair();
        Pair memory state = _pairs[pairId];
        if (!state.listed) revert FxPairNotListed(pairId);
        uint256 maxSequence;
        for (uint256 r; r < k; ++r) {
            uint256 word = observations[r * p + j];
            if (word.pair() != pairId) revert FxPairMismatch(r * p + j, pairId, word.pair());
            (uint256 mid, uint256 bid, uint256 ask) = (word.mid(), word.bid(), word.ask());
            if (bid == 0 || bid > mid || mid > ask) revert FxInvalidPrices(pairId, bid, mid, ask);
            _checkFresh(pairId, word.observedAt(), state.maxAge);
            uint256 sequence = word.sequence();
            if (sequence <= state.lastSequence) revert FxSequenceNotIncreasing(pairId, sequence, state.lastSequence);
            if (sequence > maxSequence) maxSequence = sequence;
        }
        Column memory column = k == 3
            ? _column3(observations[j], observations[p + j], observations[2 * p + j])
            : _columnOf(observations, k, p, j);
        if (column.dispersionBps > state.maxDispersionBps) {
            revert FxDispersionTooHigh(pairId, column.dispersionBps, state.maxDispersionBps);
        }
        _store(pairId, state, column, maxSequence);
    }

    /// @dev Medians of three observations, on the stack (the common 3-of-n round).
    function _column3(uint256 a, uint256 b, uint256 c) private pure returns (Column memory column) {
        column.mid = _median3(a.mid(), b.mid(), c.mid());
        column.bid = _median3(a.bid(), b.bid(), c.bid());
        column.ask = _median3(a.ask(), b.ask(), c.ask());
        column.observedAt = _median3(a.observedAt(), b.observedAt(), c.observedAt());
        uint256 high = Math.max(a.mid(), Math.max(b.mid(), c.mid()));
        uint256 low = Math.min(a.mid(), Math.min(b.mid(), c.mid()));
        column.dispersionBps = Math.mulDiv(high - low, _BPS, column.mid, Math.Rounding.Ceil);
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
        column.dispersionBps = Math.mulDiv(mids[k - 1] - mids[0], _BPS, column.mid, Math.Rounding.Ceil);
    }

    /// @dev Appends the round, moves the pair's pointer and trips the breaker on a jump.
    function _store(bytes6 pairId, Pair memory state, Column memory column, uint256 maxSequence) private {
        uint256 roundId = uint256(state.latestRound) + 1;
        _rounds[pairId][roundId] = Round({
            mid: uint48(column.mid),
            bid: uint48(column.bid),
            ask: uint48(column.ask),
            dispersionBps: uint16(column.dispersionBps),
            observedAt: uint32(column.observedAt),
            publishedAt: uint32(block.timestamp)
        });
        uint256 previous = state.lastMid;
        uint256 jump;
        if (previous != 0 && !state.halted) {
            jump = Math.mulDiv(column.mid > previous ? column.mid - previous : previous - column.mid, _BPS, previous);
        }
        bool trips = jump > state.breakerBps;
        state.latestRound = uint32(roundId);
        state.lastSequence = uint24(maxSequence);
        state.lastMid = uint48(column.mid);
        if (trips) state.halted = true;
        // One packed write: the optimiser turns this whole-struct assignment into a single SSTORE.
        _pairs[pairId] = state;
        emit RoundPublished(pairId, roundId, column.mid);
        if (trips) emit BreakerTripped(pairId, roundId, previous, column.mid, jump);
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
    function settlementRate(bytes3 base, bytes3 quote) external view returns (uint256 mid, uint256 roundRef) {
        Rate memory rate = _rate(base, quote);
        return (rate.mid * 1e10, rate.roundRef);
    }

    /// @inheritdoc IFxOracle
    function latest(bytes3 base, bytes3 quote) external view returns (Rate memory rate) {
        rate = _rate(base, quote);
        rate.market = _marketState(block.timestamp);
    }

    /// @dev A direct pair, its inverse, or a cross through the base currency, in that order.
    function _rate(bytes3 base, bytes3 quote) private view returns (Rate memory) {
        bytes6 direct = _pairId(base, quote);
        if (_pairs[direct].listed) return _usable(direct);
        bytes6 inverse = _pairId(quote, base);
        if (_pairs[inverse].listed) return _invert(_usable(inverse));
        if (base == baseCurrency) revert FxPairNotListed(direct);
        Rate memory baseLeg = _legFromBase(base);
        Rate memory quoteLeg = _legFromBase(quote);
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

    function _legFromBase(bytes3 currency) private view returns (Rate memory) {
        bytes6 pairId = _pairId(baseCurrency, currency);
        if (!_pairs[pairId].listed) revert FxPairNotListed(pairId);
        return _usable(pairId);
    }

    function _usable(bytes6 pairId) private view returns (Rate memory) {
        Pair memory state = _pairs[pairId];
        if (state.latestRound == 0) revert FxNoData(pairId, 0);
        if (state.halted) revert FxPairHalted(pairId);
        Round memory round = _rounds[pairId][state.latestRound];
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

    /// @inheritdoc IFxOracle
    function roundData(bytes6 pairId, uint256 roundId) external view returns (Round memory round) {
        round = _rounds[pairId][roundId];
        if (round.publishedAt == 0) revert FxNoData(pairId, roundId);
    }

    /// @inheritdoc IFxOracle
    function roundAtOrBefore(bytes6 pairId, uint256 timestamp) external view returns (uint256, Round memory) {
        uint256 low = 1;
        uint256 high = _pairs[pairId].latestRound;
        if (high == 0 || _rounds[pairId][1].publishedAt > timestamp) revert FxNoData(pairId, 0);
        while (low < high) {
            uint256 middle = (low + high + 1) / 2;
            if (_rounds[pairId][middle].publishedAt <= timestamp) low = middle;
            else high = middle - 1;
        }
        return (low, _rounds[pairId][low]);
    }

    /// @inheritdoc IFxOracle
    function pair(bytes6 pairId) external view returns (Pair memory) {
        return _pairs[pairId];
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
            uint256 start = Math.max(from, day * 1 days);
            uint256 end = Math.min(to, (day + 1) * 1 days);
            open += end - start;
        }
    }

    /// @dev Day 0 (1970-01-01) was a Thursday; (day + 4) % 7 gives 0 for Sunday, 6 for Saturday.
    function _isWeekend(uint256 day) private pure returns (bool) {
        uint256 weekday = (day + 4) % 7;
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
        if (maxAge == 0 || breakerBps == 0 || bytes3(pairId) == bytes3(pairId << 24)) revert FxInvalidConfig();
        Pair storage state = _pairs[pairId];
        (state.maxAge, state.maxDispersionBps, state.breakerBps, state.listed) =
            (maxAge, maxDispersionBps, breakerBps, listed);
        emit PairConfigured(pairId, maxAge, maxDispersionBps, breakerBps, listed);
    }

    /// @inheritdoc IFxOracle
    function resume(bytes6 pairId) external {
        if (!registry.hasRole(Roles.REGULATOR, msg.sender) && !registry.hasRole(Roles.OPERATOR, msg.sender)) {
            revert FxUnauthorized(msg.sender);
        }
        if (!_pairs[pairId].halted) revert FxNotHalted(pairId);
        _pairs[pairId].halted = false;
        emit PairResumed(pairId, msg.sender);
    }

    /// @inheritdoc IFxOracle
    function setReporter(address reporter, bool authorised) external {
        bool hasRole = registry.hasRole(Roles.REPORTER, reporter);
        if (authorised) {
            if (!hasRole || !registry.hasRole(Roles.OPERATOR, msg.sender)) revert FxUnauthorized(msg.sender);
        } else if (hasRole && !registry.hasRole(Roles.OPERATOR, msg.sender)) {
            revert FxUnauthorized(msg.sender);
        }
        if (_reporters[reporter] == authorised) revert FxInvalidConfig();
        _reporters[reporter] = authorised;
        _reporterCount = authorised ? _reporterCount + 1 : _reporterCount - 1;
        // Removing reporters never lowers the quorum: with too few left, publishing stops until the
        // operator sets a new quorum. The oracle fails closed.
        emit ReporterChanged(reporter, authorised);
    }

    /// @inheritdoc IFxOracle
    function setQuorum(uint8 quorum) external onlyRole(Roles.OPERATOR) {
        if (quorum == 0 || quorum > _reporterCount || uint256(quorum) * 2 <= _reporterCount) revert FxInvalidConfig();
        _quorum = quorum;
        emit QuorumChanged(quorum);
    }

    /// @inheritdoc IFxOracle
    function setHolidays(uint256[] calldata dayNumbers, bool holiday) external onlyRole(Roles.OPERATOR) {
        for (uint256 i; i < dayNumbers.length; ++i) {
            uint256 day = dayNumbers[i];
            uint256 bit = 1 << (day & 0xff);
            if (holiday) _holidays[day >> 8] |= bit;
            else _holidays[day >> 8] &= ~bit;
            emit HolidayChanged(day, holiday);
        }
    }

    /// @inheritdoc IFxOracle
    function reporterSet() external view returns (uint8 count, uint8 quorum) {
        return (_reporterCount, _quorum);
    }

    /// @inheritdoc IFxOracle
    function isReporter(address account) external view returns (bool) {
        return _reporters[account];
    }

    /// @notice The EIP-712 digest a reporter signs for `observations`.
    function reportDigest(uint256[] calldata observations) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_REPORT_TYPEHASH, keccak256(abi.encodePacked(observations)))));
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────

    function _pairId(bytes3 base, bytes3 quote) private pure returns (bytes6) {
        return bytes6(bytes.concat(base, quote));
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

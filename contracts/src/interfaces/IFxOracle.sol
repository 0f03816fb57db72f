// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxRateSource} from "./IFxRateSource.sol";

/// @title IFxOracle
/// @notice Quorum-signed FX rates with full on-chain history, a market calendar, a circuit breaker
///         that halts instead of clamping, and cross rates through a common base currency.
/// @dev Rates are 8-decimal fixed point (quote units per base unit). A pair is `bytes6(base ‖ quote)`,
///      e.g. `bytes6("EURCHF")`.
///
///      A report is one reporter's observations, one 256-bit word per pair, packed high to low:
///      `pair (48) | mid (48) | bid (48) | ask (48) | observedAt (32) | sourceId (8) | sequence (24)`.
///      Each reporter signs EIP-712 `Report(uint256[] observations)` (domain "Corridor FxOracle", "1",
///      chain id, this contract). {publish} takes the reports of k reporters concatenated (reporter-major,
///      the same pairs in the same order) and k compact signatures.
///
///      Staleness is judged in *open-market seconds*: weekends (Saturday, Sunday UTC) and the holidays
///      the operator marks do not count, so Friday's fixing is still usable on Sunday and across Easter,
///      while a rate older than the pair's maximum age on working days is not.
interface IFxOracle is IFxRateSource {
    /// @notice Whether the market is open now.
    enum MarketState {
        Open,
        Weekend,
        Holiday
    }

    /// @notice A pair's configuration and state, packed in one slot.
    struct Pair {
        uint32 maxAge; // open-market seconds a round stays usable
        uint16 maxDispersionBps; // widest accepted spread of reporters' mids around the median
        uint16 breakerBps; // a jump beyond this versus the previous round halts the pair
        bool listed;
        bool halted;
        uint32 latestRound;
        uint24 lastSequence;
        uint48 lastMid;
    }

    /// @notice One published round, packed in one slot.
    struct Round {
        uint48 mid;
        uint48 bid;
        uint48 ask;
        uint16 dispersionBps;
        uint32 observedAt;
        uint32 publishedAt;
    }

    /// @notice What {latest} returns.
    struct Rate {
        uint256 mid;
        uint256 bid;
        uint256 ask;
        uint256 dispersionBps;
        uint256 observedAt;
        uint256 publishedAt;
        uint256 roundRef;
        MarketState market;
        bool derived;
    }

    /// @notice A compact (EIP-2098) signature.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice Thrown when fewer than a quorum of signatures are given.
    error FxQuorumNotMet(uint256 signatures, uint256 quorum);
    /// @notice Thrown when the observations do not split evenly into one report per signature.
    error FxMalformedReport(uint256 observations, uint256 signatures);
    /// @notice Thrown when a signature does not recover to an authorised reporter.
    error FxUnknownReporter(address signer);
    /// @notice Thrown when one reporter signed twice in the same round.
    error FxDuplicateReporter(address reporter);
    /// @notice Thrown when reporters disagree on which pair an observation slot holds.
    error FxPairMismatch(uint256 index, bytes6 expected, bytes6 found);
    /// @notice Thrown when a pair is not listed (and cannot be derived, for reads).
    error FxPairNotListed(bytes6 pair);
    /// @notice Thrown when an observation is stamped after the current block.
    error FxObservationFromFuture(bytes6 pair, uint256 observedAt, uint256 nowTimestamp);
    /// @notice Thrown when an observation or a round is older than the pair's maximum age in open-market seconds.
    error FxStale(bytes6 pair, uint256 observedAt, uint256 openAge, uint256 maxAge);
    /// @notice Thrown when reporters' mids spread wider than the pair's band.
    error FxDispersionTooHigh(bytes6 pair, uint256 dispersionBps, uint256 maxDispersionBps);
    /// @notice Thrown when an observation's sequence does not exceed the pair's last one.
    error FxSequenceNotIncreasing(bytes6 pair, uint256 sequence, uint256 lastSequence);
    /// @notice Thrown when an observation has a zero price or bid > mid or mid > ask.
    error FxInvalidPrices(bytes6 pair, uint256 bid, uint256 mid, uint256 ask);
    /// @notice Thrown when a read finds a pair halted by its circuit breaker.
    error FxPairHalted(bytes6 pair);
    /// @notice Thrown when a pair has no round yet (or the round asked for does not exist).
    error FxNoData(bytes6 pair, uint256 roundId);
    /// @notice Thrown when the caller lacks the role a function needs.
    error FxUnauthorized(address account);
    /// @notice Thrown when a configuration value is out of range.
    error FxInvalidConfig();
    /// @notice Thrown when resuming a pair that is not halted.
    error FxNotHalted(bytes6 pair);

    /// @notice Emitted for each pair of an accepted round (the full round is in {roundData}).
    event RoundPublished(bytes6 indexed pair, uint256 indexed roundId, uint256 mid);
    /// @notice Emitted when a jump beyond the pair's threshold halts it.
    event BreakerTripped(bytes6 indexed pair, uint256 indexed roundId, uint256 previousMid, uint256 mid, uint256 jumpBps);
    /// @notice Emitted when the regulator or operator resumes a halted pair.
    event PairResumed(bytes6 indexed pair, address indexed by);
    /// @notice Emitted when the operator lists or reconfigures a pair.
    event PairConfigured(bytes6 indexed pair, uint32 maxAge, uint16 maxDispersionBps, uint16 breakerBps, bool listed);
    /// @notice Emitted when a reporter is added or removed.
    event ReporterChanged(address indexed reporter, bool authorised);
    /// @notice Emitted when the quorum changes.
    event QuorumChanged(uint256 quorum);
    /// @notice Emitted when the operator marks or unmarks a market holiday (day = unix time / 86400).
    event HolidayChanged(uint256 indexed day, bool holiday);

    /// @notice Accepts one round for one or several pairs, signed by at least a quorum of distinct reporters.
    /// @dev Requirements: signatures >= quorum; observations split evenly into one report per signature;
    ///      each signer an authorised reporter, none twice; in each column the same listed pair; prices
    ///      non-zero with bid <= mid <= ask; observedAt not in the future and within the pair's maximum
    ///      age; sequence above the pair's last; reporters' mids within the pair's dispersion band.
    ///      Stores the medians as round `latestRound + 1` of each pair. Emits {RoundPublished} per pair,
    ///      and {BreakerTripped} when the median jumps beyond the pair's threshold (the round is kept, the
    ///      pair halts until {resume}).
    /// @param observations The reporters' packed observations, reporter-major.
    /// @param signatures One signature per report, in the same order.
    function publish(uint256[] calldata observations, Signature[] calldata signatures) external;

    /// @notice The latest usable rate of `base`/`quote`, direct or derived through the base currency.
    /// @dev Reverts with {FxPairNotListed}, {FxNoData}, {FxPairHalted} or {FxStale}; never returns zero.
    function latest(bytes3 base, bytes3 quote) external view returns (Rate memory);

    /// @notice A published round of a directly listed pair (no usability checks: for history and disputes).
    function roundData(bytes6 pair, uint256 roundId) external view returns (Round memory);

    /// @notice The round of `pair` in force at `timestamp`: the last one published at or before it.
    /// @dev Reverts with {FxNoData} when the pair had no round by then.
    function roundAtOrBefore(bytes6 pair, uint256 timestamp) external view returns (uint256 roundId, Round memory);

    /// @notice A pair's configuration and state.
    function pair(bytes6 pairId) external view returns (Pair memory);

    /// @notice The market state at `timestamp`.
    function marketState(uint256 timestamp) external view returns (MarketState);

    /// @notice Open-market seconds between `from` and `to`.
    function openSecondsBetween(uint256 from, uint256 to) external view returns (uint256);

    /// @notice Lists or reconfigures a pair. Requirements: caller has OPERATOR_ROLE; 0 < maxAge; breakerBps > 0.
    function configurePair(bytes6 pairId, uint32 maxAge, uint16 maxDispersionBps, uint16 breakerBps, bool listed)
        external;

    /// @notice Lifts a circuit-breaker halt. Requirements: caller has REGULATOR_ROLE or OPERATOR_ROLE; pair halted.
    function resume(bytes6 pairId) external;

    /// @notice Authorises a reporter that holds the registry's REPORTER_ROLE, or removes one. Removal is
    ///         open to anyone once the registry no longer grants the role (keeps the two in step).
    function setReporter(address reporter, bool authorised) external;

    /// @notice Sets the quorum. Requirements: caller has OPERATOR_ROLE; a majority of reporters, at least 1.
    function setQuorum(uint8 quorum) external;

    /// @notice Marks or unmarks market holidays (day = unix time / 86400). Requirements: caller has OPERATOR_ROLE.
    function setHolidays(uint256[] calldata dayNumbers, bool holiday) external;

    /// @notice The common base currency cross rates are derived through.
    function baseCurrency() external view returns (bytes3);

    /// @notice Number of authorised reporters and the quorum.
    function reporterSet() external view returns (uint8 count, uint8 quorum);

    /// @notice True when `account` is an authorised reporter.
    function isReporter(address account) external view returns (bool);
}

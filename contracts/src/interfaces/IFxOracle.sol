// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IDelayedGovernance} from "./IDelayedGovernance.sol";
import {IFxRateSource} from "./IFxRateSource.sol";

/// @title IFxOracle
/// @notice Quorum-signed FX rates with a window of on-chain history (the full history in events), a
///         market calendar, a circuit breaker that halts instead of clamping, and configured cross rates through a common base currency,
///         each with its own breaker.
/// @dev Rates are 8-decimal fixed point (quote units per base unit). A pair is `bytes6(base ‖ quote)`,
///      e.g. `bytes6("EURCHF")`.
///
///      A report is one reporter's observations, one 256-bit word per pair, packed high to low:
///      `pair (48) | mid (48) | bid (48) | ask (48) | observedAt (32) | sourceId (8) | sequence (24)`.
///      Each reporter signs EIP-712 `Report(uint256[] observations)` (domain "Corridor FxOracle", "1",
///      chain id, this contract). {publish} takes the reports of k reporters concatenated (reporter-major,
///      the same pairs in the same order) and k compact signatures.
///
///      **Reporters and quorum.** The reporter set is the registry's REPORTER_ROLE (one source of truth:
///      a reporter whose role was revoked or renounced never counts, and its old signatures are dead).
///      With n reporters and a configured quorum c, a round needs q = max(c, ⌊n/2⌋ + 1) distinct
///      reporters: always a strict majority, so adding reporters never leaves a minority quorum. c is set
///      at deployment and changed only by a delayed proposal the regulator may veto ({proposeQuorum}).
///
///      **Fault tolerance, precisely.** {publish} is open to anyone, and the submitter chooses which
///      k ≥ q reports to include. With f faulty (colluding, arbitrary) reporters:
///      - *Safety*: every stored median (mid, bid, ask, observation time) lies between the lowest and the
///        highest honest value included in its round as long as f < q/2 (a submitter can include at most
///        f faulty reports among q, and a median of q values moves outside the honest range only when
///        half of them are faulty). In particular, when the honest reporters agree, a faulty minority
///        cannot change the stored value at all, and cannot trip a breaker the honest values would not.
///      - *Liveness*: honest reporters alone can publish while n − f ≥ q. Stored sequences and
///        observation times are medians or minima of honest-bounded values, so no faulty report can
///        make a later honest round fail.
///      - Both hold for f ≤ min(⌈q/2⌉ − 1, n − q). The default 3-of-4 tolerates f = 1; 4-of-5 and 4-of-7
///        tolerate f = 1 (an even quorum gains nothing over the odd one below it); 5-of-7 tolerates f = 2.
///      - Assumed of honest reporters: each signs the next sequence the chain expects and observation
///        times that do not go backwards.
///
///      **Sequences and time.** A round stores the *lowest* sequence it carries (every observation must
///      exceed the pair's last stored one), so a reporter signing 2^24 − 1 raises nothing. A round's
///      median observation time may not be older than the pair's last one. Should a pair's sequence ever
///      reach the top of its range (a captured majority), the regulator resets it ({resetSequence}); a
///      halted pair is resumed by the regulator ({resume}). Neither needs the escrows redeployed.
///
///      **Staleness** is judged in *open-market seconds*: weekends (Saturday, Sunday UTC) and the holidays
///      the operator marks do not count, so Friday's fixing is still usable on Sunday and across Easter,
///      while a rate older than the pair's maximum age on working days is not.
///
///      **Cross rates.** A cross X/Y (neither side the base currency) is readable only when configured
///      ({configureCross}), with its own breaker threshold and halted state. After every round that
///      updates EUR/X or EUR/Y, the cross's derived mid is compared with its previous derived mid: a move
///      beyond its threshold halts the cross. A move of both legs together (a base-currency-wide move)
///      leaves the cross where it was and does not halt it. A cross read needs both legs listed, with
///      data and fresh, and the cross not halted; a leg halted by *its own* breaker does not stop the
///      cross (the cross is judged on its own move, so a halted leg whose move shows in the cross has
///      halted the cross too). An inverse read of any configured pair (direct or cross) uses that pair's
///      state. Legs of a cross should be published in the same round: legs published in separate rounds
///      during a base-currency-wide move show the cross a transient jump, which halts it (fail-safe).
interface IFxOracle is IFxRateSource, IDelayedGovernance {
    /// @notice Whether the market is open now.
    enum MarketState {
        Open,
        Weekend,
        Holiday
    }

    /// @notice A pair's configuration and state, packed in one slot. The first eight fields keep their
    ///         historical positions.
    struct Pair {
        uint32 maxAge; // open-market seconds a round stays usable (direct pairs)
        uint16 maxDispersionBps; // widest accepted spread of reporters' mids around the median (direct pairs)
        uint16 breakerBps; // a move beyond this versus the previous value halts the pair
        bool listed;
        bool halted;
        uint32 latestRound; // direct pairs: the last round id
        uint24 lastSequence; // direct pairs: the lowest sequence of the last round
        uint48 lastMid; // the last mid (for a cross: the last derived mid), the breaker's reference
        uint32 lastObservedAt; // direct pairs: the median observation time of the last round
        bool derived; // true for a configured cross through the base currency
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

    /// @notice Thrown when fewer than the quorum in force of signatures are given.
    error FxQuorumNotMet(uint256 signatures, uint256 quorum);
    /// @notice Thrown when the observations do not split evenly into one report per signature.
    error FxMalformedReport(uint256 observations, uint256 signatures);
    /// @notice Thrown when a signature does not recover to a holder of the registry's REPORTER_ROLE.
    error FxUnknownReporter(address signer);
    /// @notice Thrown when one reporter signed twice in the same round.
    error FxDuplicateReporter(address reporter);
    /// @notice Thrown when reporters disagree on which pair an observation slot holds.
    error FxPairMismatch(uint256 index, bytes6 expected, bytes6 found);
    /// @notice Thrown when a pair is not listed (and, for reads, neither is its inverse).
    error FxPairNotListed(bytes6 pair);
    /// @notice Thrown when a round carries observations for a configured cross (crosses are derived, never published).
    error FxPairIsDerived(bytes6 pair);
    /// @notice Thrown when an observation is stamped after the current block.
    error FxObservationFromFuture(bytes6 pair, uint256 observedAt, uint256 nowTimestamp);
    /// @notice Thrown when a round's median observation time is older than the pair's last round's.
    error FxObservationOlderThanLast(bytes6 pair, uint256 observedAt, uint256 lastObservedAt);
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
    /// @notice Thrown when a round (or the round in force at a time) is older than the on-chain window of
    ///         {ROUND_WINDOW} rounds; `oldestRound` is the oldest kept, published at `oldestPublishedAt`.
    ///         Older rounds are in the {RoundPublished} events.
    error FxBeyondWindow(bytes6 pair, uint256 oldestRound, uint256 oldestPublishedAt);
    /// @notice Thrown when the caller lacks the registry role a function needs.
    error FxUnauthorized(address account, bytes32 role);
    /// @notice Thrown when resuming a pair that is not halted.
    error FxNotHalted(bytes6 pair);
    /// @notice Thrown when resetting the sequence of a pair whose sequence is already 0.
    error FxSequenceNotSet(bytes6 pair);
    /// @notice Thrown when a pair id is malformed: the same currency twice, a code that is not three
    ///         letters, or (for a cross) a side that is the base currency.
    error FxInvalidPairId(bytes6 pair);
    /// @notice Thrown when listing a pair whose inverse was ever configured: a currency pair keeps one id,
    ///         and so one halt, breaker reference and sequence, for good.
    error FxInverseListed(bytes6 pair, bytes6 inverse);
    /// @notice Thrown when the operator marks or unmarks a day that is today or already past (only the
    ///         regulator may: a past holiday changes which rates are stale now).
    error FxHolidayNotAhead(uint256 day, uint256 today);
    /// @notice Thrown when configuring a pair as direct while it is a listed cross, or the reverse.
    error FxPairListedAsOtherKind(bytes6 pair);
    /// @notice Thrown when listing one more cross than the oracle keeps.
    error FxTooManyCrosses(uint256 max);
    /// @notice Thrown when a maximum age is outside [min, max] seconds.
    error FxMaxAgeOutOfRange(uint256 maxAge, uint256 min, uint256 max);
    /// @notice Thrown when a dispersion band exceeds `max` basis points.
    error FxDispersionOutOfRange(uint256 maxDispersionBps, uint256 max);
    /// @notice Thrown when a breaker threshold is outside [min, max] basis points.
    error FxBreakerOutOfRange(uint256 breakerBps, uint256 min, uint256 max);
    /// @notice Thrown when a quorum is outside [min, max]: at least MIN_QUORUM and a strict majority of the
    ///         current reporters, at most their number.
    error FxQuorumOutOfRange(uint256 quorum, uint256 min, uint256 max);
    /// @notice Thrown at deployment when the base currency is not three letters.
    error FxInvalidBaseCurrency(bytes3 currency);

    /// @notice Emitted for each pair of an accepted round. `round` is the whole stored round packed as in
    ///         storage, low to high: `mid (48) | bid (48) | ask (48) | dispersionBps (16) | observedAt (32) |
    ///         publishedAt (32)` (the mid is `round & (2**48 - 1)`): the history beyond {ROUND_WINDOW} is
    ///         rebuilt from these events exactly.
    event RoundPublished(bytes6 indexed pair, uint256 indexed roundId, uint256 round);
    /// @notice Emitted when a move beyond the pair's threshold halts it. For a cross, `roundId` is the
    ///         legs' rounds packed as `baseLegRound << 128 | quoteLegRound`.
    event BreakerTripped(
        bytes6 indexed pair, uint256 indexed roundId, uint256 previousMid, uint256 mid, uint256 jumpBps
    );
    /// @notice Emitted when the regulator resumes a halted pair.
    event PairResumed(bytes6 indexed pair, address indexed by);
    /// @notice Emitted when the regulator resets a pair's sequence to 0.
    event SequenceReset(bytes6 indexed pair, uint256 previousSequence, address indexed by);
    /// @notice Emitted when the operator lists or reconfigures a directly published pair.
    event PairConfigured(bytes6 indexed pair, uint32 maxAge, uint16 maxDispersionBps, uint16 breakerBps, bool listed);
    /// @notice Emitted when the operator lists, reconfigures or delists a cross; `referenceMid` is the
    ///         derived mid its breaker judges the next move against (0 until both legs have data).
    event CrossConfigured(bytes6 indexed pair, uint16 breakerBps, bool listed, uint256 referenceMid);
    /// @notice Emitted when an executed proposal changes the configured quorum.
    event QuorumChanged(uint256 previousQuorum, uint256 quorum);
    /// @notice Emitted when the operator marks or unmarks a market holiday (day = unix time / 86400).
    event HolidayChanged(uint256 indexed day, bool holiday);

    /// @notice Accepts one round for one or several direct pairs, signed by at least the quorum in force
    ///         of distinct reporters, then judges every configured cross whose legs it updated.
    /// @dev Requirements: signatures >= the quorum in force; observations split evenly into one report per
    ///      signature; each signer holds the registry's REPORTER_ROLE, none twice (one registry call for
    ///      all); in each column the same listed direct pair; prices non-zero with bid <= mid <= ask;
    ///      observedAt not in the future and within the pair's maximum age; every sequence above the
    ///      pair's last; reporters' mids within the pair's dispersion band; the median observation time
    ///      not older than the pair's last. Stores the medians and the lowest sequence as round
    ///      `latestRound + 1` of each pair. Emits {RoundPublished} per pair, and {BreakerTripped} for each
    ///      pair or cross whose move exceeds its threshold (the round is kept, the pair halts until
    ///      {resume}).
    /// @param observations The reporters' packed observations, reporter-major.
    /// @param signatures One signature per report, in the same order.
    function publish(uint256[] calldata observations, Signature[] calldata signatures) external;

    /// @notice The latest usable rate of `base`/`quote`: a listed direct pair, a configured cross, or
    ///         the inverse of either.
    /// @dev Reverts with {FxPairNotListed}, {FxNoData}, {FxPairHalted} or {FxStale}; never returns zero.
    ///      An unconfigured cross is not listed.
    function latest(bytes3 base, bytes3 quote) external view returns (Rate memory);

    /// @notice A published round of a direct pair (no usability checks: for history and disputes), among
    ///         the pair's last {ROUND_WINDOW}.
    /// @dev Reverts with {FxNoData} when the round does not exist, {FxBeyondWindow} when it is older than the
    ///      window (its {RoundPublished} event holds it).
    function roundData(bytes6 pairId, uint256 roundId) external view returns (Round memory);

    /// @notice The round of `pairId` in force at `timestamp`: the last one published at or before it,
    ///         answered for any time since the oldest round kept (the last {ROUND_WINDOW} rounds).
    /// @dev Reverts with {FxNoData} when the pair had no round by then, {FxBeyondWindow} when the answer is
    ///      older than the window (rebuild it from {RoundPublished} events).
    function roundAtOrBefore(bytes6 pairId, uint256 timestamp) external view returns (uint256 roundId, Round memory);

    /// @notice How many rounds per pair the oracle keeps on chain (256: about ten days at an hourly
    ///         heartbeat, about a year of daily ECB fixings).
    function ROUND_WINDOW() external view returns (uint256);

    /// @notice A pair's configuration and state.
    function pair(bytes6 pairId) external view returns (Pair memory);

    /// @notice The configured crosses, in no particular order.
    function crosses() external view returns (bytes6[] memory);

    /// @notice The market state at `timestamp`.
    function marketState(uint256 timestamp) external view returns (MarketState);

    /// @notice Open-market seconds between `from` and `to`.
    function openSecondsBetween(uint256 from, uint256 to) external view returns (uint256);

    /// @notice The EIP-712 digest a reporter signs for `observations`.
    function reportDigest(uint256[] calldata observations) external view returns (bytes32);

    /// @notice Lists, reconfigures or delists a directly published pair.
    /// @dev Requirements: caller has OPERATOR_ROLE; `pairId` is two different three-letter codes;
    ///      maxAge in [MIN_MAX_AGE, MAX_MAX_AGE]; maxDispersionBps <= MAX_BPS; breakerBps in
    ///      [1, MAX_BPS]; when listing, the inverse was never configured and the pair is not a listed
    ///      cross. Never lifts a halt. Emits {PairConfigured}.
    function configurePair(bytes6 pairId, uint32 maxAge, uint16 maxDispersionBps, uint16 breakerBps, bool listed)
        external;

    /// @notice Lists, reconfigures or delists a cross derived through the base currency, with its own
    ///         breaker. Listing it (again) judges the move since its last reference (a jump beyond its
    ///         threshold while it was unlisted halts it), and a cross listed while either leg is halted
    ///         starts halted: listing never serves a value the breakers refused. Only the regulator
    ///         resumes it.
    /// @dev Requirements: caller has OPERATOR_ROLE; both sides three-letter codes, different, neither the
    ///      base currency; breakerBps in [1, MAX_BPS]; when listing, the inverse was never configured, the
    ///      pair is not a listed direct pair, and fewer than MAX_CROSSES crosses are listed. Never lifts a
    ///      halt. Emits {CrossConfigured}, and {BreakerTripped} when listing halts it.
    function configureCross(bytes6 pairId, uint16 breakerBps, bool listed) external;

    /// @notice Lifts a circuit-breaker halt of a direct pair or a cross. The regulator's alone.
    /// @dev Requirements: caller has REGULATOR_ROLE; the pair is halted. The next move is judged against
    ///      the last value. Emits {PairResumed}.
    function resume(bytes6 pairId) external;

    /// @notice Resets a pair's last sequence to 0, so rounds are accepted again after its sequence reached
    ///         the top of its range. The regulator's alone; old reports stay refused by the observation-time
    ///         and freshness checks, and those of removed reporters by the registry.
    /// @dev Requirements: caller has REGULATOR_ROLE; the pair's last sequence is non-zero. Emits {SequenceReset}.
    function resetSequence(bytes6 pairId) external;

    /// @notice Proposes a new configured quorum, executed after the governance delay unless vetoed.
    /// @dev Requirements: caller has OPERATOR_ROLE; MIN_QUORUM <= newQuorum, ⌊n/2⌋ + 1 <= newQuorum <= n for the
    ///      current reporter count n (checked again at execution). Emits {ProposalCreated}; on execution
    ///      {ProposalExecuted} and {QuorumChanged}.
    /// @return id The proposal id.
    function proposeQuorum(uint8 newQuorum) external returns (uint256 id);

    /// @notice Marks or unmarks market holidays (day = unix time / 86400).
    /// @dev Requirements: caller has OPERATOR_ROLE and every day is after today, or caller has
    ///      REGULATOR_ROLE (any day): a holiday in the past changes which rates count as stale now, which
    ///      the operator alone may not do. Emits {HolidayChanged} per day.
    function setHolidays(uint256[] calldata dayNumbers, bool holiday) external;

    /// @notice The common base currency cross rates are derived through.
    function baseCurrency() external view returns (bytes3);

    /// @notice The quorum a round needs now, the configured quorum, and the registry's reporter count:
    ///         `inForce = max(min(configured, reporters), reporters / 2 + 1, MIN_QUORUM)`: always a strict
    ///         majority, and never more than the reporters there are (removals below the configured quorum
    ///         do not lock honest reporters out).
    function quorum() external view returns (uint256 inForce, uint256 configured, uint256 reporters);
}

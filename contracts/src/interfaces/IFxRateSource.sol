// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IFxRateSource
/// @notice What the settlement contracts ask of the FX oracle: one rate that is safe to check a
///         settlement against right now, or a revert that says why there is none.
interface IFxRateSource {
    /// @notice The mid rate of `quote` per one unit of `base` (18-decimal fixed point), usable now.
    /// @dev Reverts when the pair is unknown, halted by its circuit breaker, or stale for the current
    ///      market state. Never returns zero. A pair not published directly may be derived through a
    ///      common base currency.
    /// @param base ISO 4217 code of the base currency.
    /// @param quote ISO 4217 code of the quote currency.
    /// @return mid Quote-currency units per base-currency unit, scaled by 1e18.
    /// @return roundRef The oracle round the rate comes from (for a derived rate, both rounds packed
    ///         as `baseLegRound << 128 | quoteLegRound`).
    function settlementRate(bytes3 base, bytes3 quote) external view returns (uint256 mid, uint256 roundRef);
}

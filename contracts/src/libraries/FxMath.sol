// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title FxMath
/// @notice Fixed-point helpers for FX rates: 18-decimal rates, amounts in minor units.
library FxMath {
    uint256 internal constant RATE_ONE = 1e18;
    uint256 internal constant BPS = 10_000;
    /// @notice Highest rate the contracts accept (1e18 quote units per base unit).
    uint256 internal constant MAX_RATE = 1e36;

    /// @notice `amountA` minor units of a `decimalsA` currency converted at `rate` into minor units of a
    ///         `decimalsB` currency, rounded down.
    function convert(uint256 amountA, uint256 rate, uint8 decimalsA, uint8 decimalsB) internal pure returns (uint256) {
        return Math.mulDiv(amountA, rate * 10 ** decimalsB, RATE_ONE * 10 ** decimalsA);
    }

    /// @notice The rate `amountB / amountA` in whole units (18-decimal fixed point), rounded down: the
    ///         price a swap of these amounts really pays, whatever rate it states.
    function rateOf(uint256 amountA, uint256 amountB, uint8 decimalsA, uint8 decimalsB) internal pure returns (uint256) {
        return Math.mulDiv(amountB, RATE_ONE * 10 ** decimalsA, amountA * 10 ** decimalsB);
    }

    /// @notice {convert} with the currencies' minor units given as scales (`10 ** decimals`), as the PvP escrow
    ///         keeps them: the same result without the exponentiations.
    function convertScaled(uint256 amountA, uint256 rate, uint256 scaleA, uint256 scaleB) internal pure returns (uint256) {
        return Math.mulDiv(amountA, rate * scaleB, RATE_ONE * scaleA);
    }

    /// @notice {rateOf} with the minor units given as scales (`10 ** decimals`).
    function rateOfScaled(uint256 amountA, uint256 amountB, uint256 scaleA, uint256 scaleB)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(amountB, RATE_ONE * scaleA, amountA * scaleB);
    }

    /// @notice Distance between `rate` and `reference` in basis points of `anchor`, rounded up.
    function deviationBps(uint256 rate, uint256 anchor) internal pure returns (uint256) {
        uint256 distance = rate > anchor ? rate - anchor : anchor - rate;
        return Math.mulDiv(distance, BPS, anchor, Math.Rounding.Ceil);
    }
}

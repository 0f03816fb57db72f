// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";
import {IFxOracle} from "./IFxOracle.sol";

/// @title IFxAggregatorV3Adapter
/// @notice Chainlink `AggregatorV3Interface` view of one *directly published* FxOracle pair. Restricted to
///         direct pairs so that every round id {latestRoundData} returns is one {getRoundData} finds (a
///         cross or an inverse has no rounds of its own).
interface IFxAggregatorV3Adapter is AggregatorV3Interface {
    /// @notice Thrown at deployment when the pair is not a listed direct pair, and by {latestRoundData}
    ///         when the oracle no longer serves it as one.
    error FxAdapterNotDirectPair(bytes6 pair);

    /// @notice The oracle read.
    function oracle() external view returns (IFxOracle);

    /// @notice The pair's base currency.
    function base() external view returns (bytes3);

    /// @notice The pair's quote currency.
    function quote() external view returns (bytes3);
}

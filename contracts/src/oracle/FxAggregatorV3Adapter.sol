// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IFxOracle} from "../interfaces/IFxOracle.sol";

/// @title FxAggregatorV3Adapter
/// @notice Chainlink `AggregatorV3Interface` view of one directly published FxOracle pair, for tools
///         that speak Chainlink. Answers carry 8 decimals; `startedAt` is the median observation time
///         and `updatedAt` the publication time. Unlike many feeds, reads revert instead of returning
///         zeros: `latestRoundData` when the pair is halted, stale or empty; `getRoundData` when the
///         round does not exist.
contract FxAggregatorV3Adapter is AggregatorV3Interface {
    IFxOracle public immutable oracle;
    bytes3 public immutable base;
    bytes3 public immutable quote;

    constructor(IFxOracle oracle_, bytes3 base_, bytes3 quote_) {
        oracle = oracle_;
        base = base_;
        quote = quote_;
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external pure returns (uint8) {
        return 8;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return string(abi.encodePacked(base, " / ", quote));
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        IFxOracle.Round memory round = oracle.roundData(bytes6(bytes.concat(base, quote)), roundId);
        return (roundId, int256(uint256(round.mid)), round.observedAt, round.publishedAt, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        IFxOracle.Rate memory rate = oracle.latest(base, quote);
        roundId = uint80(rate.roundRef);
        return (roundId, int256(rate.mid), rate.observedAt, rate.publishedAt, roundId);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IFxAggregatorV3Adapter} from "../interfaces/IFxAggregatorV3Adapter.sol";
import {IFxOracle} from "../interfaces/IFxOracle.sol";

/// @title FxAggregatorV3Adapter
/// @notice Chainlink `AggregatorV3Interface` view of one directly published FxOracle pair, for tools
///         that speak Chainlink. Answers carry 8 decimals; `startedAt` is the median observation time
///         and `updatedAt` the publication time. Unlike many feeds, reads revert instead of returning
///         zeros: `latestRoundData` when the pair is halted, stale, empty or no longer direct;
///         `getRoundData` when the round does not exist. See {IFxAggregatorV3Adapter}.
contract FxAggregatorV3Adapter is IFxAggregatorV3Adapter {
    /// @inheritdoc IFxAggregatorV3Adapter
    IFxOracle public immutable oracle;
    /// @inheritdoc IFxAggregatorV3Adapter
    bytes3 public immutable base;
    /// @inheritdoc IFxAggregatorV3Adapter
    bytes3 public immutable quote;

    /// @param oracle_ The oracle.
    /// @param base_ The base currency of a pair listed in `oracle_` as a direct pair.
    /// @param quote_ Its quote currency.
    constructor(IFxOracle oracle_, bytes3 base_, bytes3 quote_) {
        bytes6 pairId = bytes6(bytes.concat(base_, quote_));
        IFxOracle.Pair memory state = oracle_.pair(pairId);
        if (!state.listed || state.derived) revert FxAdapterNotDirectPair(pairId);
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
        // A derived answer (the pair delisted and its inverse listed) has no round of this pair behind it.
        if (rate.derived) revert FxAdapterNotDirectPair(bytes6(bytes.concat(base, quote)));
        roundId = uint80(rate.roundRef);
        return (roundId, int256(rate.mid), rate.observedAt, rate.publishedAt, roundId);
    }
}

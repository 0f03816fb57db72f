// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title AggregatorV3Interface
/// @notice Chainlink's price-feed read interface (the five functions), declared here because
///         the Chainlink contracts package cannot be installed offline.
interface AggregatorV3Interface {
    /// @notice Decimals of every answer.
    function decimals() external view returns (uint8);

    /// @notice A human-readable name of the feed, e.g. "EUR / CNY".
    function description() external view returns (string memory);

    /// @notice The version of the feed's implementation.
    function version() external view returns (uint256);

    /// @notice A past round.
    /// @param roundId The round to read.
    /// @return roundId_ The round read.
    /// @return answer The answer of that round.
    /// @return startedAt When the round's observation was made.
    /// @return updatedAt When the round was published.
    /// @return answeredInRound The round in which the answer was computed.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice The latest round.
    /// @return roundId The latest round; {getRoundData} finds it.
    /// @return answer Its answer.
    /// @return startedAt When its observation was made.
    /// @return updatedAt When it was published.
    /// @return answeredInRound The round in which the answer was computed.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}

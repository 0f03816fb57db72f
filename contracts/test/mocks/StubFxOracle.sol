// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxRateSource} from "../../src/interfaces/IFxRateSource.sol";

/// @notice Unit-test stand-in for the FX oracle: a settable mid per pair, and a switch that makes
///         a pair revert as a halted or stale pair would. Never used outside unit tests.
contract StubFxOracle is IFxRateSource {
    error StubPairUnavailable(bytes3 base, bytes3 quote);

    mapping(bytes32 pair => uint256 mid) public mids;
    mapping(bytes32 pair => bool) public unavailable;
    uint256 public round = 1;

    function setMid(bytes3 base, bytes3 quote, uint256 mid) external {
        mids[_pair(base, quote)] = mid;
        ++round;
    }

    function setUnavailable(bytes3 base, bytes3 quote, bool value) external {
        unavailable[_pair(base, quote)] = value;
    }

    function settlementRate(bytes3 base, bytes3 quote) external view returns (uint256 mid, uint256 roundRef) {
        bytes32 pair = _pair(base, quote);
        mid = mids[pair];
        if (unavailable[pair] || mid == 0) revert StubPairUnavailable(base, quote);
        return (mid, round);
    }

    function _pair(bytes3 base, bytes3 quote) private pure returns (bytes32) {
        return keccak256(abi.encode(base, quote));
    }
}

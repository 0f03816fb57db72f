// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxOracle} from "../interfaces/IFxOracle.sol";

/// @title PairCodec
/// @notice An {IFxOracle.Pair} in one 256-bit storage word, low to high:
///         `maxAge (32) | maxDispersionBps (16) | breakerBps (16) | listed (8) | halted (8) |
///          latestRound (32) | lastSequence (24) | lastMid (48) | lastObservedAt (32) | derived (8)`.
/// @dev Explicit rather than a packed struct in storage: with ten fields the optimiser no longer merges a
///      whole-struct assignment into one SSTORE (it wrote the slot once per field, ~1.5k gas per pair and
///      round). Decoding and encoding here keep every round at one SLOAD and one SSTORE per pair.
library PairCodec {
    function decode(uint256 word) internal pure returns (IFxOracle.Pair memory state) {
        state.maxAge = uint32(word);
        state.maxDispersionBps = uint16(word >> 32);
        state.breakerBps = uint16(word >> 48);
        state.listed = uint8(word >> 64) != 0;
        state.halted = uint8(word >> 72) != 0;
        state.latestRound = uint32(word >> 80);
        state.lastSequence = uint24(word >> 112);
        state.lastMid = uint48(word >> 136);
        state.lastObservedAt = uint32(word >> 184);
        state.derived = uint8(word >> 216) != 0;
    }

    /// @notice The `maxAge` field alone.
    function maxAge(uint256 word) internal pure returns (uint256) {
        return uint32(word);
    }

    /// @notice The `listed` field alone.
    function listed(uint256 word) internal pure returns (bool) {
        return uint8(word >> 64) != 0;
    }

    /// @notice The `derived` field alone.
    function derived(uint256 word) internal pure returns (bool) {
        return uint8(word >> 216) != 0;
    }

    /// @notice The `lastObservedAt` field alone.
    function lastObservedAt(uint256 word) internal pure returns (uint256) {
        return uint32(word >> 184);
    }

    /// @notice The `latestRound` field alone.
    function latestRound(uint256 word) internal pure returns (uint256) {
        return uint32(word >> 80);
    }

    /// @notice The `lastMid` field alone.
    function lastMid(uint256 word) internal pure returns (uint256) {
        return uint48(word >> 136);
    }

    /// @notice The `breakerBps` field alone.
    function breakerBps(uint256 word) internal pure returns (uint256) {
        return uint16(word >> 48);
    }

    /// @notice The `halted` field alone.
    function halted(uint256 word) internal pure returns (bool) {
        return uint8(word >> 72) != 0;
    }

    /// @notice The `maxDispersionBps` field alone.
    function maxDispersionBps(uint256 word) internal pure returns (uint256) {
        return uint16(word >> 32);
    }

    /// @notice The `lastSequence` field alone.
    function lastSequence(uint256 word) internal pure returns (uint256) {
        return uint24(word >> 112);
    }

    /// @notice `word` after a published round: `latestRound`, `lastSequence`, `lastMid` and `lastObservedAt`
    ///         replaced (each truncated to its width) and, when `halt`, `halted` set; the rest kept.
    function withRound(uint256 word, uint256 roundId, uint256 sequence, uint256 mid, uint256 observedAt, bool halt)
        internal
        pure
        returns (uint256)
    {
        word = (word & ~(((uint256(1) << 136) - 1) << 80)) | (uint256(uint32(roundId)) << 80)
            | (uint256(uint24(sequence)) << 112) | (uint256(uint48(mid)) << 136) | (uint256(uint32(observedAt)) << 184);
        return halt ? word | (uint256(1) << 72) : word;
    }

    /// @notice `word` with `lastMid` replaced by `mid` (below 2^48) and, when `halt`, `halted` set.
    function withMid(uint256 word, uint256 mid, bool halt) internal pure returns (uint256) {
        word = (word & ~(uint256(type(uint48).max) << 136)) | (mid << 136);
        return halt ? word | (uint256(1) << 72) : word;
    }

    function encode(IFxOracle.Pair memory state) internal pure returns (uint256 word) {
        word = uint256(state.maxAge) | (uint256(state.maxDispersionBps) << 32) | (uint256(state.breakerBps) << 48)
            | (_bit(state.listed) << 64) | (_bit(state.halted) << 72) | (uint256(state.latestRound) << 80)
            | (uint256(state.lastSequence) << 112) | (uint256(state.lastMid) << 136)
            | (uint256(state.lastObservedAt) << 184) | (_bit(state.derived) << 216);
    }

    function _bit(bool flag) private pure returns (uint256) {
        return flag ? 1 : 0;
    }
}

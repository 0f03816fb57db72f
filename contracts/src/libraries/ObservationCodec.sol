// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ObservationCodec
/// @notice One FX observation in one 256-bit word, high to low:
///         `pair (48) | mid (48) | bid (48) | ask (48) | observedAt (32) | sourceId (8) | sequence (24)`.
///         Prices are 8-decimal fixed point.
library ObservationCodec {
    uint256 private constant _MASK48 = (1 << 48) - 1;

    function pair(uint256 word) internal pure returns (bytes6) {
        return bytes6(uint48(word >> 208));
    }

    function mid(uint256 word) internal pure returns (uint256) {
        return (word >> 160) & _MASK48;
    }

    function bid(uint256 word) internal pure returns (uint256) {
        return (word >> 112) & _MASK48;
    }

    function ask(uint256 word) internal pure returns (uint256) {
        return (word >> 64) & _MASK48;
    }

    function observedAt(uint256 word) internal pure returns (uint256) {
        return uint32(word >> 32);
    }

    function sourceId(uint256 word) internal pure returns (uint256) {
        return uint8(word >> 24);
    }

    function sequence(uint256 word) internal pure returns (uint256) {
        return uint24(word);
    }

    function encode(
        bytes6 pair_,
        uint256 mid_,
        uint256 bid_,
        uint256 ask_,
        uint256 observedAt_,
        uint256 sourceId_,
        uint256 sequence_
    ) internal pure returns (uint256) {
        return (uint256(uint48(pair_)) << 208) | ((mid_ & _MASK48) << 160) | ((bid_ & _MASK48) << 112)
            | ((ask_ & _MASK48) << 64) | (uint256(uint32(observedAt_)) << 32) | (uint256(uint8(sourceId_)) << 24)
            | uint256(uint24(sequence_));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxOracle} from "../interfaces/IFxOracle.sol";

/// @title RoundCodec
/// @notice An {IFxOracle.Round} in one 256-bit word, low to high (the layout Solidity gives the struct in
///         storage): `mid (48) | bid (48) | ask (48) | dispersionBps (16) | observedAt (32) | publishedAt (32)`.
/// @dev The oracle keeps rounds in this form in its ring buffers and emits the same word in
///      {IFxOracle.RoundPublished}, so the history beyond the on-chain window is rebuilt from events bit
///      for bit.
library RoundCodec {
    function encode(
        uint256 mid,
        uint256 bid,
        uint256 ask,
        uint256 dispersionBps,
        uint256 observedAt,
        uint256 publishedAtTime
    ) internal pure returns (uint256) {
        return uint256(uint48(mid)) | (uint256(uint48(bid)) << 48) | (uint256(uint48(ask)) << 96)
            | (uint256(uint16(dispersionBps)) << 144) | (uint256(uint32(observedAt)) << 160)
            | (uint256(uint32(publishedAtTime)) << 192);
    }

    function decode(uint256 word) internal pure returns (IFxOracle.Round memory round) {
        round.mid = uint48(word);
        round.bid = uint48(word >> 48);
        round.ask = uint48(word >> 96);
        round.dispersionBps = uint16(word >> 144);
        round.observedAt = uint32(word >> 160);
        round.publishedAt = uint32(word >> 192);
    }

    /// @notice The `publishedAt` field alone.
    function publishedAt(uint256 word) internal pure returns (uint256) {
        return uint32(word >> 192);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ITransferPolicy
/// @notice The one question an escrow asks a token before parking funds for a receiver.
interface ITransferPolicy {
    /// @notice True when a transfer from `from` to `to` would pass the token's policy now
    ///         (balances and allowances aside).
    function canTransfer(address from, address to) external view returns (bool);
}

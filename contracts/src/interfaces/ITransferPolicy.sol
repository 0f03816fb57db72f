// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ITransferPolicy
/// @notice The questions an escrow asks a token before parking funds for a receiver and before
///         releasing funds it holds: would the token let these accounts move value now?
interface ITransferPolicy {
    /// @notice True when a transfer from `from` to `to` would pass the token's policy now
    ///         (balances and allowances aside).
    function canTransfer(address from, address to) external view returns (bool);

    /// @notice True when `account` may send and receive the token now: the token is not paused, the
    ///         account is not frozen, and it is an active participant or an allowlisted settlement contract.
    /// @dev Escrows ask this of both parties before releasing funds they already hold, so a freeze or a
    ///      suspension reaches value in escrow, not only value still in the party's account.
    function isPermitted(address account) external view returns (bool);

    /// @notice True when the caller (an escrow) may now pay `receiver` funds it holds for `payer`: the token
    ///         is not paused, neither `payer` nor `receiver` is frozen or ineligible, and the caller may send.
    /// @dev What an escrow asks before releasing a locked leg, so a hold on any party of the payment (not
    ///      only the two sides of the transfer itself) reaches funds already in escrow.
    function canRelease(address payer, address receiver) external view returns (bool);
}

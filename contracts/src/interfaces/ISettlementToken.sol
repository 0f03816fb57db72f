// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IParticipantRegistry} from "./IParticipantRegistry.sol";
import {ITransferPolicy} from "./ITransferPolicy.sol";

/// @title ISettlementToken
/// @notice A permissioned settlement token: one per currency, decimals = the currency's minor
///         units, minted and burned only by that currency's issuer.
/// @dev Transfer policy (enforced for every balance change, mint and burn included):
///      - nothing moves while the token is paused;
///      - neither side may be frozen by the regulator;
///      - each non-zero side is an active participant or an allowlisted settlement contract, except that
///        a delisted settlement contract may still send (pay out what it holds, never receive).
interface ISettlementToken is IERC20, ITransferPolicy {
    /// @notice Thrown when the caller does not hold this currency's issuer role.
    error SettlementTokenUnauthorizedIssuer(address account);
    /// @notice Thrown when the caller does not hold the regulator role.
    error SettlementTokenUnauthorizedRegulator(address account);
    /// @notice Thrown when a side of a transfer is neither an active participant nor an allowlisted settlement contract.
    error SettlementTokenIneligibleAccount(address account);
    /// @notice Thrown when a side of a transfer is frozen.
    error SettlementTokenAccountFrozen(address account);
    /// @notice Thrown when freezing a frozen account or unfreezing one that is not frozen.
    error SettlementTokenFreezeUnchanged(address account, bool frozen);
    /// @notice Thrown when the currency is not registered in the registry.
    error SettlementTokenUnregisteredCurrency(bytes3 currency);
    /// @notice Thrown when minting or burning zero.
    error SettlementTokenZeroAmount();

    /// @notice Emitted when the regulator freezes or unfreezes an account.
    event AccountFreezeChanged(address indexed account, bool frozen, address indexed regulator);
    /// @notice Emitted when the issuer mints.
    event Minted(address indexed to, uint256 amount, address indexed issuer);
    /// @notice Emitted when the issuer burns.
    event Burned(uint256 amount, address indexed issuer);

    /// @notice Mints `amount` minor units to `to`.
    /// @dev Requirements: caller holds this currency's issuer role; `amount` > 0; the transfer policy
    ///      holds for `to`. Emits {Minted} and {IERC20-Transfer}.
    /// @param to The receiving participant.
    /// @param amount Amount in minor units.
    function mint(address to, uint256 amount) external;

    /// @notice Burns `amount` minor units from the caller's own balance (redemption at the issuer).
    /// @dev Requirements: caller holds the issuer role and at least `amount`; `amount` > 0; the
    ///      transfer policy holds for the caller. Emits {Burned} and {IERC20-Transfer}.
    /// @param amount Amount in minor units.
    function burn(uint256 amount) external;

    /// @notice Halts every balance change of this currency.
    /// @dev Requirements: caller holds REGULATOR_ROLE; not paused. Emits {Pausable-Paused}.
    function pause() external;

    /// @notice Lifts a pause.
    /// @dev Requirements: caller holds REGULATOR_ROLE; paused. Emits {Pausable-Unpaused}.
    function unpause() external;

    /// @notice Freezes `account`: nothing of this currency may leave or reach it.
    /// @dev Requirements: caller holds REGULATOR_ROLE; not already frozen. Emits {AccountFreezeChanged}.
    /// @param account The account to freeze.
    function freeze(address account) external;

    /// @notice Lifts a freeze.
    /// @dev Requirements: caller holds REGULATOR_ROLE; frozen. Emits {AccountFreezeChanged}.
    /// @param account The account to unfreeze.
    function unfreeze(address account) external;

    /// @notice The registry this token reads its policy from.
    function registry() external view returns (IParticipantRegistry);

    /// @notice The ISO 4217 code of this token's currency.
    function currency() external view returns (bytes3);

    /// @notice True when `account` is frozen.
    function isFrozen(address account) external view returns (bool);

}

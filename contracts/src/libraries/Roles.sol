// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Roles
/// @notice The role identifiers the ParticipantRegistry grants and every Corridor contract checks,
///         defined once.
library Roles {
    bytes32 internal constant OPERATOR = keccak256("OPERATOR_ROLE");
    bytes32 internal constant REGULATOR = keccak256("REGULATOR_ROLE");
    bytes32 internal constant REPORTER = keccak256("REPORTER_ROLE");
    bytes32 internal constant QUOTE_SIGNER = keccak256("QUOTE_SIGNER_ROLE");
}

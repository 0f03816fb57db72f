// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IDelayedGovernance} from "./IDelayedGovernance.sol";

/// @title IParticipantRegistry
/// @notice Who may take part in Corridor: roles, participant records and the allowlist of
///         settlement contracts that may hold settlement tokens.
/// @dev Roles (OpenZeppelin AccessControl) and who administers each:
///
///      | role                 | administered by                  | may                                              |
///      |----------------------|----------------------------------|--------------------------------------------------|
///      | OPERATOR_ROLE        | OPERATOR_ROLE                    | onboard/suspend/offboard, register currencies,   |
///      |                      |                                  | allowlist settlement contracts, grant quote      |
///      |                      |                                  | signers, propose reporter changes. Never mints.  |
///      | REGULATOR_ROLE       | REGULATOR_ROLE (first one given  | pause, freeze, resume halted FX pairs, veto      |
///      |                      | to the constructor)              | proposals. Never moves funds.                    |
///      | REPORTER_ROLE        | nobody: changed only by executed | sign FX observations                             |
///      |                      | proposals (and renounceRole)     |                                                  |
///      | QUOTE_SIGNER_ROLE    | OPERATOR_ROLE                    | sign FX quotes that HTLC locks are bound to      |
///      | issuerRole(currency) | itself                           | mint and burn that currency only                 |
///
///      Separation of duties: no account ever holds both OPERATOR_ROLE and REGULATOR_ROLE (a grant that
///      would make it so reverts with {RegistryConflictingRoles}), so the operator can neither grant,
///      revoke nor exercise regulator powers. The last regulator cannot be revoked or renounce (a
///      ledger without a regulator could never resume a halted pair again).
///
///      The reporter set is the FX oracle's single source of truth: the oracle checks every signer of
///      a round against this registry, so a reporter whose role is gone never counts. The operator
///      proposes adding or removing a reporter; the change takes effect after {governanceDelay} unless
///      the regulator vetoes it (see {IDelayedGovernance}). A reporter may renounce its own role; the
///      count stays true.
///
///      A participant (bank) is an account with an Active record.
interface IParticipantRegistry is IDelayedGovernance {
    /// @notice Lifecycle of a participant record.
    enum Status {
        None,
        Active,
        Suspended
    }

    /// @notice A settlement contract's standing: allowlisted contracts hold and move tokens; a delisted
    ///         one may only pay out what it still holds.
    enum SettlementContractStatus {
        None,
        Allowlisted,
        Delisted
    }

    /// @notice A participant's record, packed in one storage slot.
    /// @param status Current lifecycle status.
    /// @param bic The participant's ISO 9362 business identifier code, left-aligned, 8 or 11 characters.
    /// @param jurisdiction ISO 3166-1 alpha-2 country code.
    struct Participant {
        Status status;
        bytes11 bic;
        bytes2 jurisdiction;
    }

    /// @notice Thrown when the zero address is given where an account is required.
    error RegistryZeroAddress();
    /// @notice Thrown when onboarding an account that already has a record.
    error RegistryAlreadyOnboarded(address account);
    /// @notice Thrown when an account has no record.
    error RegistryUnknownParticipant(address account);
    /// @notice Thrown when a status change does not apply to the record's current status.
    error RegistryInvalidStatus(address account, Status current);
    /// @notice Thrown when a BIC is not 8 or 11 upper-case letters or digits.
    error RegistryInvalidBic(bytes11 bic);
    /// @notice Thrown when a jurisdiction is not two upper-case letters.
    error RegistryInvalidJurisdiction(bytes2 jurisdiction);
    /// @notice Thrown when a currency code is not three upper-case letters.
    error RegistryInvalidCurrency(bytes3 currency);
    /// @notice Thrown when registering a currency a second time.
    error RegistryCurrencyAlreadyRegistered(bytes3 currency);
    /// @notice Thrown when a settlement contract address holds no code.
    error RegistryNotAContract(address account);
    /// @notice Thrown when allowlisting an already allowlisted contract, or removing one that is not.
    error RegistrySettlementContractUnchanged(address settlementContract, bool allowed);
    /// @notice Thrown when granting `role` to an account that holds `conflictingRole` (operator and
    ///         regulator are never the same account).
    error RegistryConflictingRoles(address account, bytes32 role, bytes32 conflictingRole);
    /// @notice Thrown when revoking or renouncing the regulator role of the last regulator.
    error RegistryLastRegulator(address account);
    /// @notice Thrown when adding a reporter that already is one.
    error RegistryAlreadyReporter(address account);
    /// @notice Thrown when removing a reporter that is not one.
    error RegistryNotReporter(address account);
    /// @notice Thrown when adding a reporter would exceed the maximum number of reporters.
    error RegistryTooManyReporters(uint256 max);

    /// @notice Emitted when a participant is onboarded.
    event ParticipantOnboarded(address indexed account, bytes11 bic, bytes2 jurisdiction);
    /// @notice Emitted when a participant's status changes.
    event ParticipantStatusChanged(address indexed account, Status previous, Status current);
    /// @notice Emitted when a participant record is removed.
    event ParticipantOffboarded(address indexed account);
    /// @notice Emitted when a currency is registered with its first issuer.
    event CurrencyRegistered(bytes3 indexed currency, address indexed issuer);
    /// @notice Emitted when a settlement contract is added to or removed from the allowlist.
    event SettlementContractAllowlisted(address indexed settlementContract, bool allowed);

    /// @notice Onboards a bank (or a central bank that holds its own currency) as an active participant.
    /// @dev Requirements: caller has OPERATOR_ROLE; `account` is non-zero and has no record;
    ///      `bic` is 8 or 11 characters of A-Z0-9; `jurisdiction` is two letters A-Z.
    ///      Emits {ParticipantOnboarded}.
    /// @param account The participant's settlement address.
    /// @param bic The participant's BIC, left-aligned.
    /// @param jurisdiction ISO 3166-1 alpha-2 code.
    function onboard(address account, bytes11 bic, bytes2 jurisdiction) external;

    /// @notice Suspends an active participant: its tokens can neither leave nor arrive.
    /// @dev Requirements: caller has OPERATOR_ROLE; the record is Active. Emits {ParticipantStatusChanged}.
    /// @param account The participant to suspend.
    function suspend(address account) external;

    /// @notice Reinstates a suspended participant.
    /// @dev Requirements: caller has OPERATOR_ROLE; the record is Suspended. Emits {ParticipantStatusChanged}.
    /// @param account The participant to reinstate.
    function reinstate(address account) external;

    /// @notice Removes a participant record. Tokens it still holds stay frozen in place until it is onboarded again.
    /// @dev Requirements: caller has OPERATOR_ROLE; the record exists. Emits {ParticipantOffboarded}.
    /// @param account The participant to offboard.
    function offboard(address account) external;

    /// @notice Registers a currency and grants its issuer role to `issuer`, once per currency.
    /// @dev Requirements: caller has OPERATOR_ROLE; `currency` is three letters A-Z and not registered;
    ///      `issuer` is non-zero. The issuer role becomes its own admin, so the operator cannot later
    ///      grant it to anybody. Emits {CurrencyRegistered} and {IAccessControl-RoleGranted}.
    /// @param currency ISO 4217 code.
    /// @param issuer The issuer's (central bank's) minting address.
    function registerCurrency(bytes3 currency, address issuer) external;

    /// @notice Adds a contract to, or removes it from, the allowlist of settlement contracts that may hold tokens.
    /// @dev Requirements: caller has OPERATOR_ROLE; when adding, the address holds code; the flag changes.
    ///      A removed contract becomes Delisted: it can still send (pay out the funds it holds) but no
    ///      longer receive. Emits {SettlementContractAllowlisted}.
    /// @param settlementContract The escrow contract.
    /// @param allowed True to add, false to remove.
    function setSettlementContract(address settlementContract, bool allowed) external;

    /// @notice Proposes adding a reporter to, or removing one from, the oracle reporter set. The change
    ///         takes effect when the proposal is executed after {governanceDelay}, unless vetoed.
    /// @dev Requirements: caller has OPERATOR_ROLE; when adding, `reporter` is non-zero, not a reporter,
    ///      and the set is below {MAX_REPORTERS}; when removing, `reporter` is a reporter. The same
    ///      checks run again at execution, which grants or revokes REPORTER_ROLE.
    ///      Emits {ProposalCreated}; on execution {ProposalExecuted} and {IAccessControl-RoleGranted}
    ///      or {IAccessControl-RoleRevoked}.
    /// @param reporter The reporter's signing address.
    /// @param add True to add, false to remove.
    /// @return id The proposal id.
    function proposeReporterChange(address reporter, bool add) external returns (uint256 id);

    /// @notice The number of accounts holding REPORTER_ROLE, and the index of the first of `accounts`
    ///         that does not hold it (`accounts.length` when all do). One call per oracle round.
    /// @dev Reads one storage slot per account: each reporter's packed word carries the set's size, kept
    ///      in step with REPORTER_ROLE by every grant and revocation.
    /// @param accounts The signers of a round.
    /// @return reporters The size of the reporter set.
    /// @return firstNonReporter Index into `accounts` of the first non-reporter, or `accounts.length`.
    function checkReporters(address[] calldata accounts)
        external
        view
        returns (uint256 reporters, uint256 firstNonReporter);

    /// @notice The number of accounts holding REPORTER_ROLE.
    function reporterCount() external view returns (uint256);

    /// @notice The number of accounts holding REGULATOR_ROLE (never below 1).
    function regulatorCount() external view returns (uint256);

    /// @notice The largest reporter set the registry accepts.
    function MAX_REPORTERS() external view returns (uint256);

    /// @notice The record of `account` (status None when unknown).
    function participant(address account) external view returns (Participant memory);

    /// @notice True when `account` is an active participant.
    function isActiveParticipant(address account) external view returns (bool);

    /// @notice True when `account` is an allowlisted settlement contract.
    function isSettlementContract(address account) external view returns (bool);

    /// @notice Whether `account` was never a settlement contract, is allowlisted, or was delisted.
    function settlementContractStatus(address account) external view returns (SettlementContractStatus);

    /// @notice True when `account` may receive settlement tokens: an active participant or an
    ///         allowlisted settlement contract. Freezes and pauses are enforced by each token.
    function isEligible(address account) external view returns (bool);

    /// @notice True when `account` may send settlement tokens: an active participant, or a settlement
    ///         contract that is or was allowlisted (a delisted escrow still pays out what it holds, so
    ///         funds locked in it are never stranded, while it can receive nothing more).
    function isEligibleSender(address account) external view returns (bool);

    /// @notice True when `currency` has been registered.
    function isCurrencyRegistered(bytes3 currency) external view returns (bool);

    /// @notice The AccessControl role that may mint and burn `currency`.
    function issuerRole(bytes3 currency) external pure returns (bytes32);

    /// @notice The role of the consortium operator.
    function OPERATOR_ROLE() external view returns (bytes32);

    /// @notice The role of the supervisory authority.
    function REGULATOR_ROLE() external view returns (bytes32);

    /// @notice The role of the FX oracle reporters.
    function REPORTER_ROLE() external view returns (bytes32);

    /// @notice The role whose holders sign the FX quotes that HTLC locks are bound to (administered by
    ///         OPERATOR_ROLE).
    function QUOTE_SIGNER_ROLE() external view returns (bytes32);

    /// @notice True when `account` holds `role` (from OpenZeppelin AccessControl).
    function hasRole(bytes32 role, address account) external view returns (bool);
}

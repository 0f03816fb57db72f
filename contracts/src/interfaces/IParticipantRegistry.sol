// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IParticipantRegistry
/// @notice Who may take part in Corridor: roles, participant records and the allowlist of
///         settlement contracts that may hold settlement tokens.
/// @dev Roles (OpenZeppelin AccessControl):
///      - OPERATOR_ROLE: onboards, suspends and offboards participants, registers currencies,
///        allowlists settlement contracts, grants the regulator and reporter roles. It never mints.
///      - issuerRole(currency): mints and burns that currency only. Each issuer role administers
///        itself, so after registration only the issuer can add or rotate its keys.
///      - REGULATOR_ROLE: reads everything, pauses currencies and freezes accounts; never moves funds.
///      - REPORTER_ROLE: signs FX observations for the oracle.
///      - A participant (bank) is an account with an Active record.
interface IParticipantRegistry {
    /// @notice Lifecycle of a participant record.
    enum Status {
        None,
        Active,
        Suspended
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
    ///      Emits {SettlementContractAllowlisted}.
    /// @param settlementContract The escrow contract.
    /// @param allowed True to add, false to remove.
    function setSettlementContract(address settlementContract, bool allowed) external;

    /// @notice The record of `account` (status None when unknown).
    function participant(address account) external view returns (Participant memory);

    /// @notice True when `account` is an active participant.
    function isActiveParticipant(address account) external view returns (bool);

    /// @notice True when `account` is an allowlisted settlement contract.
    function isSettlementContract(address account) external view returns (bool);

    /// @notice True when `account` may hold and move settlement tokens: an active participant or an
    ///         allowlisted settlement contract. Freezes and pauses are enforced by each token.
    function isEligible(address account) external view returns (bool);

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

    /// @notice The role of the quote service's signing keys (administered by the operator): the HTLC
    ///         escrow accepts a lock only with a quote signed by a holder.
    function QUOTE_SIGNER_ROLE() external view returns (bytes32);

    /// @notice True when `account` holds `role` (from OpenZeppelin AccessControl).
    function hasRole(bytes32 role, address account) external view returns (bool);
}

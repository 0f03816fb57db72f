// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IsoCodes} from "../libraries/IsoCodes.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title ParticipantRegistry
/// @notice The permissioning root of one Corridor ledger: roles, participant records and the
///         allowlist of settlement contracts. Tokens and escrows read it; it moves no funds.
contract ParticipantRegistry is IParticipantRegistry, AccessControl {
    using IsoCodes for bytes2;
    using IsoCodes for bytes3;
    using IsoCodes for bytes11;

    /// @inheritdoc IParticipantRegistry
    bytes32 public constant OPERATOR_ROLE = Roles.OPERATOR;
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant REGULATOR_ROLE = Roles.REGULATOR;
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant REPORTER_ROLE = Roles.REPORTER;
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant QUOTE_SIGNER_ROLE = Roles.QUOTE_SIGNER;

    mapping(address account => Participant) private _participants;
    mapping(address settlementContract => bool) private _settlementContracts;
    mapping(bytes3 currency => bool) private _currencies;

    /// @param operator The consortium operator's address. It administers the operator, regulator
    ///        and reporter roles; DEFAULT_ADMIN_ROLE is never granted.
    constructor(address operator) {
        if (operator == address(0)) revert RegistryZeroAddress();
        _setRoleAdmin(OPERATOR_ROLE, OPERATOR_ROLE);
        _setRoleAdmin(REGULATOR_ROLE, OPERATOR_ROLE);
        _setRoleAdmin(REPORTER_ROLE, OPERATOR_ROLE);
        _setRoleAdmin(QUOTE_SIGNER_ROLE, OPERATOR_ROLE);
        _grantRole(OPERATOR_ROLE, operator);
    }

    // ─── Participants ────────────────────────────────────────────────────────────────────

    /// @inheritdoc IParticipantRegistry
    function onboard(address account, bytes11 bic, bytes2 jurisdiction) external onlyRole(OPERATOR_ROLE) {
        if (account == address(0)) revert RegistryZeroAddress();
        if (_participants[account].status != Status.None) revert RegistryAlreadyOnboarded(account);
        if (!bic.isBic()) revert RegistryInvalidBic(bic);
        if (!jurisdiction.isCountry()) revert RegistryInvalidJurisdiction(jurisdiction);
        _participants[account] = Participant({status: Status.Active, bic: bic, jurisdiction: jurisdiction});
        emit ParticipantOnboarded(account, bic, jurisdiction);
    }

    /// @inheritdoc IParticipantRegistry
    function suspend(address account) external onlyRole(OPERATOR_ROLE) {
        _changeStatus(account, Status.Active, Status.Suspended);
    }

    /// @inheritdoc IParticipantRegistry
    function reinstate(address account) external onlyRole(OPERATOR_ROLE) {
        _changeStatus(account, Status.Suspended, Status.Active);
    }

    /// @inheritdoc IParticipantRegistry
    function offboard(address account) external onlyRole(OPERATOR_ROLE) {
        if (_participants[account].status == Status.None) revert RegistryUnknownParticipant(account);
        delete _participants[account];
        emit ParticipantOffboarded(account);
    }

    // ─── Currencies and settlement contracts ─────────────────────────────────────────────

    /// @inheritdoc IParticipantRegistry
    function registerCurrency(bytes3 currency, address issuer) external onlyRole(OPERATOR_ROLE) {
        if (!currency.isCurrency()) revert RegistryInvalidCurrency(currency);
        if (_currencies[currency]) revert RegistryCurrencyAlreadyRegistered(currency);
        if (issuer == address(0)) revert RegistryZeroAddress();
        _currencies[currency] = true;
        bytes32 role = issuerRole(currency);
        // The issuer role administers itself: the operator can register a currency once but
        // can never mint, nor hand minting rights to anybody afterwards.
        _setRoleAdmin(role, role);
        _grantRole(role, issuer);
        emit CurrencyRegistered(currency, issuer);
    }

    /// @inheritdoc IParticipantRegistry
    function setSettlementContract(address settlementContract, bool allowed) external onlyRole(OPERATOR_ROLE) {
        if (allowed && settlementContract.code.length == 0) revert RegistryNotAContract(settlementContract);
        if (_settlementContracts[settlementContract] == allowed) {
            revert RegistrySettlementContractUnchanged(settlementContract, allowed);
        }
        _settlementContracts[settlementContract] = allowed;
        emit SettlementContractAllowlisted(settlementContract, allowed);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IParticipantRegistry
    function participant(address account) external view returns (Participant memory) {
        return _participants[account];
    }

    /// @inheritdoc IParticipantRegistry
    function isActiveParticipant(address account) external view returns (bool) {
        return _participants[account].status == Status.Active;
    }

    /// @inheritdoc IParticipantRegistry
    function isSettlementContract(address account) external view returns (bool) {
        return _settlementContracts[account];
    }

    /// @inheritdoc IParticipantRegistry
    function isEligible(address account) external view returns (bool) {
        return _participants[account].status == Status.Active || _settlementContracts[account];
    }

    /// @inheritdoc IParticipantRegistry
    function isCurrencyRegistered(bytes3 currency) external view returns (bool) {
        return _currencies[currency];
    }

    /// @inheritdoc IParticipantRegistry
    function issuerRole(bytes3 currency) public pure returns (bytes32) {
        return keccak256(abi.encode("ISSUER_ROLE", currency));
    }

    /// @inheritdoc IParticipantRegistry
    function hasRole(bytes32 role, address account)
        public
        view
        override(AccessControl, IParticipantRegistry)
        returns (bool)
    {
        return super.hasRole(role, account);
    }

    function _changeStatus(address account, Status from, Status to) private {
        Status current = _participants[account].status;
        if (current == Status.None) revert RegistryUnknownParticipant(account);
        if (current != from) revert RegistryInvalidStatus(account, current);
        _participants[account].status = to;
        emit ParticipantStatusChanged(account, from, to);
    }
}

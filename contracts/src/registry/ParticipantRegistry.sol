// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {DelayedGovernance} from "../governance/DelayedGovernance.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IsoCodes} from "../libraries/IsoCodes.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title ParticipantRegistry
/// @notice The permissioning root of one Corridor ledger: roles, participant records and the
///         allowlist of settlement contracts, and the FX oracle's reporter set (changed only by
///         delayed, vetoable proposals). Tokens, escrows and the oracle read it; it moves no funds.
contract ParticipantRegistry is IParticipantRegistry, AccessControl, DelayedGovernance {
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
    /// @inheritdoc IParticipantRegistry
    uint256 public constant MAX_REPORTERS = 32;

    mapping(address account => Participant) private _participants;
    mapping(address settlementContract => SettlementContractStatus) private _settlementContracts;
    mapping(bytes3 currency => bool) private _currencies;
    // Both counts in one slot; kept by the _grantRole / _revokeRole overrides, the only paths that change roles.
    uint128 private _reporterCount;
    uint128 private _regulatorCount;
    /// @dev The reporter set packed for the oracle's round check: each holder of REPORTER_ROLE has the word
    ///      `count << 8 | 1` (count = the set's size), everyone else zero. Rewritten for every reporter when
    ///      the set changes (the same two overrides), so {checkReporters} reads one slot per signer and no
    ///      separate count.
    mapping(address reporter => uint256 word) private _reporterWords;
    /// @dev The holders of REPORTER_ROLE (at most MAX_REPORTERS), to rewrite their words.
    address[] private _reporterList;

    /// @param operator The consortium operator's address; OPERATOR_ROLE administers itself.
    /// @param regulator The first regulator; REGULATOR_ROLE administers itself. Must differ from `operator`.
    /// @param reporters The initial oracle reporter set (distinct, non-zero, at most MAX_REPORTERS).
    ///        REPORTER_ROLE's admin is DEFAULT_ADMIN_ROLE, which is never granted: after deployment the
    ///        set changes only through {proposeReporterChange}.
    /// @param governanceDelay Seconds a reporter-set proposal waits for the regulator's veto, in
    ///        [MIN_GOVERNANCE_DELAY, MAX_GOVERNANCE_DELAY].
    constructor(address operator, address regulator, address[] memory reporters, uint256 governanceDelay)
        DelayedGovernance(governanceDelay)
    {
        if (operator == address(0) || regulator == address(0)) revert RegistryZeroAddress();
        _setRoleAdmin(OPERATOR_ROLE, OPERATOR_ROLE);
        _setRoleAdmin(REGULATOR_ROLE, REGULATOR_ROLE);
        _setRoleAdmin(QUOTE_SIGNER_ROLE, OPERATOR_ROLE);
        _grantRole(OPERATOR_ROLE, operator);
        _grantRole(REGULATOR_ROLE, regulator); // reverts RegistryConflictingRoles when regulator == operator
        for (uint256 i; i < reporters.length; ++i) {
            _addReporter(reporters[i]);
        }
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
        bool allowlisted = _settlementContracts[settlementContract] == SettlementContractStatus.Allowlisted;
        if (allowlisted == allowed) revert RegistrySettlementContractUnchanged(settlementContract, allowed);
        // Delisting keeps the contract able to pay out what it holds (claims, refunds, reclaims), so
        // funds locked in it are never stranded; it can receive nothing more.
        _settlementContracts[settlementContract] =
            allowed ? SettlementContractStatus.Allowlisted : SettlementContractStatus.Delisted;
        emit SettlementContractAllowlisted(settlementContract, allowed);
    }

    // ─── Reporter set (delayed, vetoable) ────────────────────────────────────────────────

    /// @inheritdoc IParticipantRegistry
    function proposeReporterChange(address reporter, bool add) external onlyProposer returns (uint256 id) {
        if (add) _checkCanAdd(reporter);
        else _checkCanRemove(reporter);
        return _propose(add ? GovernanceAction.AddReporter : GovernanceAction.RemoveReporter, uint160(reporter));
    }

    /// @inheritdoc IParticipantRegistry
    function checkReporters(address[] calldata accounts)
        external
        view
        returns (uint256 reporters, uint256 firstNonReporter)
    {
        uint256 n = accounts.length;
        if (n == 0) return (_reporterCount, 0);
        uint256 word = 0;
        for (uint256 i; i < n; ++i) {
            word = _reporterWords[accounts[i]];
            if (word == 0) return (_reporterCount, i);
        }
        return (word >> 8, n);
    }

    /// @inheritdoc IParticipantRegistry
    function reporterCount() external view returns (uint256) {
        return _reporterCount;
    }

    /// @inheritdoc IParticipantRegistry
    function regulatorCount() external view returns (uint256) {
        return _regulatorCount;
    }

    function _checkCanAdd(address reporter) private view {
        if (reporter == address(0)) revert RegistryZeroAddress();
        if (hasRole(REPORTER_ROLE, reporter)) revert RegistryAlreadyReporter(reporter);
        if (_reporterCount >= MAX_REPORTERS) revert RegistryTooManyReporters(MAX_REPORTERS);
    }

    function _checkCanRemove(address reporter) private view {
        if (!hasRole(REPORTER_ROLE, reporter)) revert RegistryNotReporter(reporter);
    }

    function _addReporter(address reporter) private {
        _checkCanAdd(reporter);
        _grantRole(REPORTER_ROLE, reporter);
    }

    /// @dev The operator proposes.
    function _checkProposer(address account) internal view override {
        _checkRole(OPERATOR_ROLE, account);
    }

    /// @dev The regulator vetoes.
    function _checkVetoer(address account) internal view override {
        _checkRole(REGULATOR_ROLE, account);
    }

    /// @dev Grants or revokes REPORTER_ROLE, after checking the change still applies.
    function _applyProposal(GovernanceAction action, uint160 subject) internal override {
        address reporter = address(subject);
        if (action == GovernanceAction.AddReporter) {
            _addReporter(reporter);
        } else {
            _checkCanRemove(reporter);
            _revokeRole(REPORTER_ROLE, reporter);
        }
    }

    // ─── Role policy (one override each for grant and revoke) ────────────────────────────

    /// @dev Every grant passes here (constructor, grantRole, executed proposals): refuses to make an
    ///      account both operator and regulator, and counts reporters and regulators.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        bytes32 conflicting = bytes32(0);
        if (role == OPERATOR_ROLE) conflicting = REGULATOR_ROLE;
        else if (role == REGULATOR_ROLE) conflicting = OPERATOR_ROLE;
        if (conflicting != bytes32(0) && hasRole(conflicting, account)) {
            revert RegistryConflictingRoles(account, role, conflicting);
        }
        granted = super._grantRole(role, account);
        if (granted) {
            if (role == REPORTER_ROLE) {
                ++_reporterCount;
                _reporterList.push(account);
                _writeReporterWords();
                _markChanged(_scopeOf(GovernanceAction.AddReporter, uint160(account)));
            } else if (role == REGULATOR_ROLE) {
                ++_regulatorCount;
            }
        }
    }

    /// @dev Every revocation passes here (revokeRole, renounceRole, executed proposals): keeps the
    ///      counts true and refuses to remove the last regulator.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked) {
            if (role == REPORTER_ROLE) {
                --_reporterCount;
                _dropReporter(account);
                _markChanged(_scopeOf(GovernanceAction.RemoveReporter, uint160(account)));
            } else if (role == REGULATOR_ROLE) {
                if (_regulatorCount == 1) revert RegistryLastRegulator(account);
                --_regulatorCount;
            }
        }
    }

    /// @dev Takes `reporter` out of the list (order is not kept) and clears its word.
    function _dropReporter(address reporter) private {
        uint256 last = _reporterList.length - 1;
        for (uint256 i; i < last; ++i) {
            if (_reporterList[i] == reporter) {
                _reporterList[i] = _reporterList[last];
                break;
            }
        }
        _reporterList.pop();
        delete _reporterWords[reporter];
        _writeReporterWords();
    }

    /// @dev Gives every reporter the word `count << 8 | 1`.
    function _writeReporterWords() private {
        uint256 count = _reporterList.length;
        uint256 word = (count << 8) | 1;
        for (uint256 i; i < count; ++i) {
            _reporterWords[_reporterList[i]] = word;
        }
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
        return _settlementContracts[account] == SettlementContractStatus.Allowlisted;
    }

    /// @inheritdoc IParticipantRegistry
    function settlementContractStatus(address account) external view returns (SettlementContractStatus) {
        return _settlementContracts[account];
    }

    /// @inheritdoc IParticipantRegistry
    function isEligibleSender(address account) external view returns (bool) {
        return _participants[account].status == Status.Active
            || _settlementContracts[account] != SettlementContractStatus.None;
    }

    /// @inheritdoc IParticipantRegistry
    function isEligible(address account) external view returns (bool) {
        return _participants[account].status == Status.Active
            || _settlementContracts[account] == SettlementContractStatus.Allowlisted;
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

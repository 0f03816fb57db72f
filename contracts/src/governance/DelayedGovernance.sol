// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IDelayedGovernance} from "../interfaces/IDelayedGovernance.sol";

/// @title DelayedGovernance
/// @notice The propose / veto / execute mechanism of {IDelayedGovernance}, shared by the
///         ParticipantRegistry (reporter set) and the FxOracle (quorum). The inheriting contract says
///         who proposes and who vetoes, and applies an executed change.
abstract contract DelayedGovernance is IDelayedGovernance {
    /// @notice The shortest delay a deployment may choose: one day, so the regulator can react.
    uint256 public constant MIN_GOVERNANCE_DELAY = 1 days;
    /// @notice The longest delay a deployment may choose.
    uint256 public constant MAX_GOVERNANCE_DELAY = 30 days;

    /// @inheritdoc IDelayedGovernance
    uint256 public immutable governanceDelay;

    uint256 private _proposalCount;
    mapping(uint256 id => Proposal) private _proposals;

    /// @param delay Seconds between a proposal and its earliest execution, in
    ///        [MIN_GOVERNANCE_DELAY, MAX_GOVERNANCE_DELAY].
    constructor(uint256 delay) {
        if (delay < MIN_GOVERNANCE_DELAY || delay > MAX_GOVERNANCE_DELAY) {
            revert GovernanceDelayOutOfRange(delay, MIN_GOVERNANCE_DELAY, MAX_GOVERNANCE_DELAY);
        }
        governanceDelay = delay;
    }

    /// @dev Guards every `propose*` entry point, before the change itself is checked.
    modifier onlyProposer() {
        _checkProposer(msg.sender);
        _;
    }

    /// @inheritdoc IDelayedGovernance
    function veto(uint256 id) external {
        _checkVetoer(msg.sender);
        Proposal storage pending = _pendingProposal(id);
        pending.status = ProposalStatus.Vetoed;
        emit ProposalVetoed(id, msg.sender);
    }

    /// @inheritdoc IDelayedGovernance
    function execute(uint256 id) external {
        Proposal storage pending = _pendingProposal(id);
        uint256 executableAt = pending.executableAt;
        if (block.timestamp < executableAt) revert GovernanceTooEarly(id, executableAt);
        // Marked before the change is applied: a change that reverts leaves the proposal pending.
        pending.status = ProposalStatus.Executed;
        emit ProposalExecuted(id, msg.sender);
        _applyProposal(pending.action, pending.subject);
    }

    /// @inheritdoc IDelayedGovernance
    function proposal(uint256 id) external view returns (Proposal memory) {
        return _proposals[id];
    }

    /// @inheritdoc IDelayedGovernance
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @dev Records a proposal by `msg.sender`. Only for entry points guarded by {onlyProposer} that have
    ///      checked the change applies now.
    function _propose(GovernanceAction action, uint160 subject) internal returns (uint256 id) {
        id = ++_proposalCount;
        uint64 executableAt = uint64(block.timestamp + governanceDelay);
        _proposals[id] =
            Proposal({action: action, status: ProposalStatus.Pending, executableAt: executableAt, subject: subject});
        emit ProposalCreated(id, action, subject, executableAt, msg.sender);
    }

    function _pendingProposal(uint256 id) private view returns (Proposal storage pending) {
        pending = _proposals[id];
        ProposalStatus status = pending.status;
        if (status == ProposalStatus.None) revert GovernanceUnknownProposal(id);
        if (status != ProposalStatus.Pending) revert GovernanceProposalNotPending(id, status);
    }

    /// @dev Reverts unless `account` may propose (the operator).
    function _checkProposer(address account) internal view virtual;

    /// @dev Reverts unless `account` may veto (the regulator).
    function _checkVetoer(address account) internal view virtual;

    /// @dev Applies an executed proposal, checking again that it still applies.
    function _applyProposal(GovernanceAction action, uint160 subject) internal virtual;
}

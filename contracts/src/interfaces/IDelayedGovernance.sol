// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IDelayedGovernance
/// @notice Changes that must not be made by one party alone take effect only through a delayed,
///         vetoable proposal: the operator proposes, the regulator may veto while the proposal is
///         pending, and anyone executes it once the delay has passed.
/// @dev Timeline of one proposal (`delay` = {governanceDelay}, fixed at deployment):
///
///        propose            executableAt = proposedAt + delay
///           │──────── veto open ─────────┼──────── veto open, execute open ────────▶
///           │     (execute refused)      │  (whichever comes first ends it)
///
///      A proposal is checked when it is made and again when it is executed (the state may have
///      changed in between, e.g. a second proposal for the same reporter): an execution whose change no
///      longer applies reverts and the proposal stays pending until the regulator vetoes it. Proposals
///      do not expire. Ids count up from 1 in each contract.
interface IDelayedGovernance {
    /// @notice What a proposal changes. `subject` is the reporter's address for reporter changes and
    ///         the new quorum for {SetQuorum}.
    enum GovernanceAction {
        None,
        AddReporter,
        RemoveReporter,
        SetQuorum
    }

    /// @notice Lifecycle of a proposal.
    enum ProposalStatus {
        None,
        Pending,
        Vetoed,
        Executed
    }

    /// @notice One proposal, packed in one slot.
    /// @param action The change.
    /// @param status Where it stands.
    /// @param executableAt The earliest time {execute} accepts it.
    /// @param subject The reporter address or the quorum, by `action`.
    struct Proposal {
        GovernanceAction action;
        ProposalStatus status;
        uint64 executableAt;
        uint160 subject;
    }

    /// @notice Thrown at deployment when the delay is outside [min, max].
    error GovernanceDelayOutOfRange(uint256 delay, uint256 min, uint256 max);
    /// @notice Thrown when a proposal id was never issued.
    error GovernanceUnknownProposal(uint256 id);
    /// @notice Thrown when vetoing or executing a proposal that was already vetoed or executed.
    error GovernanceProposalNotPending(uint256 id, ProposalStatus status);
    /// @notice Thrown when executing a proposal before its delay has passed.
    error GovernanceTooEarly(uint256 id, uint256 executableAt);

    /// @notice Emitted when the operator proposes a change.
    event ProposalCreated(
        uint256 indexed id, GovernanceAction action, uint160 subject, uint64 executableAt, address indexed proposer
    );
    /// @notice Emitted when the regulator vetoes a pending proposal.
    event ProposalVetoed(uint256 indexed id, address indexed by);
    /// @notice Emitted when a proposal is executed (the change's own event follows).
    event ProposalExecuted(uint256 indexed id, address indexed by);

    /// @notice Vetoes a pending proposal, at any time before it is executed.
    /// @dev Requirements: caller holds REGULATOR_ROLE; the proposal is pending. Emits {ProposalVetoed}.
    /// @param id The proposal.
    function veto(uint256 id) external;

    /// @notice Executes a pending proposal whose delay has passed. Open to anyone.
    /// @dev Requirements: the proposal is pending; `block.timestamp >= executableAt`; the change still
    ///      applies (the contract's own checks, e.g. the account is not already a reporter).
    ///      Emits {ProposalExecuted} and the change's own event.
    /// @param id The proposal.
    function execute(uint256 id) external;

    /// @notice A proposal (status None when the id was never issued).
    function proposal(uint256 id) external view returns (Proposal memory);

    /// @notice The number of proposals made so far (the last id issued).
    function proposalCount() external view returns (uint256);

    /// @notice Seconds between a proposal and the earliest time it can be executed.
    function governanceDelay() external view returns (uint256);
}

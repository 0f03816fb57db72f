// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IDelayedGovernance} from "../../src/interfaces/IDelayedGovernance.sol";
import {IParticipantRegistry} from "../../src/interfaces/IParticipantRegistry.sol";
import {ParticipantRegistry} from "../../src/registry/ParticipantRegistry.sol";
import {BaseTest} from "../utils/BaseTest.sol";

contract ParticipantRegistryTest is BaseTest {
    address internal newBank = makeAddr("newBank");

    // ─── constructor ──────────────────────────────────────────────────────────────────────

    function test_constructor_GrantsOperatorRegulatorAndReporters() external view {
        assertTrue(registry.hasRole(registry.OPERATOR_ROLE(), operator));
        assertTrue(registry.hasRole(registry.REGULATOR_ROLE(), regulator));
        for (uint256 i; i < INITIAL_REPORTERS; ++i) {
            assertTrue(registry.hasRole(registry.REPORTER_ROLE(), reporters[i]));
        }
        assertFalse(registry.hasRole(registry.REPORTER_ROLE(), reporters[4]));
        assertEq(registry.reporterCount(), INITIAL_REPORTERS);
        assertEq(registry.regulatorCount(), 1);
        assertEq(registry.governanceDelay(), GOVERNANCE_DELAY);
        assertFalse(registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), operator));
        assertFalse(registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), regulator));
    }

    function test_constructor_RoleAdmins() external view {
        assertEq(registry.getRoleAdmin(registry.OPERATOR_ROLE()), registry.OPERATOR_ROLE());
        assertEq(registry.getRoleAdmin(registry.REGULATOR_ROLE()), registry.REGULATOR_ROLE());
        assertEq(registry.getRoleAdmin(registry.QUOTE_SIGNER_ROLE()), registry.OPERATOR_ROLE());
        assertEq(registry.QUOTE_SIGNER_ROLE(), keccak256("QUOTE_SIGNER_ROLE"));
        // nobody holds (or can obtain) DEFAULT_ADMIN_ROLE: reporters change only by executed proposals
        assertEq(registry.getRoleAdmin(registry.REPORTER_ROLE()), registry.DEFAULT_ADMIN_ROLE());
    }

    function test_constructor_RevertWhen_ZeroOperatorOrRegulator() external {
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        new ParticipantRegistry(address(0), regulator, new address[](0), GOVERNANCE_DELAY);
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        new ParticipantRegistry(operator, address(0), new address[](0), GOVERNANCE_DELAY);
    }

    function test_constructor_RevertWhen_OperatorIsRegulator() external {
        bytes32 regulatorRole = registry.REGULATOR_ROLE();
        bytes32 operatorRole = registry.OPERATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.RegistryConflictingRoles.selector, operator, regulatorRole, operatorRole
            )
        );
        new ParticipantRegistry(operator, operator, new address[](0), GOVERNANCE_DELAY);
    }

    function test_constructor_RevertWhen_ReportersMalformed() external {
        address[] memory twice = new address[](2);
        (twice[0], twice[1]) = (reporters[0], reporters[0]);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryAlreadyReporter.selector, reporters[0]));
        new ParticipantRegistry(operator, regulator, twice, GOVERNANCE_DELAY);
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        new ParticipantRegistry(operator, regulator, new address[](1), GOVERNANCE_DELAY);
        address[] memory many = new address[](33);
        for (uint256 i; i < many.length; ++i) {
            many[i] = address(uint160(0x1000 + i));
        }
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryTooManyReporters.selector, 32));
        new ParticipantRegistry(operator, regulator, many, GOVERNANCE_DELAY);
    }

    function test_constructor_RevertWhen_DelayOutOfRange() external {
        vm.expectRevert(
            abi.encodeWithSelector(IDelayedGovernance.GovernanceDelayOutOfRange.selector, 1 days - 1, 1 days, 30 days)
        );
        new ParticipantRegistry(operator, regulator, new address[](0), 1 days - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IDelayedGovernance.GovernanceDelayOutOfRange.selector, 30 days + 1, 1 days, 30 days)
        );
        new ParticipantRegistry(operator, regulator, new address[](0), 30 days + 1);
    }

    // ─── onboard ─────────────────────────────────────────────────────────────────────────

    function test_onboard_StoresActiveRecord() external {
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.ParticipantOnboarded(newBank, "DBSSSGSGXXX", "SG");
        vm.prank(operator);
        registry.onboard(newBank, "DBSSSGSGXXX", "SG");
        IParticipantRegistry.Participant memory p = registry.participant(newBank);
        assertEq(uint8(p.status), uint8(IParticipantRegistry.Status.Active));
        assertEq(p.bic, bytes11("DBSSSGSGXXX"));
        assertEq(p.jurisdiction, bytes2("SG"));
        assertTrue(registry.isActiveParticipant(newBank));
        assertTrue(registry.isEligible(newBank));
    }

    function test_onboard_RevertWhen_CallerNotOperator() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, regulator, registry.OPERATOR_ROLE()
            )
        );
        vm.prank(regulator);
        registry.onboard(newBank, "DBSSSGSG", "SG");
    }

    function test_onboard_RevertWhen_ZeroAddress() external {
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        vm.prank(operator);
        registry.onboard(address(0), "DBSSSGSG", "SG");
    }

    function test_onboard_RevertWhen_AlreadyOnboarded() external {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryAlreadyOnboarded.selector, alice));
        vm.prank(operator);
        registry.onboard(alice, "DBSSSGSG", "SG");
    }

    function test_onboard_RevertWhen_BicMalformed() external {
        bytes11[4] memory bad = [bytes11("dbsssgsg"), bytes11("DBSSSG"), bytes11("DBSSSGSGX"), bytes11("DBSS-GSG")];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryInvalidBic.selector, bad[i]));
            vm.prank(operator);
            registry.onboard(newBank, bad[i], "SG");
        }
    }

    function test_onboard_RevertWhen_JurisdictionMalformed() external {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryInvalidJurisdiction.selector, bytes2("s1")));
        vm.prank(operator);
        registry.onboard(newBank, "DBSSSGSG", "s1");
    }

    // ─── suspend / reinstate / offboard ──────────────────────────────────────────────────

    function test_suspend_MakesIneligible() external {
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.ParticipantStatusChanged(
            alice, IParticipantRegistry.Status.Active, IParticipantRegistry.Status.Suspended
        );
        vm.prank(operator);
        registry.suspend(alice);
        assertFalse(registry.isEligible(alice));
        assertFalse(registry.isActiveParticipant(alice));
    }

    function test_suspend_RevertWhen_AlreadySuspended() external {
        vm.startPrank(operator);
        registry.suspend(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.RegistryInvalidStatus.selector, alice, IParticipantRegistry.Status.Suspended
            )
        );
        registry.suspend(alice);
        vm.stopPrank();
    }

    function test_suspend_RevertWhen_Unknown() external {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryUnknownParticipant.selector, outsider));
        vm.prank(operator);
        registry.suspend(outsider);
    }

    function test_suspend_RevertWhen_CallerNotOperator() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, alice, registry.OPERATOR_ROLE()
            )
        );
        vm.prank(alice);
        registry.suspend(bob);
    }

    function test_reinstate_RestoresEligibility() external {
        vm.startPrank(operator);
        registry.suspend(alice);
        registry.reinstate(alice);
        vm.stopPrank();
        assertTrue(registry.isEligible(alice));
    }

    function test_reinstate_RevertWhen_Active() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.RegistryInvalidStatus.selector, alice, IParticipantRegistry.Status.Active
            )
        );
        vm.prank(operator);
        registry.reinstate(alice);
    }

    function test_offboard_DeletesRecord() external {
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.ParticipantOffboarded(alice);
        vm.prank(operator);
        registry.offboard(alice);
        assertEq(uint8(registry.participant(alice).status), uint8(IParticipantRegistry.Status.None));
        assertFalse(registry.isEligible(alice));
    }

    function test_offboard_RevertWhen_Unknown() external {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryUnknownParticipant.selector, outsider));
        vm.prank(operator);
        registry.offboard(outsider);
    }

    // ─── currencies ──────────────────────────────────────────────────────────────────────

    function test_registerCurrency_IssuerRoleAdministersItself() external {
        address mas = makeAddr("mas");
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.CurrencyRegistered("SGD", mas);
        vm.prank(operator);
        registry.registerCurrency("SGD", mas);
        bytes32 role = registry.issuerRole("SGD");
        assertTrue(registry.hasRole(role, mas));
        assertTrue(registry.isCurrencyRegistered("SGD"));
        assertEq(registry.getRoleAdmin(role), role);
    }

    function test_registerCurrency_OperatorCannotGrantIssuerRoleAfterwards() external {
        bytes32 role = registry.issuerRole("CNY");
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, operator, role)
        );
        vm.prank(operator);
        registry.grantRole(role, operator);
    }

    function test_registerCurrency_IssuerCanRotateItsKey() external {
        bytes32 role = registry.issuerRole("CNY");
        address newKey = makeAddr("pbocNewKey");
        vm.startPrank(pboc);
        registry.grantRole(role, newKey);
        registry.renounceRole(role, pboc);
        vm.stopPrank();
        assertTrue(registry.hasRole(role, newKey));
        assertFalse(registry.hasRole(role, pboc));
    }

    function test_registerCurrency_RevertWhen_Twice() external {
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.RegistryCurrencyAlreadyRegistered.selector, bytes3("CNY"))
        );
        vm.prank(operator);
        registry.registerCurrency("CNY", outsider);
    }

    function test_registerCurrency_RevertWhen_CodeMalformed() external {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryInvalidCurrency.selector, bytes3("cn1")));
        vm.prank(operator);
        registry.registerCurrency("cn1", outsider);
    }

    function test_registerCurrency_RevertWhen_ZeroIssuer() external {
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        vm.prank(operator);
        registry.registerCurrency("SGD", address(0));
    }

    function test_registerCurrency_RevertWhen_CallerNotOperator() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, regulator, registry.OPERATOR_ROLE()
            )
        );
        vm.prank(regulator);
        registry.registerCurrency("SGD", regulator);
    }

    // ─── settlement contracts ────────────────────────────────────────────────────────────

    function test_setSettlementContract_AllowsAndRemoves() external {
        address escrow = address(cny); // any address with code
        vm.startPrank(operator);
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.SettlementContractAllowlisted(escrow, true);
        registry.setSettlementContract(escrow, true);
        assertTrue(registry.isSettlementContract(escrow));
        assertTrue(registry.isEligible(escrow));
        registry.setSettlementContract(escrow, false);
        vm.stopPrank();
        assertFalse(registry.isEligible(escrow));
    }

    function test_setSettlementContract_RevertWhen_NoCode() external {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryNotAContract.selector, outsider));
        vm.prank(operator);
        registry.setSettlementContract(outsider, true);
    }

    function test_setSettlementContract_RevertWhen_Unchanged() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.RegistrySettlementContractUnchanged.selector, address(cny), false
            )
        );
        vm.prank(operator);
        registry.setSettlementContract(address(cny), false);
    }

    // ─── separation of duties (finding Medium: the operator overrode the regulator) ──────

    /// @dev Regression: today the operator administers REGULATOR_ROLE and grants it to itself.
    function test_grantRole_OperatorCannotGrantItselfRegulator() external {
        bytes32 role = registry.REGULATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, operator, role)
        );
        vm.prank(operator);
        registry.grantRole(role, operator);
    }

    /// @dev Regression: today the operator revokes the real regulator (and then lifts its freezes).
    function test_revokeRole_OperatorCannotRevokeRegulator() external {
        bytes32 role = registry.REGULATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, operator, role)
        );
        vm.prank(operator);
        registry.revokeRole(role, regulator);
        assertTrue(registry.hasRole(role, regulator));
    }

    function test_grantRole_RevertWhen_OperatorMadeRegulator() external {
        address deputy = makeAddr("deputy");
        bytes32 operatorRole = registry.OPERATOR_ROLE();
        bytes32 regulatorRole = registry.REGULATOR_ROLE();
        vm.prank(operator);
        registry.grantRole(operatorRole, deputy);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.RegistryConflictingRoles.selector, deputy, regulatorRole, operatorRole
            )
        );
        vm.prank(regulator);
        registry.grantRole(regulatorRole, deputy);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.RegistryConflictingRoles.selector, operator, regulatorRole, operatorRole
            )
        );
        vm.prank(regulator);
        registry.grantRole(regulatorRole, operator);
    }

    function test_grantRole_RevertWhen_RegulatorMadeOperator() external {
        bytes32 operatorRole = registry.OPERATOR_ROLE();
        bytes32 regulatorRole = registry.REGULATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.RegistryConflictingRoles.selector, regulator, operatorRole, regulatorRole
            )
        );
        vm.prank(operator);
        registry.grantRole(operatorRole, regulator);
    }

    function test_grantRole_RegulatorRotatesItsOwnRole() external {
        address successor = makeAddr("successor");
        bytes32 role = registry.REGULATOR_ROLE();
        vm.startPrank(regulator);
        registry.grantRole(role, successor);
        registry.renounceRole(role, regulator);
        vm.stopPrank();
        assertTrue(registry.hasRole(role, successor));
        assertFalse(registry.hasRole(role, regulator));
        assertEq(registry.regulatorCount(), 1);
    }

    function test_revokeRole_RevertWhen_LastRegulator() external {
        bytes32 role = registry.REGULATOR_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryLastRegulator.selector, regulator));
        vm.prank(regulator);
        registry.renounceRole(role, regulator);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryLastRegulator.selector, regulator));
        vm.prank(regulator);
        registry.revokeRole(role, regulator);
    }

    /// @dev Regression: today the operator grants and revokes reporters directly, with no delay and no veto.
    function test_grantRole_RevertWhen_ReporterGrantedOrRevokedDirectly() external {
        bytes32 role = registry.REPORTER_ROLE();
        address[2] memory callers = [operator, regulator];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], bytes32(0))
            );
            vm.prank(callers[i]);
            registry.grantRole(role, outsider);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], bytes32(0))
            );
            vm.prank(callers[i]);
            registry.revokeRole(role, reporters[0]);
        }
    }

    function test_regulatorCannotGrantOperatorRole() external {
        bytes32 role = registry.OPERATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, regulator, role)
        );
        vm.prank(regulator);
        registry.grantRole(role, outsider);
    }

    function test_quoteSigner_OperatorGrantsAndRevokes() external {
        address signer = makeAddr("quoteSigner");
        bytes32 role = registry.QUOTE_SIGNER_ROLE();
        vm.startPrank(operator);
        registry.grantRole(role, signer);
        assertTrue(registry.hasRole(role, signer));
        registry.revokeRole(role, signer);
        vm.stopPrank();
        assertFalse(registry.hasRole(role, signer));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, regulator, registry.OPERATOR_ROLE()
            )
        );
        vm.prank(regulator);
        registry.grantRole(role, signer);
    }

    // ─── reporter set: delayed, vetoable proposals ───────────────────────────────────────

    function test_proposeReporterChange_AddsAfterDelay() external {
        address newReporter = reporters[4];
        uint64 executableAt = uint64(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        vm.expectEmit(address(registry));
        emit IDelayedGovernance.ProposalCreated(
            1, IDelayedGovernance.GovernanceAction.AddReporter, uint160(newReporter), executableAt, operator
        );
        vm.prank(operator);
        uint256 id = registry.proposeReporterChange(newReporter, true);
        assertFalse(registry.hasRole(registry.REPORTER_ROLE(), newReporter), "not before execution");
        IDelayedGovernance.Proposal memory proposed = registry.proposal(id);
        assertEq(uint8(proposed.status), uint8(IDelayedGovernance.ProposalStatus.Pending));
        assertEq(proposed.executableAt, executableAt);

        vm.warp(executableAt);
        vm.expectEmit(address(registry));
        emit IDelayedGovernance.ProposalExecuted(id, outsider);
        vm.expectEmit(address(registry));
        emit IAccessControl.RoleGranted(registry.REPORTER_ROLE(), newReporter, outsider);
        vm.prank(outsider);
        registry.execute(id);
        assertTrue(registry.hasRole(registry.REPORTER_ROLE(), newReporter));
        assertEq(registry.reporterCount(), INITIAL_REPORTERS + 1);
        assertEq(uint8(registry.proposal(id).status), uint8(IDelayedGovernance.ProposalStatus.Executed));
    }

    function test_proposeReporterChange_RemovesAfterDelay() external {
        _changeReporter(reporters[0], false);
        assertFalse(registry.hasRole(registry.REPORTER_ROLE(), reporters[0]));
        assertEq(registry.reporterCount(), INITIAL_REPORTERS - 1);
    }

    function test_execute_RevertWhen_BeforeDelay() external {
        vm.prank(operator);
        uint256 id = registry.proposeReporterChange(reporters[4], true);
        uint256 executableAt = vm.getBlockTimestamp() + GOVERNANCE_DELAY;
        vm.warp(executableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IDelayedGovernance.GovernanceTooEarly.selector, id, executableAt));
        registry.execute(id);
    }

    function test_proposeReporterChange_RevertWhen_CallerNotOperator() external {
        address[3] memory callers = [regulator, reporters[0], outsider];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], registry.OPERATOR_ROLE()
                )
            );
            vm.prank(callers[i]);
            registry.proposeReporterChange(outsider, true);
        }
    }

    function test_proposeReporterChange_RevertWhen_ChangeDoesNotApply() external {
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryAlreadyReporter.selector, reporters[0]));
        registry.proposeReporterChange(reporters[0], true);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryNotReporter.selector, outsider));
        registry.proposeReporterChange(outsider, false);
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        registry.proposeReporterChange(address(0), true);
        vm.stopPrank();
    }

    function test_proposeReporterChange_RevertWhen_SetFull() external {
        for (uint256 i = INITIAL_REPORTERS; i < 32; ++i) {
            vm.prank(operator);
            uint256 id = registry.proposeReporterChange(address(uint160(0x1000 + i)), true);
            vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
            registry.execute(id);
        }
        assertEq(registry.reporterCount(), 32);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryTooManyReporters.selector, 32));
        vm.prank(operator);
        registry.proposeReporterChange(outsider, true);
    }

    /// @dev Both proposals were valid when made; the second no longer applies when executed.
    function test_execute_RevertWhen_ChangeNoLongerApplies() external {
        vm.startPrank(operator);
        uint256 first = registry.proposeReporterChange(reporters[4], true);
        uint256 second = registry.proposeReporterChange(reporters[4], true);
        vm.stopPrank();
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        uint256 proposedAt = vm.getBlockTimestamp() - GOVERNANCE_DELAY;
        registry.execute(first);
        // The subject changed after the duplicate was proposed: it is stale and can never execute, even
        // after the reporter is removed again (it would re-add it with no delay and no veto window).
        vm.expectRevert(
            abi.encodeWithSelector(
                IDelayedGovernance.GovernanceProposalStale.selector, second, proposedAt, vm.getBlockTimestamp()
            )
        );
        registry.execute(second);
        assertEq(uint8(registry.proposal(second).status), uint8(IDelayedGovernance.ProposalStatus.Pending));
        vm.prank(regulator);
        registry.veto(second); // the regulator may still clear it from the list
    }

    function test_veto_RegulatorStopsReporterChange() external {
        vm.prank(operator);
        uint256 id = registry.proposeReporterChange(reporters[0], false);
        vm.expectEmit(address(registry));
        emit IDelayedGovernance.ProposalVetoed(id, regulator);
        vm.prank(regulator);
        registry.veto(id);
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDelayedGovernance.GovernanceProposalNotPending.selector, id, IDelayedGovernance.ProposalStatus.Vetoed
            )
        );
        registry.execute(id);
        assertTrue(registry.hasRole(registry.REPORTER_ROLE(), reporters[0]));
    }

    function test_veto_AfterDelayUntilExecuted() external {
        vm.prank(operator);
        uint256 id = registry.proposeReporterChange(reporters[4], true);
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY + 1 days);
        vm.prank(regulator);
        registry.veto(id);
        assertEq(uint8(registry.proposal(id).status), uint8(IDelayedGovernance.ProposalStatus.Vetoed));
    }

    function test_veto_RevertWhen_CallerNotRegulator() external {
        vm.prank(operator);
        uint256 id = registry.proposeReporterChange(reporters[4], true);
        address[3] memory callers = [operator, reporters[0], outsider];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], registry.REGULATOR_ROLE()
                )
            );
            vm.prank(callers[i]);
            registry.veto(id);
        }
    }

    function test_veto_RevertWhen_NotPending() external {
        vm.expectRevert(abi.encodeWithSelector(IDelayedGovernance.GovernanceUnknownProposal.selector, 1));
        vm.prank(regulator);
        registry.veto(1);
        uint256 id = _changeReporter(reporters[4], true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDelayedGovernance.GovernanceProposalNotPending.selector, id, IDelayedGovernance.ProposalStatus.Executed
            )
        );
        vm.prank(regulator);
        registry.veto(id);
    }

    function test_renounceRole_ReporterKeepsCountTrue() external {
        bytes32 role = registry.REPORTER_ROLE();
        vm.prank(reporters[2]);
        registry.renounceRole(role, reporters[2]);
        assertEq(registry.reporterCount(), INITIAL_REPORTERS - 1);
        assertFalse(registry.hasRole(role, reporters[2]));
    }

    function test_checkReporters_CountAndFirstNonReporter() external view {
        address[] memory accounts = new address[](3);
        (accounts[0], accounts[1], accounts[2]) = (reporters[0], reporters[1], reporters[2]);
        (uint256 count, uint256 first) = registry.checkReporters(accounts);
        assertEq(count, INITIAL_REPORTERS);
        assertEq(first, 3, "all are reporters");
        accounts[1] = reporters[4];
        (, first) = registry.checkReporters(accounts);
        assertEq(first, 1);
    }

    /// @dev Each reporter's packed word carries the set's size: every grant and revocation (execution of a
    ///      proposal, renouncing) rewrites all of them, and a former reporter counts as none.
    function test_checkReporters_FollowsEveryChangeOfTheSet() external {
        address[] memory all = new address[](INITIAL_REPORTERS);
        for (uint256 i; i < INITIAL_REPORTERS; ++i) {
            all[i] = reporters[i];
        }
        bytes32 role = registry.REPORTER_ROLE();
        vm.prank(reporters[1]);
        registry.renounceRole(role, reporters[1]);
        (uint256 count, uint256 first) = registry.checkReporters(all);
        assertEq(count, INITIAL_REPORTERS - 1);
        assertEq(first, 1, "a renounced reporter no longer counts");
        address[] memory rest = new address[](INITIAL_REPORTERS - 1);
        for (uint256 i = 1; i < INITIAL_REPORTERS; ++i) {
            rest[i - 1] = reporters[i == 1 ? 0 : i];
        }
        (count, first) = registry.checkReporters(rest);
        assertEq(count, INITIAL_REPORTERS - 1, "every remaining reporter carries the new size");
        assertEq(first, rest.length);
        address[] memory none = new address[](0);
        (count, first) = registry.checkReporters(none);
        assertEq(count, INITIAL_REPORTERS - 1);
        assertEq(first, 0);
    }

    // ─── fuzz ────────────────────────────────────────────────────────────────────────────

    function testFuzz_onboard_AcceptsOnlyWellFormedBic(bytes11 bic) external {
        bool wellFormed = _wellFormedBic(bic);
        vm.prank(operator);
        if (!wellFormed) {
            vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryInvalidBic.selector, bic));
        }
        registry.onboard(newBank, bic, "SG");
        assertEq(registry.isActiveParticipant(newBank), wellFormed);
    }

    function testFuzz_onboard_AnyFreshAccountThenOffboard(address account) external {
        vm.assume(account != address(0) && registry.participant(account).status == IParticipantRegistry.Status.None);
        vm.startPrank(operator);
        registry.onboard(account, "DBSSSGSG", "SG");
        assertTrue(registry.isEligible(account));
        registry.offboard(account);
        vm.stopPrank();
        assertFalse(registry.isEligible(account));
    }

    function _wellFormedBic(bytes11 bic) private pure returns (bool) {
        for (uint256 i; i < 11; ++i) {
            bytes1 c = bic[i];
            bool ok = (c >= "A" && c <= "Z") || (c >= "0" && c <= "9");
            if (i >= 8 && bic[8] == 0 && bic[9] == 0 && bic[10] == 0) return true;
            if (!ok) return false;
        }
        return true;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IParticipantRegistry} from "../../src/interfaces/IParticipantRegistry.sol";
import {ParticipantRegistry} from "../../src/registry/ParticipantRegistry.sol";
import {BaseTest} from "../utils/BaseTest.sol";

contract ParticipantRegistryTest is BaseTest {
    address internal newBank = makeAddr("newBank");

    // ─── constructor ──────────────────────────────────────────────────────────────────────

    function test_constructor_GrantsOperatorOnly() external view {
        assertTrue(registry.hasRole(registry.OPERATOR_ROLE(), operator));
        assertFalse(registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), operator));
        assertEq(registry.getRoleAdmin(registry.REGULATOR_ROLE()), registry.OPERATOR_ROLE());
        assertEq(registry.getRoleAdmin(registry.REPORTER_ROLE()), registry.OPERATOR_ROLE());
    }

    function test_constructor_RevertWhen_ZeroOperator() external {
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        new ParticipantRegistry(address(0));
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
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryCurrencyAlreadyRegistered.selector, bytes3("CNY")));
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
            abi.encodeWithSelector(IParticipantRegistry.RegistrySettlementContractUnchanged.selector, address(cny), false)
        );
        vm.prank(operator);
        registry.setSettlementContract(address(cny), false);
    }

    // ─── roles ───────────────────────────────────────────────────────────────────────────

    function test_operatorGrantsRegulatorAndReporter() external {
        address reporter = makeAddr("reporter");
        vm.startPrank(operator);
        registry.grantRole(registry.REPORTER_ROLE(), reporter);
        registry.revokeRole(registry.REGULATOR_ROLE(), regulator);
        vm.stopPrank();
        assertTrue(registry.hasRole(registry.REPORTER_ROLE(), reporter));
        assertFalse(registry.hasRole(registry.REGULATOR_ROLE(), regulator));
    }

    function test_regulatorCannotGrantRoles() external {
        bytes32 role = registry.REGULATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, regulator, registry.OPERATOR_ROLE()
            )
        );
        vm.prank(regulator);
        registry.grantRole(role, outsider);
    }

    // ─── fuzz ────────────────────────────────────────────────────────────────────────────

    function testFuzz_onboard_AcceptsOnlyWellFormedBic(bytes11 bic) external {
        bool wellFormed = _wellFormedBic(bic);
        vm.prank(operator);
        if (!wellFormed) vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryInvalidBic.selector, bic));
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

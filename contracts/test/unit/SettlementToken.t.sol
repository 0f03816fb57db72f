// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISettlementToken} from "../../src/interfaces/ISettlementToken.sol";
import {IParticipantRegistry} from "../../src/interfaces/IParticipantRegistry.sol";
import {SettlementToken} from "../../src/tokens/SettlementToken.sol";
import {BaseTest} from "../utils/BaseTest.sol";

contract SettlementTokenTest is BaseTest {
    // ─── metadata ────────────────────────────────────────────────────────────────────────

    function test_metadata_MatchesCurrency() external view {
        assertEq(cny.symbol(), "CNY");
        assertEq(cny.name(), "Corridor Digital CNY");
        assertEq(cny.decimals(), 2);
        assertEq(cny.currency(), bytes3("CNY"));
        assertEq(address(cny.registry()), address(registry));
        assertEq(cny.totalSupply(), 4 * OPENING);
    }

    function test_constructor_RevertWhen_CurrencyUnregistered() external {
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementToken.SettlementTokenUnregisteredCurrency.selector, bytes3("SGD"))
        );
        new SettlementToken(registry, "SGD", "Corridor SGD", 2);
    }

    // ─── mint / burn ─────────────────────────────────────────────────────────────────────

    function test_mint_ByIssuer() external {
        vm.expectEmit(address(cny));
        emit ISettlementToken.Minted(alice, 500, pboc);
        vm.prank(pboc);
        cny.mint(alice, 500);
        assertEq(cny.balanceOf(alice), OPENING + 500);
    }

    function test_mint_RevertWhen_OtherCurrencyIssuer() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenUnauthorizedIssuer.selector, hkma));
        vm.prank(hkma);
        cny.mint(alice, 500);
    }

    function test_mint_RevertWhen_Operator() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenUnauthorizedIssuer.selector, operator));
        vm.prank(operator);
        cny.mint(operator, 500);
    }

    function test_mint_RevertWhen_RecipientNotParticipant() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, outsider));
        vm.prank(pboc);
        cny.mint(outsider, 500);
    }

    function test_mint_RevertWhen_ZeroAmount() external {
        vm.expectRevert(ISettlementToken.SettlementTokenZeroAmount.selector);
        vm.prank(pboc);
        cny.mint(alice, 0);
    }

    function test_burn_FromIssuerBalance() external {
        vm.prank(alice);
        cny.transfer(pboc, 300);
        vm.expectEmit(address(cny));
        emit ISettlementToken.Burned(300, pboc);
        vm.prank(pboc);
        cny.burn(300);
        assertEq(cny.balanceOf(pboc), 0);
        assertEq(cny.totalSupply(), 4 * OPENING - 300);
    }

    function test_burn_RevertWhen_NotIssuer() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenUnauthorizedIssuer.selector, alice));
        vm.prank(alice);
        cny.burn(1);
    }

    function test_burn_RevertWhen_ExceedsBalance() external {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, pboc, 0, 1));
        vm.prank(pboc);
        cny.burn(1);
    }

    function test_burn_RevertWhen_ZeroAmount() external {
        vm.expectRevert(ISettlementToken.SettlementTokenZeroAmount.selector);
        vm.prank(pboc);
        cny.burn(0);
    }

    // ─── transfer policy ─────────────────────────────────────────────────────────────────

    function test_transfer_BetweenParticipants() external {
        vm.expectEmit(address(cny));
        emit IERC20.Transfer(alice, bob, 100);
        vm.prank(alice);
        cny.transfer(bob, 100);
        assertEq(cny.balanceOf(bob), OPENING + 100);
        assertTrue(cny.canTransfer(alice, bob));
    }

    function test_transfer_RevertWhen_RecipientNotParticipant() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, outsider));
        vm.prank(alice);
        cny.transfer(outsider, 100);
        assertFalse(cny.canTransfer(alice, outsider));
    }

    function test_transfer_RevertWhen_SenderSuspended() external {
        vm.prank(operator);
        registry.suspend(alice);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, alice));
        vm.prank(alice);
        cny.transfer(bob, 100);
    }

    function test_transfer_RevertWhen_RecipientOffboarded() external {
        vm.prank(operator);
        registry.offboard(bob);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, bob));
        vm.prank(alice);
        cny.transfer(bob, 100);
    }

    function test_transfer_ToAllowlistedSettlementContract() external {
        address escrow = address(hkd); // any contract
        vm.prank(operator);
        registry.setSettlementContract(escrow, true);
        vm.prank(alice);
        cny.transfer(escrow, 100);
        assertEq(cny.balanceOf(escrow), 100);
    }

    function test_transfer_RevertWhen_ContractNotAllowlisted() external {
        address escrow = address(hkd);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, escrow));
        vm.prank(alice);
        cny.transfer(escrow, 100);
    }

    function test_transferFrom_RevertWhen_RecipientNotParticipant() external {
        vm.prank(alice);
        cny.approve(bob, 100);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, outsider));
        vm.prank(bob);
        cny.transferFrom(alice, outsider, 100);
    }

    // ─── freeze ──────────────────────────────────────────────────────────────────────────

    function test_freeze_BlocksBothDirections() external {
        vm.expectEmit(address(cny));
        emit ISettlementToken.AccountFreezeChanged(alice, true, regulator);
        vm.prank(regulator);
        cny.freeze(alice);
        assertTrue(cny.isFrozen(alice));

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenAccountFrozen.selector, alice));
        vm.prank(alice);
        cny.transfer(bob, 1);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenAccountFrozen.selector, alice));
        vm.prank(bob);
        cny.transfer(alice, 1);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenAccountFrozen.selector, alice));
        vm.prank(pboc);
        cny.mint(alice, 1);
    }

    function test_freeze_OnlyThisCurrency() external {
        vm.prank(regulator);
        cny.freeze(alice);
        vm.prank(alice);
        hkd.transfer(bob, 1);
        assertEq(hkd.balanceOf(bob), OPENING + 1);
    }

    function test_unfreeze_RestoresTransfers() external {
        vm.startPrank(regulator);
        cny.freeze(alice);
        cny.unfreeze(alice);
        vm.stopPrank();
        vm.prank(alice);
        cny.transfer(bob, 1);
        assertFalse(cny.isFrozen(alice));
    }

    function test_freeze_RevertWhen_NotRegulator() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenUnauthorizedRegulator.selector, operator));
        vm.prank(operator);
        cny.freeze(alice);
    }

    function test_freeze_RevertWhen_Unchanged() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenFreezeUnchanged.selector, alice, false));
        vm.prank(regulator);
        cny.unfreeze(alice);
    }

    // ─── pause ───────────────────────────────────────────────────────────────────────────

    function test_pause_HaltsTransfersMintsAndBurns() external {
        vm.prank(regulator);
        cny.pause();
        assertFalse(cny.canTransfer(alice, bob));

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(alice);
        cny.transfer(bob, 1);

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(pboc);
        cny.mint(alice, 1);
    }

    function test_unpause_RestoresTransfers() external {
        vm.startPrank(regulator);
        cny.pause();
        cny.unpause();
        vm.stopPrank();
        vm.prank(alice);
        cny.transfer(bob, 1);
        assertEq(cny.balanceOf(bob), OPENING + 1);
    }

    function test_pause_RevertWhen_NotRegulator() external {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenUnauthorizedRegulator.selector, pboc));
        vm.prank(pboc);
        cny.pause();
    }

    function test_pause_RevertWhen_AlreadyPaused() external {
        vm.startPrank(regulator);
        cny.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        cny.pause();
        vm.stopPrank();
    }

    function test_unpause_RevertWhen_NotPaused() external {
        vm.expectRevert(Pausable.ExpectedPause.selector);
        vm.prank(regulator);
        cny.unpause();
    }

    // ─── permit ──────────────────────────────────────────────────────────────────────────

    function test_permit_SetsAllowanceFromSignature() external {
        uint256 deadline = vm.getBlockTimestamp() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(aliceKey, alice, bob, 250, 0, deadline);
        cny.permit(alice, bob, 250, deadline, v, r, s);
        assertEq(cny.allowance(alice, bob), 250);
        assertEq(cny.nonces(alice), 1);
        vm.prank(bob);
        cny.transferFrom(alice, bob, 250);
        assertEq(cny.balanceOf(bob), OPENING + 250);
    }

    function test_permit_RevertWhen_SignatureReplayed() external {
        uint256 deadline = vm.getBlockTimestamp() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(aliceKey, alice, bob, 250, 0, deadline);
        cny.permit(alice, bob, 250, deadline, v, r, s);
        vm.expectRevert(); // ERC2612InvalidSigner: the nonce moved on, so the recovered signer differs
        cny.permit(alice, bob, 250, deadline, v, r, s);
    }

    function test_permit_RevertWhen_SignedForOtherToken() external {
        uint256 deadline = vm.getBlockTimestamp() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(aliceKey, alice, bob, 250, 0, deadline);
        vm.expectRevert();
        hkd.permit(alice, bob, 250, deadline, v, r, s);
        assertEq(hkd.allowance(alice, bob), 0);
    }

    // ─── fuzz ────────────────────────────────────────────────────────────────────────────

    function testFuzz_transfer_ConservesSupply(uint256 amount) external {
        amount = bound(amount, 0, OPENING);
        uint256 supply = cny.totalSupply();
        vm.prank(alice);
        cny.transfer(bob, amount);
        assertEq(cny.balanceOf(alice) + cny.balanceOf(bob), 2 * OPENING);
        assertEq(cny.totalSupply(), supply);
    }

    function testFuzz_transfer_RefusedUnlessEligible(address to, uint256 amount) external {
        amount = bound(amount, 1, OPENING);
        vm.assume(to != address(0));
        bool eligible = registry.isEligible(to);
        if (!eligible) {
            vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenIneligibleAccount.selector, to));
        }
        vm.prank(alice);
        cny.transfer(to, amount);
        assertEq(cny.balanceOf(alice), eligible ? OPENING - (to == alice ? 0 : amount) : OPENING);
    }

    function testFuzz_mint_OnlyIssuer(address caller, uint256 amount) external {
        amount = bound(amount, 1, type(uint128).max);
        vm.assume(caller != pboc);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenUnauthorizedIssuer.selector, caller));
        vm.prank(caller);
        cny.mint(alice, amount);
    }

    function _signPermit(uint256 key, address owner, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                owner,
                spender,
                value,
                nonce,
                deadline
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", cny.DOMAIN_SEPARATOR(), structHash));
        return vm.sign(key, digest);
    }
}

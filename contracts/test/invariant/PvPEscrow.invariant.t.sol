// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SettlementBase} from "../utils/SettlementBase.sol";
import {PvPHandler} from "./handlers/PvPHandler.sol";

contract PvPEscrowInvariantTest is SettlementBase {
    PvPHandler internal handler;
    uint256 internal supplyCny;
    uint256 internal supplyHkd;

    function setUp() public override {
        super.setUp();
        address[] memory actors = new address[](4);
        (actors[0], actors[1], actors[2], actors[3]) = (alice, bob, carol, dave);
        uint256[] memory keys = new uint256[](4);
        (keys[0], keys[1], keys[2], keys[3]) = (aliceKey, bobKey, carolKey, daveKey);
        handler = new PvPHandler(pvp, cny, hkd, CNY_HKD, actors, keys);
        supplyCny = cny.totalSupply();
        supplyHkd = hkd.totalSupply();
        targetContract(address(handler));
    }

    function invariant_bothLegsOrNone() external view {
        assertEq(handler.ghostHalfSettled(), 0, "one leg moved without the other");
    }

    function invariant_nettedBatchEqualsGross() external view {
        assertEq(handler.ghostNetMismatch(), 0, "netting changed someone's final balance");
    }

    function invariant_escrowHoldsNothingAfterDirectAndBatchSettlement() external view {
        assertEq(cny.balanceOf(address(pvp)) + hkd.balanceOf(address(pvp)), 0, "escrow kept funds");
    }

    function invariant_supplyConserved() external view {
        assertEq(cny.balanceOf(alice) + cny.balanceOf(bob) + cny.balanceOf(carol) + cny.balanceOf(dave), supplyCny);
        assertEq(hkd.balanceOf(alice) + hkd.balanceOf(bob) + hkd.balanceOf(carol) + hkd.balanceOf(dave), supplyHkd);
    }

    /// @dev Guards against a vacuous run (checked after each run): something must have settled.
    function afterInvariant() external view {
        assertGt(handler.ghostSettled() + handler.ghostBatches(), 0, "nothing settled in this run");
    }
}

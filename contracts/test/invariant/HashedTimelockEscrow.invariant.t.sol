// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SettlementBase} from "../utils/SettlementBase.sol";
import {HashedTimelockHandler} from "./handlers/HashedTimelockHandler.sol";

contract HashedTimelockInvariantTest is SettlementBase {
    HashedTimelockHandler internal handler;
    uint256 internal supply;

    function setUp() public override {
        super.setUp();
        address[] memory actors = new address[](4);
        (actors[0], actors[1], actors[2], actors[3]) = (alice, bob, carol, dave);
        handler = new HashedTimelockHandler(htlc, cny, actors);
        supply = cny.totalSupply();
        targetContract(address(handler));
    }

    function invariant_escrowHoldsExactlyOpenLocks() external view {
        assertEq(cny.balanceOf(address(htlc)), handler.ghostOpenAmount(), "escrow drift");
    }

    function invariant_supplyConserved() external view {
        uint256 sum = cny.balanceOf(address(htlc)) + cny.balanceOf(alice) + cny.balanceOf(bob)
            + cny.balanceOf(carol) + cny.balanceOf(dave);
        assertEq(sum, supply, "tokens created or destroyed");
        assertEq(cny.totalSupply(), supply);
    }

    function invariant_eachLockSettlesAtMostOnceToItsOwnParty() external view {
        assertEq(handler.ghostDoubleSettlements(), 0, "a lock settled twice");
        assertEq(handler.ghostMisdirected(), 0, "funds went to the wrong party");
        assertTrue(handler.openLocksMatchFates(), "open flag disagrees with the lock's fate");
    }

    /// @dev Guards against a vacuous run (checked after each run): some lock must have settled.
    function afterInvariant() external view {
        assertGt(handler.ghostClaims() + handler.ghostRefunds(), 0, "no lock settled in this run");
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {BaseTest} from "../utils/BaseTest.sol";
import {TokenHandler} from "./handlers/TokenHandler.sol";

contract SettlementTokenInvariantTest is BaseTest {
    TokenHandler internal handler;
    uint256 internal initialSupply;

    function setUp() public override {
        super.setUp();
        address[] memory actors = new address[](5);
        actors[0] = alice;
        actors[1] = bob;
        actors[2] = carol;
        actors[3] = dave;
        actors[4] = outsider; // never eligible: every move touching it must be refused
        handler = new TokenHandler(cny, pboc, regulator, actors);
        initialSupply = cny.totalSupply();
        targetContract(address(handler));
    }

    function invariant_totalSupplyEqualsSumOfBalances() external view {
        uint256 sum = cny.balanceOf(pboc);
        for (uint256 i; i < handler.actorCount(); ++i) {
            sum += cny.balanceOf(handler.actors(i));
        }
        assertEq(cny.totalSupply(), sum, "supply != sum of balances");
    }

    function invariant_supplyMovesOnlyByMintAndBurn() external view {
        assertEq(cny.totalSupply(), initialSupply + handler.ghostMinted() - handler.ghostBurned(), "supply drift");
    }

    function invariant_nothingMovesWhilePausedOrFrozen() external view {
        assertEq(handler.ghostForbiddenMoves(), 0, "a balance moved while paused or frozen");
    }

    function invariant_outsiderNeverHoldsTokens() external view {
        assertEq(cny.balanceOf(outsider), 0, "non-participant received tokens");
    }
}

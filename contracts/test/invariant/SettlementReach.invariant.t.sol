// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";
import {Reach} from "./handlers/Reach.sol";
import {SettlementSystemBase} from "./Settlement.invariant.t.sol";

/// @notice Makes the invariant suite's reach visible and enforced: one long run of the same handlers,
///         after which every declared entry point of the tokens, escrows and registry must have been
///         called and must have succeeded in at least 10 % of its calls. A handler that silently stops
///         exercising a path (all calls reverting, or never called) fails here.
contract SettlementReachTest is SettlementSystemBase {
    uint256 internal constant MIN_SUCCESS_PERCENT = 10;

    /// forge-config: default.invariant.runs = 1
    /// forge-config: default.invariant.depth = 3000
    /// forge-config: ci.invariant.runs = 1
    /// forge-config: ci.invariant.depth = 3000
    function invariant_everyEntryPointReached() external view {}

    function afterInvariant() external view {
        Reach[] memory list = _handlers();
        for (uint256 h; h < list.length; ++h) {
            bytes4[] memory entryPoints = list[h].entryPoints();
            for (uint256 e; e < entryPoints.length; ++e) {
                (uint64 calls, uint64 successes) = list[h].reach(entryPoints[e]);
                string memory name = list[h].entryPointName(entryPoints[e]);
                console2.log(string.concat("reach ", name, ": calls, successes"), calls, successes);
                assertGt(calls, 0, string.concat(name, " never called"));
                assertGe(
                    uint256(successes) * 100,
                    uint256(calls) * MIN_SUCCESS_PERCENT,
                    string.concat(name, " succeeded in under 10 % of its calls")
                );
            }
        }
    }
}

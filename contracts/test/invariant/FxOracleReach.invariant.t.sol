// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";
import {ReachCounter} from "./handlers/ReachCounter.sol";
import {OracleInvariantBase} from "../utils/OracleInvariantBase.sol";

/// @notice Reach of the oracle and governance handlers, over the whole campaign: after each run the run's
///         per-action counts are added to process-wide totals (environment variables, which survive the
///         per-run state reset); once the totals cover REACH_MIN_CALLS calls (a full default-profile
///         campaign, 64 x 64), every action must have been called, every action that may succeed must
///         succeed in at least 10 % of its calls, and every refused power must never succeed.
///         `CORRIDOR_REACH_PRINT=true forge test --match-contract FxOracleReach -vv` prints the figures.
/// @dev A single invariant function, so no other campaign of this contract adds to the same totals.
contract FxOracleReachTest is OracleInvariantBase {
    uint256 internal constant REACH_MIN_CALLS = 4000;
    uint256 internal constant FLOOR_PERCENT = 10;

    function invariant_everyActionReachesItsFloor() external view {
        assertEq(governance.forbiddenSuccesses() + oracleHandler.forbiddenSuccesses(), 0);
    }

    function afterInvariant() external {
        uint256 total = _accumulate(governance, "GOV") + _accumulate(oracleHandler, "ORACLE");
        total += vm.envOr("CORRIDOR_REACH_FXORACLE_TOTAL", uint256(0));
        vm.setEnv("CORRIDOR_REACH_FXORACLE_TOTAL", vm.toString(total));
        if (total < REACH_MIN_CALLS) return;
        _assertFloors(governance, "GOV");
        _assertFloors(oracleHandler, "ORACLE");
    }

    function _accumulate(ReachCounter handler, string memory prefix) internal returns (uint256 calls) {
        for (uint256 i; i < handler.entryCount(); ++i) {
            string memory name = handler.entryName(i);
            ReachCounter.Reach memory reach = handler.reachOf(name);
            calls += reach.calls;
            _add(_key(prefix, name, "CALLS"), reach.calls);
            _add(_key(prefix, name, "OK"), reach.successes);
        }
    }

    function _assertFloors(ReachCounter handler, string memory prefix) internal view {
        for (uint256 i; i < handler.entryCount(); ++i) {
            string memory name = handler.entryName(i);
            uint256 calls = vm.envOr(_key(prefix, name, "CALLS"), uint256(0));
            uint256 ok = vm.envOr(_key(prefix, name, "OK"), uint256(0));
            if (vm.envOr("CORRIDOR_REACH_PRINT", false)) {
                console2.log(string.concat(prefix, ".", name, " calls/successes:"), calls, ok);
            }
            assertGt(calls, 0, string.concat(name, ": never called"));
            if (handler.reachOf(name).mustFail) {
                assertEq(ok, 0, string.concat(name, ": a refused power succeeded"));
            } else {
                assertGe(ok * 100, calls * FLOOR_PERCENT, string.concat(name, ": below its success floor"));
            }
        }
    }

    function _add(string memory key, uint256 value) internal {
        vm.setEnv(key, vm.toString(vm.envOr(key, uint256(0)) + value));
    }

    function _key(string memory prefix, string memory name, string memory what) internal pure returns (string memory) {
        return string.concat("CORRIDOR_REACH_FXORACLE_", prefix, "_", name, "_", what);
    }
}

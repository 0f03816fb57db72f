// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {OracleInvariantBase} from "../utils/OracleInvariantBase.sol";

/// @notice The oracle and the registry under honest and faulty reporters, a hostile operator, a vigilant
///         regulator and a stranger (see the handlers). The faulty minority is one reporter: the most the
///         default 3-of-4 tolerates (f <= min(ceil(q/2) - 1, n - q)).
contract FxOracleInvariantTest is OracleInvariantBase {
    bytes6[3] internal pairs = [bytes6("EURCNY"), bytes6("EURTHB"), bytes6("CNYTHB")];

    /// @dev Whenever 2f < q, a round that includes the faulty report stores exactly the honest mid,
    ///      observation time and sequence; whenever the honest reporters alone meet the quorum, their
    ///      round is accepted, whatever the faulty reporter published or submitted before.
    function invariant_minorityCannotMoveMedianOrStopPublication() external view {
        assertEq(oracleHandler.ghostMedianCaptured(), 0, "a tolerated minority changed a stored value");
        assertEq(oracleHandler.ghostLivenessFailures(), 0, "an honest quorum was refused");
    }

    /// @dev Each pair (both legs and the cross) is halted exactly when the breaker model says: some move
    ///      since its last resume exceeded the threshold in force at that move. No halted pair is served.
    function invariant_pairHaltsIffMoveExceedsThreshold() external view {
        for (uint256 i; i < pairs.length; ++i) {
            assertEq(fx.pair(pairs[i]).halted, oracleHandler.ghostHalted(pairs[i]), "halt differs from the rule");
            if (pairs[i] != bytes6("CNYTHB") || oracleHandler.ghostCrossListed()) {
                assertEq(fx.pair(pairs[i]).lastMid, oracleHandler.ghostLastMid(pairs[i]), "breaker reference drifted");
            }
        }
        assertEq(oracleHandler.ghostHaltedReads(), 0, "a halted pair was served");
    }

    /// @dev Separation of duties: no account is ever operator and regulator; no refused power (the
    ///      operator's regulator powers, the stranger's anything) ever succeeded.
    function invariant_operatorNeverHoldsRegulatorPowers() external view {
        bytes32 operatorRole = registry.OPERATOR_ROLE();
        bytes32 regulatorRole = registry.REGULATOR_ROLE();
        assertFalse(registry.hasRole(regulatorRole, operator), "the operator is a regulator");
        for (uint256 i; i < universe.length; ++i) {
            assertFalse(
                registry.hasRole(operatorRole, universe[i]) && registry.hasRole(regulatorRole, universe[i]),
                "an account holds both roles"
            );
        }
        assertEq(governance.forbiddenSuccesses(), 0, "a refused governance power succeeded");
        assertEq(oracleHandler.forbiddenSuccesses(), 0, "a refused oracle power succeeded");
    }

    function invariant_reporterCountEqualsRoleHolders() external view {
        bytes32 role = registry.REPORTER_ROLE();
        uint256 holders;
        address[] memory holding = new address[](universe.length);
        address[] memory one = new address[](1);
        for (uint256 i; i < universe.length; ++i) {
            one[0] = universe[i];
            (, uint256 first) = registry.checkReporters(one);
            if (registry.hasRole(role, universe[i])) {
                holding[holders++] = universe[i];
                assertEq(first, 1, "a reporter's packed word is missing");
            } else {
                assertEq(first, 0, "a non-reporter has a packed word");
            }
        }
        assertEq(registry.reporterCount(), holders);
        assembly ("memory-safe") {
            mstore(holding, holders)
        }
        // The oracle's one-call check: every holder's packed word carries the true count.
        (uint256 count, uint256 firstNon) = registry.checkReporters(holding);
        if (holders != 0) assertEq(count, holders, "a packed word carries a stale count");
        assertEq(firstNon, holders);
    }

    function invariant_quorumInForceIsAlwaysAMajority() external view {
        (uint256 inForce,, uint256 reporterCount) = fx.quorum();
        assertEq(reporterCount, registry.reporterCount());
        assertGt(inForce * 2, reporterCount, "the quorum in force is a minority");
        assertGe(inForce, fx.MIN_QUORUM());
    }

    function invariant_alwaysExactlyTheCountedRegulators() external view {
        bytes32 role = registry.REGULATOR_ROLE();
        uint256 holders;
        for (uint256 i; i < universe.length; ++i) {
            if (registry.hasRole(role, universe[i])) ++holders;
        }
        assertEq(registry.regulatorCount(), holders);
        assertGe(holders, 1, "no regulator left");
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {OracleBase} from "../utils/OracleBase.sol";

/// @notice Audit PoCs on delayed governance (Low).
contract GovernanceStaleProposalAudit is OracleBase {
    /// @dev Promise: reporter-set changes "take effect only after a delay the regulator can veto". Proposals
    ///      never expire, and one whose change no longer applies stays Pending (executable by anyone the moment
    ///      it applies again). A duplicate "add R" left pending after the first one executed re-adds R, with no
    ///      delay and no veto window, in the same block that R's (regulator-approved) removal executes: anyone
    ///      back-runs `execute(removal)` with `execute(staleAdd)`. The regulator's only defence is to have
    ///      vetoed every dead proposal in advance. Asserts the removed reporter stays removed; fails today.
    function test_StaleProposalCannotReapplyAReversedReporterChangeWithoutDelay() external {
        address candidate = reporters[4];
        vm.startPrank(operator);
        uint256 add1 = registry.proposeReporterChange(candidate, true);
        uint256 add2 = registry.proposeReporterChange(candidate, true); // duplicate, looks harmless
        vm.stopPrank();
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        registry.execute(add1);
        vm.expectRevert(); // no longer applies: stays Pending
        registry.execute(add2);

        // Months later the candidate's key is compromised; removal proposed, regulator agrees, executed.
        vm.warp(vm.getBlockTimestamp() + 90 days);
        vm.prank(operator);
        uint256 remove = registry.proposeReporterChange(candidate, false);
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        registry.execute(remove);
        // Same block: the attacker back-runs it.
        try registry.execute(add2) {} catch {}

        assertFalse(
            registry.hasRole(registry.REPORTER_ROLE(), candidate),
            "a stale proposal re-added a removed reporter with no delay and no veto window"
        );
    }

    /// @dev Promise: "honest reporters alone keep publishing while n - f >= q". The registry checks a reporter
    ///      removal against nothing the oracle needs: two removals (e.g. a two-key rotation done remove-first)
    ///      leave 2 reporters under a configured quorum of 3, and no set of reporters can publish until an
    ///      addition clears its own delay. The oracle re-checks a quorum proposal against the reporter count at
    ///      execution, but the registry does not re-check the oracle's quorum when the count drops.
    ///      Asserts the remaining (all honest) reporters can still publish; fails today.
    function test_ReporterRemovalCannotLeaveFewerReportersThanConfiguredQuorum() external {
        vm.startPrank(operator);
        uint256 r3 = registry.proposeReporterChange(reporters[3], false);
        uint256 r2 = registry.proposeReporterChange(reporters[2], false);
        vm.stopPrank();
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        registry.execute(r3);
        try registry.execute(r2) {} catch {}

        uint256[] memory remaining = new uint256[](registry.reporterCount());
        for (uint256 i; i < remaining.length; ++i) {
            remaining[i] = i; // reporters 0.. are the ones left
        }
        uint256[] memory mids = new uint256[](remaining.length);
        for (uint256 i; i < mids.length; ++i) {
            mids[i] = 7_8000_0000;
        }
        _publishSpread("EURCNY", mids, remaining); // every remaining reporter signs: must be accepted
        assertEq(fx.pair("EURCNY").latestRound, 1);
    }
}

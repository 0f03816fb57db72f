// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {GovernanceHandler} from "../invariant/handlers/GovernanceHandler.sol";
import {OracleHandler} from "../invariant/handlers/OracleHandler.sol";
import {OracleBase} from "./OracleBase.sol";

/// @notice OracleBase plus the cross CNY/THB, a faulty minority (reporter 3, and a second faulty key the
///         operator may try to add), and the two handlers the invariant suites drive: only their
///         declared actions are fuzzed.
abstract contract OracleInvariantBase is OracleBase {
    OracleHandler internal oracleHandler;
    GovernanceHandler internal governance;
    address[] internal universe; // every account that could ever hold a role here

    function setUp() public virtual override {
        super.setUp();
        vm.prank(operator);
        fx.configureCross("CNYTHB", BREAKER, true);
        (address faultyExtra, uint256 faultyExtraKey) = makeAddrAndKey("faultyExtra");
        address[] memory candidates = new address[](6);
        uint256[] memory keys = new uint256[](6);
        for (uint256 i; i < 5; ++i) {
            (candidates[i], keys[i]) = (reporters[i], reporterKeys[i]);
        }
        (candidates[5], keys[5]) = (faultyExtra, faultyExtraKey);
        address[] memory faulty = new address[](2);
        (faulty[0], faulty[1]) = (reporters[3], faultyExtra);

        governance = new GovernanceHandler(registry, fx, operator, regulator, candidates, faulty);
        oracleHandler = new OracleHandler(fx, governance, operator, candidates, keys, faulty, MAX_AGE, BAND, BREAKER);
        oracleHandler.seedHistory();
        targetContract(address(governance));
        targetSelector(FuzzSelector({addr: address(governance), selectors: governance.actions()}));
        targetContract(address(oracleHandler));
        targetSelector(FuzzSelector({addr: address(oracleHandler), selectors: oracleHandler.actions()}));

        for (uint256 i; i < candidates.length; ++i) {
            universe.push(candidates[i]);
        }
        address[2] memory regulators = governance.regulatorCandidates();
        universe.push(regulators[0]);
        universe.push(regulators[1]);
        universe.push(operator);
        universe.push(governance.deputy());
        universe.push(governance.stranger());
        universe.push(outsider);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {ParticipantRegistry} from "../../src/registry/ParticipantRegistry.sol";
import {SettlementToken} from "../../src/tokens/SettlementToken.sol";

/// @notice Shared fixture: a registry, three currencies (CNY, HKD, THB), four banks, a regulator
///         and one issuer (central bank) per currency, as on the default Corridor network. Five
///         reporter keys exist; the first four form the registry's initial reporter set.
abstract contract BaseTest is Test {
    ParticipantRegistry internal registry;
    SettlementToken internal cny;
    SettlementToken internal hkd;
    SettlementToken internal thb;

    address internal operator = makeAddr("operator");
    address internal regulator = makeAddr("regulator");
    address internal pboc = makeAddr("pboc");
    address internal hkma = makeAddr("hkma");
    address internal bot = makeAddr("bot");
    address internal alice; // bank A (CN)
    uint256 internal aliceKey;
    address internal bob; // bank B (HK)
    uint256 internal bobKey;
    address internal carol; // bank C (TH)
    uint256 internal carolKey;
    address internal dave; // bank D (CN)
    uint256 internal daveKey;
    address internal outsider = makeAddr("outsider");
    uint256[5] internal reporterKeys;
    address[5] internal reporters;

    uint256 internal constant OPENING = 1_000_000_00; // 1,000,000.00 in minor units
    uint256 internal constant INITIAL_REPORTERS = 4;
    uint256 internal constant GOVERNANCE_DELAY = 2 days;

    function setUp() public virtual {
        (alice, aliceKey) = makeAddrAndKey("alice");
        (bob, bobKey) = makeAddrAndKey("bob");
        (carol, carolKey) = makeAddrAndKey("carol");
        (dave, daveKey) = makeAddrAndKey("dave");

        address[] memory initialReporters = new address[](INITIAL_REPORTERS);
        for (uint256 i; i < 5; ++i) {
            (reporters[i], reporterKeys[i]) = makeAddrAndKey(string(abi.encodePacked("reporter", vm.toString(i))));
            if (i < INITIAL_REPORTERS) initialReporters[i] = reporters[i];
        }

        registry = new ParticipantRegistry(operator, regulator, initialReporters, GOVERNANCE_DELAY);
        vm.startPrank(operator);
        registry.registerCurrency("CNY", pboc);
        registry.registerCurrency("HKD", hkma);
        registry.registerCurrency("THB", bot);
        registry.onboard(alice, "BKCHCNBJ", "CN");
        registry.onboard(bob, "HSBCHKHH", "HK");
        registry.onboard(carol, "BKKBTHBK", "TH");
        registry.onboard(dave, "ICBKCNBJ", "CN");
        registry.onboard(pboc, "PBOCCNBJ", "CN");
        registry.onboard(hkma, "HKMAHKHH", "HK");
        registry.onboard(bot, "BOTHTHBK", "TH");
        vm.stopPrank();

        cny = new SettlementToken(registry, "CNY", "Corridor Digital CNY", 2);
        hkd = new SettlementToken(registry, "HKD", "Corridor Digital HKD", 2);
        thb = new SettlementToken(registry, "THB", "Corridor Digital THB", 2);

        _fund(cny, pboc);
        _fund(hkd, hkma);
        _fund(thb, bot);

        vm.label(address(registry), "registry");
        vm.label(address(cny), "CNY");
        vm.label(address(hkd), "HKD");
        vm.label(address(thb), "THB");
    }

    function _fund(SettlementToken token, address issuer) internal {
        vm.startPrank(issuer);
        token.mint(alice, OPENING);
        token.mint(bob, OPENING);
        token.mint(carol, OPENING);
        token.mint(dave, OPENING);
        vm.stopPrank();
    }

    /// @dev Adds (or removes) a reporter the only way there is: the operator proposes, the delay passes
    ///      (the clock moves forward by it), anyone executes.
    function _changeReporter(address reporter, bool add) internal returns (uint256 id) {
        vm.prank(operator);
        id = registry.proposeReporterChange(reporter, add);
        vm.warp(vm.getBlockTimestamp() + GOVERNANCE_DELAY);
        registry.execute(id);
    }

    function _bic(string memory text) internal pure returns (bytes11 out) {
        bytes memory raw = bytes(text);
        for (uint256 i; i < raw.length && i < 11; ++i) {
            out |= bytes11(raw[i]) >> (8 * i);
        }
    }
}

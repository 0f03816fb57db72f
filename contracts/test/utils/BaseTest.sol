// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {ParticipantRegistry} from "../../src/registry/ParticipantRegistry.sol";
import {SettlementToken} from "../../src/tokens/SettlementToken.sol";

/// @notice Shared fixture: a registry, three currencies (CNY, HKD, THB), four banks, a regulator
///         and one issuer (central bank) per currency, as on the default Corridor network.
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

    uint256 internal constant OPENING = 1_000_000_00; // 1,000,000.00 in minor units

    function setUp() public virtual {
        (alice, aliceKey) = makeAddrAndKey("alice");
        (bob, bobKey) = makeAddrAndKey("bob");
        (carol, carolKey) = makeAddrAndKey("carol");
        (dave, daveKey) = makeAddrAndKey("dave");

        registry = new ParticipantRegistry(operator);
        vm.startPrank(operator);
        registry.grantRole(registry.REGULATOR_ROLE(), regulator);
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

    function _bic(string memory text) internal pure returns (bytes11 out) {
        bytes memory raw = bytes(text);
        for (uint256 i; i < raw.length && i < 11; ++i) {
            out |= bytes11(raw[i]) >> (8 * i);
        }
    }
}

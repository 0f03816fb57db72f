// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxOracle} from "../../src/interfaces/IFxOracle.sol";
import {ObservationCodec} from "../../src/libraries/ObservationCodec.sol";
import {FxOracle} from "../../src/oracle/FxOracle.sol";
import {BaseTest} from "./BaseTest.sol";

/// @notice BaseTest plus an FxOracle quoting against EUR, five reporters holding REPORTER_ROLE (four
///         authorised, quorum 3), and EUR/CNY, EUR/HKD, EUR/THB, EUR/CHF listed: max age 26 open hours,
///         band 50 bps, breaker 500 bps. The clock starts on Wednesday 2025-04-16 15:00 UTC.
abstract contract OracleBase is BaseTest {
    FxOracle internal fx;
    uint256[5] internal reporterKeys;
    address[5] internal reporters;

    uint256 internal constant WED_2025_04_16_1500 = 1_744_815_600;
    uint32 internal constant MAX_AGE = 26 hours;
    uint16 internal constant BAND = 50;
    uint16 internal constant BREAKER = 500;
    uint256 internal sequence;

    function setUp() public virtual override {
        super.setUp();
        vm.warp(WED_2025_04_16_1500);
        fx = new FxOracle(registry, "EUR");
        vm.startPrank(operator);
        for (uint256 i; i < 5; ++i) {
            (reporters[i], reporterKeys[i]) = makeAddrAndKey(string(abi.encodePacked("reporter", vm.toString(i))));
            registry.grantRole(registry.REPORTER_ROLE(), reporters[i]);
            if (i < 4) fx.setReporter(reporters[i], true);
        }
        fx.setQuorum(3);
        fx.configurePair("EURCNY", MAX_AGE, BAND, BREAKER, true);
        fx.configurePair("EURHKD", MAX_AGE, BAND, BREAKER, true);
        fx.configurePair("EURTHB", MAX_AGE, BAND, BREAKER, true);
        fx.configurePair("EURCHF", MAX_AGE, BAND, BREAKER, true);
        vm.stopPrank();
    }

    function _obs(bytes6 pairId, uint256 mid, uint256 observedAt, uint256 seq) internal pure returns (uint256) {
        return ObservationCodec.encode(pairId, mid, mid - mid / 10_000, mid + mid / 10_000, observedAt, 1, seq);
    }

    /// @dev Signs `report` as reporter `index`, locally (no call into the oracle).
    function _signReport(uint256 index, uint256[] memory report) internal view returns (IFxOracle.Signature memory) {
        bytes32 structHash = keccak256(abi.encode(keccak256("Report(uint256[] observations)"), keccak256(abi.encodePacked(report))));
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Corridor FxOracle"),
                keccak256("1"),
                block.chainid,
                address(fx)
            )
        );
        (bytes32 r, bytes32 vs) = vm.signCompact(reporterKeys[index], keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        return IFxOracle.Signature(r, vs);
    }

    /// @dev One round of `pairs` with the same `mids` from the given reporters, observed now.
    function _round(bytes6[] memory pairs, uint256[] memory mids, uint256[] memory who)
        internal
        returns (uint256[] memory observations, IFxOracle.Signature[] memory signatures)
    {
        ++sequence;
        uint256 p = pairs.length;
        observations = new uint256[](p * who.length);
        signatures = new IFxOracle.Signature[](who.length);
        for (uint256 r; r < who.length; ++r) {
            uint256[] memory report = new uint256[](p);
            for (uint256 j; j < p; ++j) {
                report[j] = _obs(pairs[j], mids[j], vm.getBlockTimestamp(), sequence);
                observations[r * p + j] = report[j];
            }
            signatures[r] = _signReport(who[r], report);
        }
    }

    function _publish(bytes6 pairId, uint256 mid) internal {
        bytes6[] memory pairs = new bytes6[](1);
        pairs[0] = pairId;
        uint256[] memory mids = new uint256[](1);
        mids[0] = mid;
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
        fx.publish(o, s);
    }

    function _who(uint256 n) internal pure returns (uint256[] memory who) {
        who = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            who[i] = i;
        }
    }

    /// @dev Publishes the reports of `who` where reporter r reports `mids[r]` for `pairId`.
    function _publishSpread(bytes6 pairId, uint256[] memory mids, uint256[] memory who) internal {
        ++sequence;
        uint256[] memory observations = new uint256[](who.length);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](who.length);
        for (uint256 r; r < who.length; ++r) {
            uint256[] memory report = new uint256[](1);
            report[0] = _obs(pairId, mids[r], vm.getBlockTimestamp(), sequence);
            observations[r] = report[0];
            signatures[r] = _signReport(who[r], report);
        }
        fx.publish(observations, signatures);
    }
}

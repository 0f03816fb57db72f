// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFxOracle} from "../../src/interfaces/IFxOracle.sol";
import {ObservationCodec} from "../../src/libraries/ObservationCodec.sol";
import {FxOracle} from "../../src/oracle/FxOracle.sol";
import {BaseTest} from "./BaseTest.sol";

/// @notice BaseTest plus an FxOracle quoting against EUR with quorum 3 of the registry's four reporters
///         (reporter 4 holds no role), and EUR/CNY, EUR/HKD, EUR/THB, EUR/CHF listed: max age 26 open
///         hours, band 50 bps, breaker 500 bps. The clock starts on Wednesday 2025-04-16 15:00 UTC.
abstract contract OracleBase is BaseTest {
    FxOracle internal fx;

    uint256 internal constant WED_2025_04_16_1500 = 1_744_815_600;
    uint32 internal constant MAX_AGE = 26 hours;
    uint16 internal constant BAND = 50;
    uint16 internal constant BREAKER = 500;
    uint256 internal sequence;

    function setUp() public virtual override {
        super.setUp();
        vm.warp(WED_2025_04_16_1500);
        fx = new FxOracle(registry, "EUR", 3);
        vm.startPrank(operator);
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
        return _signReportWith(reporterKeys[index], report);
    }

    /// @dev Signs `report` with `key`, locally.
    function _signReportWith(uint256 key, uint256[] memory report) internal view returns (IFxOracle.Signature memory) {
        bytes32 structHash =
            keccak256(abi.encode(keccak256("Report(uint256[] observations)"), keccak256(abi.encodePacked(report))));
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Corridor FxOracle"),
                keccak256("1"),
                block.chainid,
                address(fx)
            )
        );
        (bytes32 r, bytes32 vs) = vm.signCompact(key, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
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

    /// @dev One single-pair report by reporter `who`, with every field chosen by the test.
    function _report(uint256 who, bytes6 pairId, uint256 mid, uint256 observedAt, uint256 seq)
        internal
        view
        returns (uint256 word, IFxOracle.Signature memory signature)
    {
        uint256[] memory report = new uint256[](1);
        report[0] = _obs(pairId, mid, observedAt, seq);
        return (report[0], _signReport(who, report));
    }

    /// @dev Publishes one pair: reporter who[r] reports mids[r] at time times[r] with sequence seqs[r].
    function _publishReports(
        bytes6 pairId,
        uint256[] memory who,
        uint256[] memory mids,
        uint256[] memory times,
        uint256[] memory seqs
    ) internal {
        (uint256[] memory observations, IFxOracle.Signature[] memory signatures) =
            _reports(pairId, who, mids, times, seqs);
        fx.publish(observations, signatures);
    }

    function _reports(
        bytes6 pairId,
        uint256[] memory who,
        uint256[] memory mids,
        uint256[] memory times,
        uint256[] memory seqs
    ) internal view returns (uint256[] memory observations, IFxOracle.Signature[] memory signatures) {
        observations = new uint256[](who.length);
        signatures = new IFxOracle.Signature[](who.length);
        for (uint256 r; r < who.length; ++r) {
            (observations[r], signatures[r]) = _report(who[r], pairId, mids[r], times[r], seqs[r]);
        }
    }

    /// @dev Publishes EUR/`a` and EUR/`b` in one round signed by reporters 0-2.
    function _publishTwo(bytes6 a, uint256 midA, bytes6 b, uint256 midB) internal {
        bytes6[] memory pairs = new bytes6[](2);
        (pairs[0], pairs[1]) = (a, b);
        uint256[] memory mids = new uint256[](2);
        (mids[0], mids[1]) = (midA, midB);
        (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
        fx.publish(o, s);
    }

    /// @dev Publishes `pairId` at 1.0, then 20 % lower an hour later: the breaker halts it.
    function _halt(bytes6 pairId) internal {
        _publish(pairId, 1_0000_0000);
        vm.warp(vm.getBlockTimestamp() + 1 hours);
        _publish(pairId, 8000_0000);
    }

    function _three(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory values) {
        values = new uint256[](3);
        (values[0], values[1], values[2]) = (a, b, c);
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

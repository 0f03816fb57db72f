// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";
import {IFxOracle} from "../../src/interfaces/IFxOracle.sol";
import {OracleBase} from "../utils/OracleBase.sol";

/// @notice The on-chain window of rounds (a ring of ROUND_WINDOW rounds per pair) and the full history
///         rebuilt from {IFxOracle.RoundPublished} events.
contract FxOracleHistoryTest is OracleBase {
    uint256 internal constant EUR_CNY = 7_8000_0000;
    uint256 internal constant EUR_THB = 37_5000_0000;

    /// @dev Publishes `n` hourly rounds of EUR/CNY (mid EUR_CNY + round index) and returns their times.
    function _publishHourly(uint256 n) internal returns (uint256[] memory times) {
        times = new uint256[](n + 1);
        for (uint256 id = 1; id <= n; ++id) {
            vm.warp(vm.getBlockTimestamp() + 1 hours);
            times[id] = vm.getBlockTimestamp();
            _publish("EURCNY", EUR_CNY + id);
        }
    }

    function test_window_IsTwoHundredFiftySixRounds() external view {
        assertEq(fx.ROUND_WINDOW(), 256);
    }

    function test_roundData_KeepsTheLastWindowOfRounds() external {
        uint256 window = fx.ROUND_WINDOW();
        uint256 n = window + 2;
        uint256[] memory times = _publishHourly(n);
        // rounds 3 .. 258 are kept; 1 and 2 were overwritten by 257 and 258
        assertEq(fx.roundData("EURCNY", 3).mid, EUR_CNY + 3);
        assertEq(fx.roundData("EURCNY", 3).publishedAt, times[3]);
        assertEq(fx.roundData("EURCNY", n).mid, EUR_CNY + n);
        assertEq(fx.roundData("EURCNY", window).mid, EUR_CNY + window);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxBeyondWindow.selector, bytes6("EURCNY"), 3, times[3]));
        fx.roundData("EURCNY", 2);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxBeyondWindow.selector, bytes6("EURCNY"), 3, times[3]));
        fx.roundData("EURCNY", 1);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURCNY"), n + 1));
        fx.roundData("EURCNY", n + 1);
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURCNY"), 0));
        fx.roundData("EURCNY", 0);
    }

    function test_roundAtOrBefore_AnswersWithinWindowRevertsBeyond() external {
        uint256 window = fx.ROUND_WINDOW();
        uint256 n = window + 10;
        uint256[] memory times = _publishHourly(n);
        uint256 oldest = n - window + 1; // 11
        (uint256 id, IFxOracle.Round memory round) = fx.roundAtOrBefore("EURCNY", times[oldest]);
        assertEq(id, oldest);
        assertEq(round.mid, EUR_CNY + oldest);
        (id,) = fx.roundAtOrBefore("EURCNY", times[oldest] + 59 minutes);
        assertEq(id, oldest);
        (id,) = fx.roundAtOrBefore("EURCNY", times[200] + 30 minutes);
        assertEq(id, 200);
        (id,) = fx.roundAtOrBefore("EURCNY", times[n] + 30 days);
        assertEq(id, n);
        vm.expectRevert(
            abi.encodeWithSelector(IFxOracle.FxBeyondWindow.selector, bytes6("EURCNY"), oldest, times[oldest])
        );
        fx.roundAtOrBefore("EURCNY", times[oldest] - 1);
        // before the pair's first round the answer is "no data", not "beyond the window", until the ring wraps
        vm.expectRevert(abi.encodeWithSelector(IFxOracle.FxNoData.selector, bytes6("EURTHB"), 0));
        fx.roundAtOrBefore("EURTHB", times[n]);
    }

    /// @dev Each run publishes 261 rounds: fewer runs than the profile's default.
    /// forge-config: default.fuzz.runs = 32
    /// forge-config: ci.fuzz.runs = 64
    function testFuzz_roundAtOrBefore_MatchesLinearScanAcrossTheWrap(uint256 offset) external {
        uint256 window = fx.ROUND_WINDOW();
        uint256 n = window + 5;
        uint256[] memory times = _publishHourly(n);
        uint256 oldest = n - window + 1;
        uint256 at = times[oldest] + bound(offset, 0, (n - oldest + 2) * 1 hours);
        uint256 expected;
        for (uint256 id = oldest; id <= n; ++id) {
            if (times[id] <= at) expected = id;
        }
        (uint256 found, IFxOracle.Round memory round) = fx.roundAtOrBefore("EURCNY", at);
        assertEq(found, expected);
        assertEq(round.mid, EUR_CNY + expected);
    }

    /// @dev The full history, beyond the window, rebuilt from RoundPublished events alone: every round id once,
    ///      in order, and bit for bit what roundData answered while the round was inside the window.
    function test_history_RebuiltFromEvents() external {
        uint256 window = fx.ROUND_WINDOW();
        uint256 n = window + 44;
        vm.recordLogs();
        IFxOracle.Round[] memory seen = new IFxOracle.Round[](n + 1);
        for (uint256 id = 1; id <= n; ++id) {
            vm.warp(vm.getBlockTimestamp() + 1 hours);
            bytes6[] memory pairs = new bytes6[](2);
            (pairs[0], pairs[1]) = ("EURCNY", "EURTHB");
            uint256[] memory mids = new uint256[](2);
            (mids[0], mids[1]) = (EUR_CNY + id, EUR_THB - id);
            (uint256[] memory o, IFxOracle.Signature[] memory s) = _round(pairs, mids, _who(3));
            fx.publish(o, s);
            seen[id] = fx.roundData("EURCNY", id); // read while it is the latest
        }
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = IFxOracle.RoundPublished.selector;
        uint256 next = 1;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(fx) || logs[i].topics[0] != topic) continue;
            if (bytes6(logs[i].topics[1]) != bytes6("EURCNY")) continue;
            assertEq(uint256(logs[i].topics[2]), next, "round ids from events are gapless and in order");
            IFxOracle.Round memory rebuilt = _decode(abi.decode(logs[i].data, (uint256)));
            _assertSame(rebuilt, seen[next]);
            if (next > n - window) _assertSame(rebuilt, fx.roundData("EURCNY", next));
            ++next;
        }
        assertEq(next, n + 1, "every round has its event");
    }

    function _decode(uint256 word) internal pure returns (IFxOracle.Round memory round) {
        round = IFxOracle.Round({
            mid: uint48(word),
            bid: uint48(word >> 48),
            ask: uint48(word >> 96),
            dispersionBps: uint16(word >> 144),
            observedAt: uint32(word >> 160),
            publishedAt: uint32(word >> 192)
        });
    }

    function _assertSame(IFxOracle.Round memory a, IFxOracle.Round memory b) internal pure {
        assertEq(a.mid, b.mid, "mid");
        assertEq(a.bid, b.bid, "bid");
        assertEq(a.ask, b.ask, "ask");
        assertEq(a.dispersionBps, b.dispersionBps, "dispersion");
        assertEq(a.observedAt, b.observedAt, "observedAt");
        assertEq(a.publishedAt, b.publishedAt, "publishedAt");
    }
}

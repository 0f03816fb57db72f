// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IFxOracle} from "../../../src/interfaces/IFxOracle.sol";
import {ObservationCodec} from "../../../src/libraries/ObservationCodec.sol";
import {FxOracle} from "../../../src/oracle/FxOracle.sol";
import {ParticipantRegistry} from "../../../src/registry/ParticipantRegistry.sol";
import {GovernanceHandler} from "./GovernanceHandler.sol";
import {ReachCounter} from "./ReachCounter.sol";

/// @notice Drives the FxOracle on two EUR legs (EUR/CNY, EUR/THB) and the configured cross CNY/THB:
///         - honest reporters agree on a true mid that walks (now and then jumping past a breaker) and
///           publish with exactly the quorum in force;
///         - a faulty reporter joins rounds with an arbitrary mid, observation time and sequence, and
///           submits them itself (front-running with the honest reports);
///         - a stranger signs with a key that holds no role; the operator reconfigures breakers and the
///           cross (its right) and tries to resume pairs or reset sequences (not its right); the
///           regulator resumes and resets; time moves.
///         Ghost records: a model of every breaker (direct and cross), rounds where a tolerated faulty
///         minority changed what was stored, and honest rounds refused while the honest reporters
///         alone met the quorum.
contract OracleHandler is ReachCounter, CommonBase, StdCheats, StdUtils {
    FxOracle public immutable fx;
    ParticipantRegistry public immutable registry;
    GovernanceHandler public immutable governance;
    address public immutable operator;
    uint256 internal immutable _strangerKey;
    uint32 internal immutable _maxAge;
    uint16 internal immutable _band;

    bytes6 public constant CNY = "EURCNY";
    bytes6 public constant THB = "EURTHB";
    bytes6 public constant CROSS = "CNYTHB";

    address[] internal _reporters;
    uint256[] internal _keys;
    mapping(address account => bool) public isFaulty;

    mapping(bytes6 pairId => uint256) public truth;
    mapping(bytes6 pairId => uint256) public ghostLastMid;
    mapping(bytes6 pairId => bool) public ghostHalted;
    mapping(bytes6 pairId => uint256) public ghostBreaker;
    bool public ghostCrossListed = true;

    /// @notice Accepted rounds with a faulty report the oracle tolerates (2f < quorum) whose stored
    ///         mid, observation time or sequence differs from the honest value (must stay 0).
    uint256 public ghostMedianCaptured;
    /// @notice Honest rounds refused although the honest reporters alone met the quorum (must stay 0).
    uint256 public ghostLivenessFailures;
    /// @notice Settlement reads served for a pair the breaker model says is halted (must stay 0).
    uint256 public ghostHaltedReads;
    uint256 public ghostToleratedFaultyRounds;

    constructor(
        FxOracle fx_,
        GovernanceHandler governance_,
        address operator_,
        address[] memory reporters_,
        uint256[] memory keys_,
        address[] memory faulty_,
        uint32 maxAge_,
        uint16 band_,
        uint16 breaker_
    ) {
        fx = fx_;
        registry = ParticipantRegistry(address(fx_.registry()));
        governance = governance_;
        operator = operator_;
        (, _strangerKey) = makeAddrAndKey("strangerReporterKey");
        _reporters = reporters_;
        _keys = keys_;
        for (uint256 i; i < faulty_.length; ++i) {
            isFaulty[faulty_[i]] = true;
        }
        (_maxAge, _band) = (maxAge_, band_);
        truth[CNY] = 7_8000_0000;
        truth[THB] = 37_5000_0000;
        (ghostBreaker[CNY], ghostBreaker[THB], ghostBreaker[CROSS]) = (breaker_, breaker_, breaker_);
        _declare("honestPublish", this.honestPublish.selector, false);
        _declare("faultyPublish", this.faultyPublish.selector, false);
        _declare("regulatorResume", this.regulatorResume.selector, false);
        _declare("regulatorResetSequence", this.regulatorResetSequence.selector, false);
        _declare("operatorConfigurePair", this.operatorConfigurePair.selector, false);
        _declare("operatorConfigureCross", this.operatorConfigureCross.selector, false);
        _declare("operatorSetHolidays", this.operatorSetHolidays.selector, false);
        _declare("readRate", this.readRate.selector, false);
        _declare("warp", this.warp.selector, false);
        _declare("strangerPublish", this.strangerPublish.selector, true);
        _declare("operatorResumes", this.operatorResumes.selector, true);
        _declare("operatorResetsSequence", this.operatorResetsSequence.selector, true);
    }

    /// @notice Not an action: the setUp's first round on both legs, so breakers have a reference from the start.
    function seedHistory() external {
        bytes6[] memory pairs = _pairsOf(2);
        uint256[] memory honest = _holders(false);
        (uint256 inForce,,) = fx.quorum();
        uint256[] memory observations = new uint256[](inForce * 2);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](inForce);
        for (uint256 r; r < inForce; ++r) {
            uint256[] memory report = new uint256[](2);
            for (uint256 j; j < 2; ++j) {
                report[j] = _honestWord(pairs[j], 1);
                observations[r * 2 + j] = report[j];
            }
            signatures[r] = _sign(_keys[honest[r]], report);
        }
        fx.publish(observations, signatures);
        _afterRound(pairs);
    }

    // ─── reporters ───────────────────────────────────────────────────────────────────────

    /// @dev The honest reporters (exactly the quorum in force) publish one or both legs at a new true mid.
    function honestPublish(uint256 pairSeed, uint256 moveSeed) external {
        bytes6[] memory pairs = _pairsOf(pairSeed);
        for (uint256 j; j < pairs.length; ++j) {
            truth[pairs[j]] = _move(truth[pairs[j]], uint256(keccak256(abi.encode(moveSeed, j))));
        }
        (uint256 inForce,,) = fx.quorum();
        uint256[] memory honest = _holders(false);
        if (honest.length < inForce) {
            _count("honestPublish", false); // more than the tolerated number are faulty or gone
            return;
        }
        uint256 sequence = _nextSequence(pairs);
        uint256[] memory observations = new uint256[](inForce * pairs.length);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](inForce);
        for (uint256 r; r < inForce; ++r) {
            uint256[] memory report = new uint256[](pairs.length);
            for (uint256 j; j < pairs.length; ++j) {
                report[j] = _honestWord(pairs[j], sequence);
                observations[r * pairs.length + j] = report[j];
            }
            signatures[r] = _sign(_keys[honest[r]], report);
        }
        vm.prank(_reporters[honest[0]]);
        try fx.publish(observations, signatures) {
            _count("honestPublish", true);
            for (uint256 j; j < pairs.length; ++j) {
                if (fx.pair(pairs[j]).lastMid != truth[pairs[j]]) ++ghostMedianCaptured;
            }
            _afterRound(pairs);
        } catch {
            ++ghostLivenessFailures;
            _count("honestPublish", false);
        }
    }

    /// @dev One faulty reporter joins quorum - 1 honest ones with an arbitrary report and submits the round.
    function faultyPublish(uint256 seed, uint256 fMid, uint256 fAge, uint256 fSequence) external {
        bytes6 pairId = seed % 2 == 0 ? CNY : THB;
        truth[pairId] = _moveSmall(truth[pairId], seed >> 8);
        (uint256 inForce,,) = fx.quorum();
        uint256[] memory honest = _holders(false);
        uint256[] memory faulty = _holders(true);
        if (faulty.length == 0 && honest.length > 0) {
            // f = 1 is about any single reporter: with the designated one gone, an honest one turns faulty
            faulty = new uint256[](1);
            faulty[0] = honest[seed % honest.length];
            honest = _without(honest, seed % honest.length);
        }
        if (faulty.length == 0 || honest.length + 1 < inForce) {
            _count("faultyPublish", false);
            return;
        }
        uint256 last = fx.pair(pairId).lastSequence;
        uint256 honestSequence = last + 1;
        uint256 faultyWord = _faultyWord(pairId, seed, fMid, fAge, fSequence, last);
        uint256 at = (seed >> 16) % inForce; // where the faulty report sits
        uint256[] memory observations = new uint256[](inForce);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](inForce);
        uint256 h;
        for (uint256 r; r < inForce; ++r) {
            uint256[] memory report = new uint256[](1);
            uint256 key;
            if (r == at) {
                (report[0], key) = (faultyWord, _keys[faulty[0]]);
            } else {
                (report[0], key) = (_honestWord(pairId, honestSequence), _keys[honest[h++]]);
            }
            observations[r] = report[0];
            signatures[r] = _sign(key, report);
        }
        vm.prank(_reporters[faulty[0]]);
        try fx.publish(observations, signatures) {
            _count("faultyPublish", true);
            IFxOracle.Pair memory state = fx.pair(pairId);
            if (2 < inForce) {
                // 2f < q with f = 1: the stored values must be exactly the honest ones
                ++ghostToleratedFaultyRounds;
                bool moved = state.lastMid != truth[pairId] || state.lastObservedAt != vm.getBlockTimestamp()
                    || state.lastSequence != honestSequence;
                if (moved) ++ghostMedianCaptured;
            }
            bytes6[] memory pairs = new bytes6[](1);
            pairs[0] = pairId;
            _afterRound(pairs);
        } catch {
            _count("faultyPublish", false);
        }
    }

    /// @dev A key without REPORTER_ROLE (a stranger's, or a reporter's who renounced) signs with honest ones.
    function strangerPublish(uint256 seed) external {
        bytes6 pairId = seed % 2 == 0 ? CNY : THB;
        (uint256 inForce,,) = fx.quorum();
        uint256[] memory honest = _holders(false);
        uint256 key = _strangerKey;
        for (uint256 i; i < _keys.length; ++i) {
            uint256 index = (seed % _keys.length + i) % _keys.length;
            if (!_isReporter(_reporters[index]) && (seed >> 8) % 2 == 0) {
                key = _keys[index];
                break;
            }
        }
        uint256 k = honest.length + 1 < inForce ? honest.length + 1 : inForce;
        uint256 sequence = fx.pair(pairId).lastSequence + 1;
        uint256[] memory observations = new uint256[](k);
        IFxOracle.Signature[] memory signatures = new IFxOracle.Signature[](k);
        for (uint256 r; r < k; ++r) {
            uint256[] memory report = new uint256[](1);
            report[0] = _honestWord(pairId, sequence);
            observations[r] = report[0];
            signatures[r] = _sign(r + 1 == k ? key : _keys[honest[r]], report);
        }
        try fx.publish(observations, signatures) {
            _count("strangerPublish", true);
        } catch {
            _count("strangerPublish", false);
        }
    }

    // ─── regulator ───────────────────────────────────────────────────────────────────────

    function regulatorResume(uint256 seed) external {
        bytes6 pairId = _pickHalted(seed);
        vm.prank(governance.currentRegulator());
        try fx.resume(pairId) {
            ghostHalted[pairId] = false;
            _count("regulatorResume", true);
        } catch {
            _count("regulatorResume", false);
        }
    }

    function regulatorResetSequence(uint256 seed) external {
        bytes6 pairId = seed % 2 == 0 ? CNY : THB;
        if (fx.pair(pairId).lastSequence == 0) pairId = pairId == CNY ? THB : CNY;
        vm.prank(governance.currentRegulator());
        try fx.resetSequence(pairId) {
            _count("regulatorResetSequence", true);
        } catch {
            _count("regulatorResetSequence", false);
        }
    }

    // ─── operator ────────────────────────────────────────────────────────────────────────

    function operatorConfigurePair(uint256 seed, uint256 breaker) external {
        bytes6 pairId = seed % 2 == 0 ? CNY : THB;
        breaker = bound(breaker, 100, 2000);
        vm.prank(operator);
        try fx.configurePair(pairId, _maxAge, _band, uint16(breaker), true) {
            ghostBreaker[pairId] = breaker;
            _count("operatorConfigurePair", true);
        } catch {
            _count("operatorConfigurePair", false);
        }
    }

    /// @dev Changes the cross's threshold, and now and then delists and relists it.
    function operatorConfigureCross(uint256 seed, uint256 breaker) external {
        breaker = bound(breaker, 100, 2000);
        bool listed = seed % 4 != 0;
        vm.prank(operator);
        try fx.configureCross(CROSS, uint16(breaker), listed) {
            if (listed && !ghostCrossListed) ghostLastMid[CROSS] = _crossMid();
            ghostCrossListed = listed;
            ghostBreaker[CROSS] = breaker;
            _count("operatorConfigureCross", true);
        } catch {
            _count("operatorConfigureCross", false);
        }
    }

    function operatorSetHolidays(uint256 day, bool holiday) external {
        uint256[] memory days_ = new uint256[](1);
        days_[0] = bound(day, 40_000, 50_000); // far in the future: today's staleness is untouched
        vm.prank(operator);
        try fx.setHolidays(days_, holiday) {
            _count("operatorSetHolidays", true);
        } catch {
            _count("operatorSetHolidays", false);
        }
    }

    function operatorResumes(uint256 seed) external {
        bytes6 pairId = _pickHalted(seed);
        vm.prank(operator);
        try fx.resume(pairId) {
            _count("operatorResumes", true);
        } catch {
            _count("operatorResumes", false);
        }
    }

    function operatorResetsSequence(uint256 seed) external {
        bytes6 pairId = seed % 2 == 0 ? CNY : THB;
        vm.prank(operator);
        try fx.resetSequence(pairId) {
            _count("operatorResetsSequence", true);
        } catch {
            _count("operatorResetsSequence", false);
        }
    }

    // ─── anyone ──────────────────────────────────────────────────────────────────────────

    /// @dev A settlement read of a leg, the cross or an inverse; it must never serve a halted pair.
    function readRate(uint256 seed) external {
        bytes3[2][5] memory reads = [
            [bytes3("EUR"), "CNY"],
            [bytes3("EUR"), "THB"],
            [bytes3("CNY"), "THB"],
            [bytes3("THB"), "CNY"],
            [bytes3("CNY"), "EUR"]
        ];
        bytes6[5] memory state = [CNY, THB, CROSS, CROSS, CNY];
        uint256 i = seed % 5;
        try fx.settlementRate(reads[i][0], reads[i][1]) returns (uint256 mid, uint256) {
            if (ghostHalted[state[i]] || mid == 0) ++ghostHaltedReads;
            _count("readRate", true);
        } catch {
            _count("readRate", false);
        }
    }

    function warp(uint256 secondsForward) external {
        vm.warp(vm.getBlockTimestamp() + bound(secondsForward, 0, 12 hours));
        _count("warp", true);
    }

    // ─── the breaker model ───────────────────────────────────────────────────────────────

    /// @dev Mirrors the rule for every pair the round moved: a live pair with a previous value halts when
    ///      its stored mid moved more than its threshold; then the cross, judged on its own move.
    function _afterRound(bytes6[] memory pairs) private {
        for (uint256 j; j < pairs.length; ++j) {
            _judge(pairs[j], fx.pair(pairs[j]).lastMid);
        }
        if (ghostCrossListed) {
            uint256 mid = _crossMid();
            if (mid != 0 && mid != ghostLastMid[CROSS]) _judge(CROSS, mid);
        }
    }

    function _judge(bytes6 pairId, uint256 mid) private {
        uint256 previous = ghostLastMid[pairId];
        if (previous != 0 && !ghostHalted[pairId]) {
            uint256 jump = (mid > previous ? mid - previous : previous - mid) * 10_000 / previous;
            if (jump > ghostBreaker[pairId]) ghostHalted[pairId] = true;
        }
        ghostLastMid[pairId] = mid;
    }

    function _crossMid() private view returns (uint256) {
        (uint256 base, uint256 quote) = (ghostLastMid[CNY], ghostLastMid[THB]);
        if (base == 0 || quote == 0) return 0;
        uint256 mid = quote * 1e8 / base;
        return mid > type(uint48).max ? type(uint48).max : mid;
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────

    /// @dev Indices of the current holders of REPORTER_ROLE among the known keys, faulty or honest.
    function _holders(bool faulty) private view returns (uint256[] memory list) {
        uint256 n;
        list = new uint256[](_reporters.length);
        for (uint256 i; i < _reporters.length; ++i) {
            if (isFaulty[_reporters[i]] == faulty && _isReporter(_reporters[i])) list[n++] = i;
        }
        assembly ("memory-safe") {
            mstore(list, n)
        }
    }

    function _without(uint256[] memory list, uint256 index) private pure returns (uint256[] memory out) {
        out = new uint256[](list.length - 1);
        uint256 n;
        for (uint256 i; i < list.length; ++i) {
            if (i != index) out[n++] = list[i];
        }
    }

    function _isReporter(address account) private view returns (bool) {
        return registry.hasRole(registry.REPORTER_ROLE(), account);
    }

    function _pairsOf(uint256 seed) private pure returns (bytes6[] memory pairs) {
        uint256 choice = seed % 3;
        pairs = new bytes6[](choice == 2 ? 2 : 1);
        if (choice == 2) (pairs[0], pairs[1]) = (CNY, THB);
        else pairs[0] = choice == 0 ? CNY : THB;
    }

    function _nextSequence(bytes6[] memory pairs) private view returns (uint256 next) {
        for (uint256 j; j < pairs.length; ++j) {
            uint256 last = fx.pair(pairs[j]).lastSequence;
            if (last + 1 > next) next = last + 1;
        }
    }

    function _honestWord(bytes6 pairId, uint256 sequence) private view returns (uint256) {
        uint256 mid = truth[pairId];
        return ObservationCodec.encode(
            pairId, mid, mid - mid / 10_000, mid + mid / 10_000, vm.getBlockTimestamp(), 1, sequence
        );
    }

    /// @dev Mostly a plausible lie (within the band, a past time, a sequence anywhere above the last);
    ///      now and then a wild mid, a time in the future or a sequence that is not new.
    function _faultyWord(bytes6 pairId, uint256 seed, uint256 fMid, uint256 fAge, uint256 fSequence, uint256 last)
        private
        view
        returns (uint256)
    {
        uint256 honestMid = truth[pairId];
        uint256 mid = (seed >> 24) % 4 == 0
            ? bound(fMid, 1, type(uint48).max / 2)
            : bound(fMid, honestMid - honestMid * 45 / 10_000, honestMid + honestMid * 45 / 10_000);
        uint256 observedAt =
            (seed >> 32) % 8 == 0 ? vm.getBlockTimestamp() + 1 : vm.getBlockTimestamp() - bound(fAge, 0, 3 hours);
        uint256 sequence = (seed >> 40) % 8 == 0 ? last : bound(fSequence, last + 1, 2 ** 24 - 1);
        uint256 bid = mid - mid / 10_000;
        return ObservationCodec.encode(pairId, mid, bid == 0 ? 1 : bid, mid + mid / 10_000, observedAt, 9, sequence);
    }

    /// @dev Two moves in three are small (up to 3 %), one is a jump of 6-30 % (past the default breaker,
    ///      and past most thresholds the operator sets).
    function _move(uint256 mid, uint256 seed) private pure returns (uint256) {
        uint256 bps = seed % 3 == 0 ? 600 + (seed >> 8) % 2400 : (seed >> 8) % 300;
        uint256 next = (seed >> 20) % 2 == 0 ? mid + mid * bps / 10_000 : mid - mid * bps / 10_000;
        return next < 1e7 ? 1e7 : next > 1e11 ? 1e11 : next;
    }

    function _moveSmall(uint256 mid, uint256 seed) private pure returns (uint256) {
        uint256 bps = seed % 100;
        uint256 next = (seed >> 8) % 2 == 0 ? mid + mid * bps / 10_000 : mid - mid * bps / 10_000;
        return next < 1e7 ? 1e7 : next > 1e11 ? 1e11 : next;
    }

    function _pickHalted(uint256 seed) private view returns (bytes6) {
        bytes6[3] memory all = [CNY, THB, CROSS];
        for (uint256 i; i < 3; ++i) {
            bytes6 pairId = all[(seed % 3 + i) % 3];
            if (fx.pair(pairId).halted) return pairId;
        }
        return all[seed % 3];
    }

    function _sign(uint256 key, uint256[] memory report) private view returns (IFxOracle.Signature memory) {
        (bytes32 r, bytes32 vs) = vm.signCompact(key, fx.reportDigest(report));
        return IFxOracle.Signature(r, vs);
    }
}

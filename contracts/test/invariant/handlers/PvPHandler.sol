// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IPvPEscrow} from "../../../src/interfaces/IPvPEscrow.sol";
import {SettlementToken} from "../../../src/tokens/SettlementToken.sol";
import {FeeOnTransferToken} from "../../mocks/FeeOnTransferToken.sol";
import {SettlementHandlerBase, SettlementWorld} from "./SettlementHandlerBase.sol";

/// @notice Every entry point of the PvP escrow, in both directions of the CNY/HKD pair: direct
///         settlement (some with a bad signature), escrow mode (first and second funding, relayed or
///         direct, and reclaims after the deadline), netted batches, `check`, a bank trying to burn
///         another bank's nonce by naming it party A, and a fee-on-transfer token pushed through the
///         escrow. Ghost records: value parked per token, swaps where one leg moved without the other,
///         batches whose result differs from gross settlement, swaps settled with a restricted party.
contract PvPHandler is SettlementHandlerBase {
    struct Parked {
        IPvPEscrow.Swap swap;
        IPvPEscrow.Leg leg; // the leg funded first
        bool open; // neither completed nor reclaimed
        bool probe; // names a party A that never signed it: only reclaimable, never completed
    }

    /// @dev Both directions of the pair: CNY sold for HKD at `rate`, HKD sold for CNY at `inverse`.
    uint256 public immutable rate;
    uint256 public immutable inverse;
    FeeOnTransferToken public immutable feeToken;

    mapping(address party => uint256 nonce) internal _nonces;
    Parked[] internal _parked;
    /// @dev (party, nonce) pairs used in swaps that party never signed: none may ever be consumed.
    address[] internal _probeParties;
    uint256[] internal _probeNonces;
    uint256 internal _probeCounter;

    mapping(address token => uint256) public ghostParked;
    /// @notice Calls where exactly one leg of a swap moved, or moved by the wrong amount (must stay 0).
    uint256 public ghostHalfSettled;
    /// @notice Batches whose netted result differed from gross settlement of the swaps it accepted (must stay 0).
    uint256 public ghostNetMismatch;
    /// @notice Swaps a batch settled although a party was restricted in one of its currencies (must stay 0).
    uint256 public ghostRestrictedSettled;
    /// @notice Fundings a stranger achieved by replaying a settle signature (must stay 0).
    uint256 public ghostReplayedFunding;
    /// @notice Escrow operations with the fee-on-transfer token that succeeded (must stay 0).
    uint256 public ghostFeeTokenAccepted;

    constructor(SettlementWorld memory world, uint256 rate_, uint256 inverse_, FeeOnTransferToken feeToken_)
        SettlementHandlerBase(world)
    {
        rate = rate_;
        inverse = inverse_;
        feeToken = feeToken_;
        _declare(IPvPEscrow.settle.selector, "PvPEscrow.settle");
        _declare(IPvPEscrow.fund.selector, "PvPEscrow.fund");
        _declare(IPvPEscrow.reclaim.selector, "PvPEscrow.reclaim");
        _declare(IPvPEscrow.settleBatch.selector, "PvPEscrow.settleBatch");
        _declare(IPvPEscrow.check.selector, "PvPEscrow.check");
    }

    // ─── direct settlement ───────────────────────────────────────────────────────────────

    function settle(uint256 aSeed, uint256 bSeed, uint256 amount, bool flip, bool corrupt, uint256 callerSeed)
        external
        observed
    {
        (IPvPEscrow.Swap memory swap, IPvPEscrow.Signature memory sigA, IPvPEscrow.Signature memory sigB) = _make(aSeed, bSeed, amount, flip);
        if (corrupt) sigB = sigA;
        uint256 aBefore = _balance(swap.tokenA, swap.partyA);
        uint256 bBefore = _balance(swap.tokenB, swap.partyB);
        vm.prank(_caller(callerSeed));
        try _world.pvp.settle(swap, sigA, sigB) {
            _record(IPvPEscrow.settle.selector, true);
        } catch {
            _record(IPvPEscrow.settle.selector, false);
        }
        _checkBothOrNone(swap, aBefore, bBefore);
    }

    // ─── escrow mode ─────────────────────────────────────────────────────────────────────

    /// @notice The first funding of a swap, by its payer or relayed with the payer's signature.
    function fund(uint256 aSeed, uint256 bSeed, uint256 amount, bool flip, bool legB, bool relayed)
        external
        observed
    {
        (IPvPEscrow.Swap memory swap,,) = _make(aSeed, bSeed, amount, flip);
        _fundFirst(swap, legB ? IPvPEscrow.Leg.B : IPvPEscrow.Leg.A, relayed, false);
    }

    /// @notice The second funding of a parked swap: settles both legs.
    function completeFunding(uint256 seed, bool relayed, uint256 callerSeed) external observed {
        (bool found, uint256 i) = _openParked(seed);
        if (!found || _parked[i].probe) return;
        Parked memory parked = _parked[i];
        IPvPEscrow.Swap memory swap = parked.swap;
        IPvPEscrow.Leg second = parked.leg == IPvPEscrow.Leg.A ? IPvPEscrow.Leg.B : IPvPEscrow.Leg.A;
        (address payer, address token, uint256 amount) = _leg(swap, second);
        (, address parkedToken, uint256 parkedAmount) = _leg(swap, parked.leg);
        bytes memory signature = relayed ? _signFunding(_keyOf(payer), _swapDigest(swap, address(_world.pvp)), second, address(_world.pvp)) : bytes("");
        uint256 payerBefore = _balance(token, payer);
        uint256 aReceives = _balance(swap.tokenB, swap.partyA);
        uint256 bReceives = _balance(swap.tokenA, swap.partyB);
        vm.prank(relayed ? _caller(callerSeed) : payer);
        try _world.pvp.fund(swap, second, signature) {
            _record(IPvPEscrow.fund.selector, true);
            _parked[i].open = false;
            ghostParked[parkedToken] -= parkedAmount;
            if (_balance(token, payer) + amount != payerBefore) ++ghostHalfSettled;
            // Each party ends up with the other's leg (each pays only in its own leg's token).
            if (_balance(swap.tokenB, swap.partyA) != aReceives + swap.amountB) ++ghostHalfSettled;
            if (_balance(swap.tokenA, swap.partyB) != bReceives + swap.amountA) ++ghostHalfSettled;
        } catch {
            _record(IPvPEscrow.fund.selector, false);
        }
    }

    /// @notice After the deadline (warping there when asked), a parked leg goes back to its payer.
    function reclaim(uint256 seed, bool waitForDeadline, uint256 callerSeed) external observed {
        (bool found, uint256 i) = _openParked(seed);
        if (!found) return;
        Parked memory parked = _parked[i];
        if (waitForDeadline && vm.getBlockTimestamp() <= parked.swap.deadline) vm.warp(parked.swap.deadline + 1);
        (address payer, address token, uint256 amount) = _leg(parked.swap, parked.leg);
        uint256 before = _balance(token, payer);
        vm.prank(_caller(callerSeed));
        try _world.pvp.reclaim(parked.swap, parked.leg) {
            _record(IPvPEscrow.reclaim.selector, true);
            _parked[i].open = false;
            ghostParked[token] -= amount;
            if (_balance(token, payer) != before + amount) ++ghostHalfSettled;
        } catch {
            _record(IPvPEscrow.reclaim.selector, false);
        }
    }

    /// @notice A bank funds leg B of a dust swap naming a victim as party A with a nonce the victim never
    ///         signed. The victim's nonce must stay unused whatever happens to the swap.
    function burnNonce(uint256 victimSeed, uint256 attackerSeed, bool flip) external observed {
        (address victim,, address attacker,) = _pair(victimSeed, attackerSeed);
        uint256 nonce = (1 << 200) + _probeCounter++;
        IPvPEscrow.Swap memory swap = _terms(victim, attacker, 1_000_00, flip, nonce);
        _probeParties.push(victim);
        _probeNonces.push(nonce);
        _fundFirst(swap, IPvPEscrow.Leg.B, false, true);
    }

    /// @notice A stranger replays the parties' settle signatures (public in every settle calldata) through
    ///         `fund`, before or after the swap settles: it must never park anyone's funds.
    function replaySettleSignature(uint256 aSeed, uint256 bSeed, uint256 amount, bool flip, bool settleFirst, bool legB)
        external
        observed
    {
        (IPvPEscrow.Swap memory swap, IPvPEscrow.Signature memory sigA, IPvPEscrow.Signature memory sigB) = _make(aSeed, bSeed, amount, flip);
        if (settleFirst) {
            try _world.pvp.settle(swap, sigA, sigB) {} catch {}
        }
        vm.prank(_world.stranger);
        try _world.pvp.fund(swap, legB ? IPvPEscrow.Leg.B : IPvPEscrow.Leg.A, _expand(legB ? sigB : sigA)) {
            ++ghostReplayedFunding;
        } catch {}
    }

    // ─── netted batches ──────────────────────────────────────────────────────────────────

    function settleBatch(uint256 seed, uint8 size, uint8 corruptIndex, uint256 callerSeed) external observed {
        size = uint8(bound(size, 1, 10));
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](size);
        IPvPEscrow.Signature[] memory sigsA = new IPvPEscrow.Signature[](size);
        IPvPEscrow.Signature[] memory sigsB = new IPvPEscrow.Signature[](size);
        bool[] memory restricted = new bool[](size);
        for (uint256 i; i < size; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            (swaps[i], sigsA[i], sigsB[i]) = _make(s, s >> 128, s >> 64, s & 1 == 1);
            restricted[i] = _restricted(swaps[i]);
        }
        if (corruptIndex < size) sigsB[corruptIndex] = sigsA[corruptIndex];
        uint256[] memory before = _bankBalances();
        vm.prank(_caller(callerSeed));
        try _world.pvp.settleBatch(swaps, sigsA, sigsB) {
            _record(IPvPEscrow.settleBatch.selector, true);
            _checkBatch(swaps, restricted, before);
        } catch {
            _record(IPvPEscrow.settleBatch.selector, false);
        }
    }

    /// @notice `check` is a view: it must answer (never revert) for any terms.
    function check(uint256 aSeed, uint256 bSeed, uint256 amount, bool flip, bool corrupt) external {
        (IPvPEscrow.Swap memory swap, IPvPEscrow.Signature memory sigA, IPvPEscrow.Signature memory sigB) = _make(aSeed, bSeed, amount, flip);
        try _world.pvp.check(swap, sigA, corrupt ? sigA : sigB) returns (IPvPEscrow.Rejection) {
            _record(IPvPEscrow.check.selector, true);
        } catch {
            _record(IPvPEscrow.check.selector, false);
        }
    }

    // ─── a fee-on-transfer token through the escrow ──────────────────────────────────────

    /// @notice Parks a fee-on-transfer leg, or nets a batch through it: the escrow must refuse both,
    ///         or it would pay this leg out of other parked legs.
    function feeTokenThroughEscrow(uint256 aSeed, uint256 bSeed, uint256 amount, bool batch) external observed {
        (address a, uint256 keyA, address b, uint256 keyB) = _pair(aSeed, bSeed);
        amount = bound(amount, 1_000_00, 20_000_00);
        IPvPEscrow.Swap memory swap = IPvPEscrow.Swap({
            partyA: a,
            tokenA: address(_world.tokens[0]),
            amountA: amount,
            partyB: b,
            tokenB: address(feeToken),
            amountB: amount, // the stub oracle quotes CNY/FOT at 1.0
            rate: 1e18,
            maxDeviationBps: 50,
            deadline: uint64(vm.getBlockTimestamp() + 1 hours),
            nonce: _nonces[a]++
        });
        if (!batch) {
            vm.prank(b);
            try _world.pvp.fund(swap, IPvPEscrow.Leg.B, "") {
                ++ghostFeeTokenAccepted;
            } catch {}
            return;
        }
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](1);
        IPvPEscrow.Signature[] memory sigsA = new IPvPEscrow.Signature[](1);
        IPvPEscrow.Signature[] memory sigsB = new IPvPEscrow.Signature[](1);
        swaps[0] = swap;
        sigsA[0] = _signSwap(keyA, swap, address(_world.pvp));
        sigsB[0] = _signSwap(keyB, swap, address(_world.pvp));
        try _world.pvp.settleBatch(swaps, sigsA, sigsB) returns (uint256, uint256 settled) {
            if (settled > 0) ++ghostFeeTokenAccepted;
        } catch {}
    }

    // ─── views for the invariants ────────────────────────────────────────────────────────

    /// @notice True when no (party, nonce) that the party never signed has been consumed.
    function probesUnused() external view returns (bool) {
        for (uint256 i; i < _probeParties.length; ++i) {
            if (_world.pvp.nonceUsed(_probeParties[i], _probeNonces[i])) return false;
        }
        return true;
    }

    function probeCount() external view returns (uint256) {
        return _probeParties.length;
    }

    // ─── internals ───────────────────────────────────────────────────────────────────────

    function _fundFirst(IPvPEscrow.Swap memory swap, IPvPEscrow.Leg leg, bool relayed, bool probe) private {
        (address payer, address token, uint256 amount) = _leg(swap, leg);
        bytes memory signature = relayed ? _signFunding(_keyOf(payer), _swapDigest(swap, address(_world.pvp)), leg, address(_world.pvp)) : bytes("");
        uint256 before = _balance(token, payer);
        vm.prank(relayed ? _world.stranger : payer);
        try _world.pvp.fund(swap, leg, signature) {
            _record(IPvPEscrow.fund.selector, true);
            _parked.push(Parked({swap: swap, leg: leg, open: true, probe: probe}));
            ghostParked[token] += amount;
            if (_balance(token, payer) + amount != before) ++ghostHalfSettled;
        } catch {
            _record(IPvPEscrow.fund.selector, false);
        }
    }

    /// @dev Compares every bank's balances with gross settlement of exactly the swaps the batch
    ///      settled (those whose nonce it consumed), and checks none of them had a restricted party.
    function _checkBatch(IPvPEscrow.Swap[] memory swaps, bool[] memory restricted, uint256[] memory before) private {
        uint256 banks = _world.banks.length;
        int256[] memory expected = new int256[](2 * banks);
        for (uint256 k; k < 2 * banks; ++k) {
            expected[k] = int256(before[k]);
        }
        for (uint256 i; i < swaps.length; ++i) {
            IPvPEscrow.Swap memory swap = swaps[i];
            if (!_world.pvp.nonceUsed(swap.partyA, swap.nonce)) continue; // skipped by the batch
            if (restricted[i]) ++ghostRestrictedSettled;
            uint256 a = _indexOf(swap.partyA);
            uint256 b = _indexOf(swap.partyB);
            uint256 colA = swap.tokenA == address(_world.tokens[0]) ? 0 : 1;
            expected[2 * a + colA] -= int256(swap.amountA);
            expected[2 * b + colA] += int256(swap.amountA);
            expected[2 * b + (1 - colA)] -= int256(swap.amountB);
            expected[2 * a + (1 - colA)] += int256(swap.amountB);
        }
        uint256[] memory afterBatch = _bankBalances();
        for (uint256 k; k < 2 * banks; ++k) {
            if (int256(afterBatch[k]) != expected[k]) ++ghostNetMismatch;
        }
    }

    function _checkBothOrNone(IPvPEscrow.Swap memory swap, uint256 aBefore, uint256 bBefore) private {
        bool legAMoved = _balance(swap.tokenA, swap.partyA) != aBefore;
        bool legBMoved = _balance(swap.tokenB, swap.partyB) != bBefore;
        if (legAMoved != legBMoved) ++ghostHalfSettled;
        if (legAMoved && aBefore - _balance(swap.tokenA, swap.partyA) != swap.amountA) ++ghostHalfSettled;
        if (legBMoved && bBefore - _balance(swap.tokenB, swap.partyB) != swap.amountB) ++ghostHalfSettled;
    }

    function _make(uint256 aSeed, uint256 bSeed, uint256 amount, bool flip)
        private
        returns (IPvPEscrow.Swap memory swap, IPvPEscrow.Signature memory sigA, IPvPEscrow.Signature memory sigB)
    {
        (address a, uint256 keyA, address b, uint256 keyB) = _pair(aSeed, bSeed);
        swap = _terms(a, b, amount, flip, _nonces[a]++);
        sigA = _signSwap(keyA, swap, address(_world.pvp));
        sigB = _signSwap(keyB, swap, address(_world.pvp));
    }

    /// @dev Terms at the oracle mid; amounts from 1,000.00 up, so one minor unit of rounding is far
    ///      inside the 50 bps tolerance.
    function _terms(address a, address b, uint256 amount, bool flip, uint256 nonce)
        private
        view
        returns (IPvPEscrow.Swap memory)
    {
        amount = bound(amount, 1_000_00, 50_000_00);
        uint256 r = flip ? inverse : rate;
        return IPvPEscrow.Swap({
            partyA: a,
            tokenA: address(_world.tokens[flip ? 1 : 0]),
            amountA: amount,
            partyB: b,
            tokenB: address(_world.tokens[flip ? 0 : 1]),
            amountB: amount * r / 1e18,
            rate: r,
            maxDeviationBps: 50,
            deadline: uint64(vm.getBlockTimestamp() + 1 hours),
            nonce: nonce
        });
    }

    function _restricted(IPvPEscrow.Swap memory swap) private view returns (bool) {
        SettlementToken tokenA = SettlementToken(swap.tokenA);
        SettlementToken tokenB = SettlementToken(swap.tokenB);
        return !tokenA.isPermitted(swap.partyA) || !tokenA.isPermitted(swap.partyB) || !tokenB.isPermitted(swap.partyA)
            || !tokenB.isPermitted(swap.partyB);
    }

    function _leg(IPvPEscrow.Swap memory swap, IPvPEscrow.Leg leg)
        private
        pure
        returns (address payer, address token, uint256 amount)
    {
        return leg == IPvPEscrow.Leg.A ? (swap.partyA, swap.tokenA, swap.amountA) : (swap.partyB, swap.tokenB, swap.amountB);
    }

    /// @dev The first parked swap still open at or after `seed` (wrapping).
    function _openParked(uint256 seed) private view returns (bool found, uint256 index) {
        uint256 n = _parked.length;
        for (uint256 k; k < n; ++k) {
            uint256 i = (seed % n + k) % n;
            if (_parked[i].open) return (true, i);
        }
        return (false, 0);
    }

    function _bankBalances() private view returns (uint256[] memory balances) {
        uint256 banks = _world.banks.length;
        balances = new uint256[](2 * banks);
        for (uint256 k; k < banks; ++k) {
            balances[2 * k] = _world.tokens[0].balanceOf(_world.banks[k]);
            balances[2 * k + 1] = _world.tokens[1].balanceOf(_world.banks[k]);
        }
    }

    function _balance(address token, address account) private view returns (uint256) {
        return SettlementToken(token).balanceOf(account);
    }

    function _indexOf(address bank) private view returns (uint256) {
        for (uint256 k; k < _world.banks.length; ++k) {
            if (_world.banks[k] == bank) return k;
        }
        revert("unknown bank");
    }

    function _keyOf(address bank) private view returns (uint256) {
        return _world.keys[_indexOf(bank)];
    }
}

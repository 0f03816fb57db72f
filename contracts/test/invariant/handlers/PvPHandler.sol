// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IPvPEscrow} from "../../../src/interfaces/IPvPEscrow.sol";
import {PvPEscrow} from "../../../src/settlement/PvPEscrow.sol";
import {SettlementToken} from "../../../src/tokens/SettlementToken.sol";

/// @notice Random direct settlements (some with a bad signature) and netted batches among four banks.
///         After every call it compares balances with what gross settlement of exactly the swaps that
///         settled would give, and counts any leg that moved without its counterpart.
contract PvPHandler is CommonBase, StdCheats, StdUtils {
    PvPEscrow public immutable pvp;
    SettlementToken public immutable tokenA;
    SettlementToken public immutable tokenB;
    uint256 public immutable rate;
    address[] public actors;
    uint256[] internal _keys;
    mapping(address party => uint256 nonce) internal _nonces;

    /// @notice Calls where exactly one leg moved (must stay 0).
    uint256 public ghostHalfSettled;
    /// @notice Batches whose netted result differed from gross settlement (must stay 0).
    uint256 public ghostNetMismatch;
    uint256 public ghostSettled;
    uint256 public ghostBatches;

    constructor(
        PvPEscrow pvp_,
        SettlementToken tokenA_,
        SettlementToken tokenB_,
        uint256 rate_,
        address[] memory actors_,
        uint256[] memory keys_
    ) {
        pvp = pvp_;
        tokenA = tokenA_;
        tokenB = tokenB_;
        rate = rate_;
        actors = actors_;
        _keys = keys_;
    }

    function settle(uint256 aSeed, uint256 bSeed, uint256 amount, bool corruptSignature) external {
        (IPvPEscrow.Swap memory swap, bytes memory sigA, bytes memory sigB) = _make(aSeed, bSeed, amount);
        if (corruptSignature) sigB = sigA;
        uint256 aBefore = tokenA.balanceOf(swap.partyA);
        uint256 bBefore = tokenB.balanceOf(swap.partyB);
        try pvp.settle(swap, sigA, sigB) {
            ghostSettled++;
        } catch {}
        bool legAMoved = tokenA.balanceOf(swap.partyA) != aBefore;
        bool legBMoved = tokenB.balanceOf(swap.partyB) != bBefore;
        if (legAMoved != legBMoved) ghostHalfSettled++;
        if (legAMoved && (aBefore - tokenA.balanceOf(swap.partyA) != swap.amountA)) ghostHalfSettled++;
    }

    function settleBatch(uint256 seed, uint8 size, uint8 corruptIndex) external {
        size = uint8(bound(size, 1, 12));
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](size);
        bytes[] memory sigsA = new bytes[](size);
        bytes[] memory sigsB = new bytes[](size);
        for (uint256 i; i < size; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            (swaps[i], sigsA[i], sigsB[i]) = _make(s, s >> 128, s >> 64);
        }
        if (corruptIndex < size) sigsB[corruptIndex] = sigsA[corruptIndex];
        int256[] memory expected = _expectedAfterGross(swaps, corruptIndex);
        try pvp.settleBatch(swaps, sigsA, sigsB) {
            ghostBatches++;
            for (uint256 k; k < actors.length; ++k) {
                if (int256(tokenA.balanceOf(actors[k])) != expected[2 * k]) ghostNetMismatch++;
                if (int256(tokenB.balanceOf(actors[k])) != expected[2 * k + 1]) ghostNetMismatch++;
            }
        } catch {}
    }

    /// @dev Balances gross settlement of every uncorrupted swap would leave, leg by leg.
    function _expectedAfterGross(IPvPEscrow.Swap[] memory swaps, uint256 corruptIndex)
        private
        view
        returns (int256[] memory balances)
    {
        balances = new int256[](2 * actors.length);
        for (uint256 k; k < actors.length; ++k) {
            balances[2 * k] = int256(tokenA.balanceOf(actors[k]));
            balances[2 * k + 1] = int256(tokenB.balanceOf(actors[k]));
        }
        for (uint256 i; i < swaps.length; ++i) {
            if (i == corruptIndex) continue;
            uint256 a = _index(swaps[i].partyA);
            uint256 b = _index(swaps[i].partyB);
            balances[2 * a] -= int256(swaps[i].amountA);
            balances[2 * b] += int256(swaps[i].amountA);
            balances[2 * b + 1] -= int256(swaps[i].amountB);
            balances[2 * a + 1] += int256(swaps[i].amountB);
        }
    }

    function _make(uint256 aSeed, uint256 bSeed, uint256 amount)
        private
        returns (IPvPEscrow.Swap memory swap, bytes memory sigA, bytes memory sigB)
    {
        uint256 a = aSeed % actors.length;
        uint256 b = bSeed % actors.length;
        if (a == b) b = (b + 1) % actors.length;
        amount = bound(amount, 100, 10_000_00);
        swap = IPvPEscrow.Swap({
            partyA: actors[a],
            tokenA: address(tokenA),
            amountA: amount,
            partyB: actors[b],
            tokenB: address(tokenB),
            amountB: amount * rate / 1e18,
            rate: rate,
            maxDeviationBps: 10,
            deadline: uint64(vm.getBlockTimestamp() + 1 hours),
            nonce: _nonces[actors[a]]++
        });
        bytes32 id = pvp.swapId(swap);
        sigA = _sign(_keys[a], id);
        sigB = _sign(_keys[b], id);
    }

    function _sign(uint256 key, bytes32 digest) private pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _index(address party) private view returns (uint256) {
        for (uint256 k; k < actors.length; ++k) {
            if (actors[k] == party) return k;
        }
        revert("unknown party");
    }
}

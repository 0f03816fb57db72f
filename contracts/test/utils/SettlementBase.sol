// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHashedTimelockEscrow} from "../../src/interfaces/IHashedTimelockEscrow.sol";
import {IPvPEscrow} from "../../src/interfaces/IPvPEscrow.sol";
import {HashedTimelockEscrow} from "../../src/settlement/HashedTimelockEscrow.sol";
import {PvPEscrow} from "../../src/settlement/PvPEscrow.sol";
import {StubFxOracle} from "../mocks/StubFxOracle.sol";
import {BaseTest} from "./BaseTest.sol";
import {CorridorSigning} from "./CorridorSigning.sol";

/// @notice BaseTest plus the settlement contracts, allowlisted, with every bank's approvals in place
///         and a stub oracle quoting CNY/HKD at 1.0850 and CNY/THB at 4.9500.
abstract contract SettlementBase is BaseTest, CorridorSigning {
    StubFxOracle internal oracle;
    PvPEscrow internal pvp;
    HashedTimelockEscrow internal htlc;

    uint256 internal constant CNY_HKD = 1.085e18;
    uint256 internal constant CNY_THB = 4.95e18;
    uint64 internal constant MAX_LOCK = 2 days;
    bytes32 internal constant SECRET = keccak256("corridor secret");
    address internal quoter;
    uint256 internal quoterKey;

    function setUp() public virtual override {
        super.setUp();
        (quoter, quoterKey) = makeAddrAndKey("quoter");
        oracle = new StubFxOracle();
        oracle.setMid("CNY", "HKD", CNY_HKD);
        oracle.setMid("CNY", "THB", CNY_THB);
        pvp = new PvPEscrow(registry, oracle);
        htlc = new HashedTimelockEscrow(registry, MAX_LOCK);
        vm.startPrank(operator);
        registry.grantRole(registry.QUOTE_SIGNER_ROLE(), quoter);
        registry.setSettlementContract(address(pvp), true);
        registry.setSettlementContract(address(htlc), true);
        pvp.listAsset(address(cny), "CNY", 2, true);
        pvp.listAsset(address(hkd), "HKD", 2, true);
        pvp.listAsset(address(thb), "THB", 2, true);
        vm.stopPrank();
        address[4] memory banks = [alice, bob, carol, dave];
        for (uint256 i; i < banks.length; ++i) {
            vm.startPrank(banks[i]);
            cny.approve(address(pvp), type(uint256).max);
            hkd.approve(address(pvp), type(uint256).max);
            thb.approve(address(pvp), type(uint256).max);
            cny.approve(address(htlc), type(uint256).max);
            hkd.approve(address(htlc), type(uint256).max);
            thb.approve(address(htlc), type(uint256).max);
            vm.stopPrank();
        }
        vm.label(address(pvp), "PvPEscrow");
        vm.label(address(htlc), "HTLC");
    }

    // ─── PvP helpers ─────────────────────────────────────────────────────────────────────

    /// @dev alice sells `amountCny` CNY to bob for HKD at the oracle mid.
    function _swap(uint256 amountCny, uint256 nonce) internal view returns (IPvPEscrow.Swap memory) {
        return IPvPEscrow.Swap({
            partyA: alice,
            tokenA: address(cny),
            amountA: amountCny,
            partyB: bob,
            tokenB: address(hkd),
            amountB: amountCny * CNY_HKD / 1e18,
            rate: CNY_HKD,
            maxDeviationBps: 50,
            deadline: uint64(vm.getBlockTimestamp() + 1 hours),
            nonce: nonce
        });
    }

    /// @dev Signs locally (no call to the escrow), so it can sit between vm.expectRevert and the call.
    function _sign(uint256 key, IPvPEscrow.Swap memory swap) internal view returns (IPvPEscrow.Signature memory) {
        return _signSwap(key, swap, address(pvp));
    }

    function _signFor(uint256 key, IPvPEscrow.Swap memory swap, address escrow)
        internal
        view
        returns (IPvPEscrow.Signature memory)
    {
        return _signSwap(key, swap, escrow);
    }

    // ─── HTLC helpers ────────────────────────────────────────────────────────────────────

    function _hashlock(bytes32 secret) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(secret));
    }

    function _request(address sender, address receiver, uint256 amount, bytes32 secret, uint64 expiry)
        internal
        view
        returns (LockRequest memory request)
    {
        request = LockRequest({
            terms: IHashedTimelockEscrow.LockTerms({
                token: address(cny),
                sender: sender,
                receiver: receiver,
                amount: amount,
                hashlock: _hashlock(secret),
                expiry: expiry
            }),
            swapId: keccak256(abi.encode("swap", secret)),
            quoteHash: bytes32(0),
            quoteValidUntil: uint64(vm.getBlockTimestamp() + 5 minutes)
        });
        _rebind(request);
    }

    /// @dev The quote service's proof for the request's quote, signed by `quoterKey`.
    function _proof(LockRequest memory request)
        internal
        view
        returns (IHashedTimelockEscrow.QuoteProof memory)
    {
        return _proofBy(quoterKey, request);
    }

    function _authorise(uint256 key, LockRequest memory request, uint256 nonce)
        internal
        view
        returns (bytes memory)
    {
        return _authoriseLock(key, request, nonce, address(htlc));
    }
}

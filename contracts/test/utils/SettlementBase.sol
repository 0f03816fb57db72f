// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHashedTimelockEscrow} from "../../src/interfaces/IHashedTimelockEscrow.sol";
import {IPvPEscrow} from "../../src/interfaces/IPvPEscrow.sol";
import {HashedTimelockEscrow} from "../../src/settlement/HashedTimelockEscrow.sol";
import {PvPEscrow} from "../../src/settlement/PvPEscrow.sol";
import {StubFxOracle} from "../mocks/StubFxOracle.sol";
import {BaseTest} from "./BaseTest.sol";

/// @notice BaseTest plus the settlement contracts, allowlisted, with every bank's approvals in place
///         and a stub oracle quoting CNY/HKD at 1.0850 and CNY/THB at 4.9500.
abstract contract SettlementBase is BaseTest {
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
    function _sign(uint256 key, IPvPEscrow.Swap memory swap) internal view returns (bytes memory) {
        return _signFor(key, swap, address(pvp));
    }

    function _signFor(uint256 key, IPvPEscrow.Swap memory swap, address escrow) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _swapDigest(swap, escrow));
        return abi.encodePacked(r, s, v);
    }

    function _swapDigest(IPvPEscrow.Swap memory swap, address escrow) internal view returns (bytes32) {
        bytes32 typehash = keccak256(
            "Swap(address partyA,address tokenA,uint256 amountA,address partyB,address tokenB,uint256 amountB,uint256 rate,uint16 maxDeviationBps,uint64 deadline,uint256 nonce)"
        );
        return keccak256(abi.encodePacked("\x19\x01", _domain("Corridor PvPEscrow", escrow), keccak256(abi.encode(typehash, swap))));
    }

    function _domain(string memory name, address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256("1"),
                block.chainid,
                verifyingContract
            )
        );
    }

    // ─── HTLC helpers ────────────────────────────────────────────────────────────────────

    function _hashlock(bytes32 secret) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(secret));
    }

    function _request(address sender, address receiver, uint256 amount, bytes32 secret, uint64 expiry)
        internal
        view
        returns (IHashedTimelockEscrow.LockRequest memory request)
    {
        request = IHashedTimelockEscrow.LockRequest({
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

    /// @dev The struct hash of the (test) quote terms a request's swap was priced on.
    function _quoteTermsHash(IHashedTimelockEscrow.LockRequest memory request) internal pure returns (bytes32) {
        return keccak256(abi.encode("quote terms", request.swapId));
    }

    /// @dev The quote service's EIP-712 digest, written out independently of the escrow.
    function _quoteDigest(bytes32 termsHash, uint64 validUntil) internal pure returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(keccak256("EIP712Domain(string name,string version)"), keccak256("Corridor Quotes"), keccak256("1"))
        );
        bytes32 typehash = keccak256(
            "Quote(QuoteTerms terms,uint64 validUntil)QuoteTerms(string base,string quote,string side,uint256 amount,uint256 rate,uint256 mid,uint16 spreadBps,uint256 oracleRound,uint64 validFrom,address quoter)"
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, keccak256(abi.encode(typehash, termsHash, validUntil))));
    }

    /// @dev Points the request's quote hash at a quote with its current validity.
    function _rebind(IHashedTimelockEscrow.LockRequest memory request) internal pure {
        request.quoteHash = _quoteDigest(_quoteTermsHash(request), request.quoteValidUntil);
    }

    /// @dev The quote service's proof for the request's quote, signed by `quoterKey`.
    function _proof(IHashedTimelockEscrow.LockRequest memory request)
        internal
        view
        returns (IHashedTimelockEscrow.QuoteProof memory)
    {
        return _proofBy(quoterKey, request);
    }

    function _proofBy(uint256 key, IHashedTimelockEscrow.LockRequest memory request)
        internal
        view
        returns (IHashedTimelockEscrow.QuoteProof memory)
    {
        bytes32 termsHash = _quoteTermsHash(request);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _quoteDigest(termsHash, request.quoteValidUntil));
        return IHashedTimelockEscrow.QuoteProof({termsHash: termsHash, signature: abi.encodePacked(r, s, v)});
    }

    function _authorise(uint256 key, IHashedTimelockEscrow.LockRequest memory request, uint256 nonce)
        internal
        view
        returns (bytes memory)
    {
        bytes32 typehash = keccak256(
            "LockAuthorisation(address token,address sender,address receiver,uint256 amount,bytes32 hashlock,uint64 expiry,bytes32 swapId,bytes32 quoteHash,uint64 quoteValidUntil,uint256 nonce)"
        );
        bytes32 structHash = keccak256(abi.encode(typehash, request, nonce));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", _domain("Corridor HTLC", address(htlc)), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}

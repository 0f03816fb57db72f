// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {IHashedTimelockEscrow} from "../../src/interfaces/IHashedTimelockEscrow.sol";
import {IPvPEscrow} from "../../src/interfaces/IPvPEscrow.sol";

/// @notice The EIP-712 messages Corridor's parties sign, written out independently of the contracts
///         (so a test that compares them catches a contract that hashes differently). Shared by the
///         unit-test fixtures and the invariant handlers. Every signature is made locally with
///         `vm.sign`, never by calling the contract, so it can sit between `vm.expectRevert` and a call.
abstract contract CorridorSigning is CommonBase {
    bytes32 internal constant SWAP_TYPEHASH = keccak256(
        "Swap(address partyA,address tokenA,uint256 amountA,address partyB,address tokenB,uint256 amountB,uint256 rate,uint16 maxDeviationBps,uint64 deadline,uint256 nonce)"
    );
    bytes32 internal constant FUNDING_TYPEHASH = keccak256("Funding(bytes32 swapId,uint8 leg)");
    bytes32 internal constant LOCK_AUTHORISATION_TYPEHASH = keccak256(
        "LockAuthorisation(address token,address sender,address receiver,uint256 amount,bytes32 hashlock,uint64 expiry,bytes32 swapId,bytes32 quoteHash,uint64 quoteValidUntil,uint256 nonce)"
    );
    bytes32 internal constant QUOTE_TYPEHASH = keccak256(
        "Quote(QuoteTerms terms,uint64 validUntil)QuoteTerms(string base,string quote,string side,uint256 amount,uint256 rate,uint256 mid,uint16 spreadBps,uint256 oracleRound,uint64 validFrom,address quoter)"
    );

    // ─── PvP ─────────────────────────────────────────────────────────────────────────────

    function _swapDigest(IPvPEscrow.Swap memory swap, address escrow) internal view returns (bytes32) {
        return _typedDigest(_domain("Corridor PvPEscrow", escrow), keccak256(abi.encode(SWAP_TYPEHASH, swap)));
    }

    /// @dev A party's signature of `swap` in the escrow's compact (EIP-2098) form.
    function _signSwap(uint256 key, IPvPEscrow.Swap memory swap, address escrow)
        internal
        view
        returns (IPvPEscrow.Signature memory)
    {
        (bytes32 r, bytes32 vs) = vm.signCompact(key, _swapDigest(swap, escrow));
        return IPvPEscrow.Signature({r: r, vs: vs});
    }

    /// @dev The 65-byte `r ‖ s ‖ v` form of a compact signature (what a wallet produces).
    function _expand(IPvPEscrow.Signature memory signature) internal pure returns (bytes memory) {
        bytes32 s = signature.vs & bytes32(type(uint256).max >> 1);
        uint8 v = uint8(uint256(signature.vs) >> 255) + 27;
        return abi.encodePacked(signature.r, s, v);
    }

    /// @dev A payer's consent to park its leg of swap `swapId` in escrow mode.
    function _signFunding(uint256 key, bytes32 swapId, IPvPEscrow.Leg leg, address escrow)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(abi.encode(FUNDING_TYPEHASH, swapId, uint8(leg)));
        return _signDigest(key, _typedDigest(_domain("Corridor PvPEscrow", escrow), structHash));
    }

    // ─── HTLC ────────────────────────────────────────────────────────────────────────────

    function _lockDigest(IHashedTimelockEscrow.LockRequest memory request, uint256 nonce, address htlc)
        internal
        view
        returns (bytes32)
    {
        return _typedDigest(
            _domain("Corridor HTLC", htlc), keccak256(abi.encode(LOCK_AUTHORISATION_TYPEHASH, request, nonce))
        );
    }

    function _authoriseLock(uint256 key, IHashedTimelockEscrow.LockRequest memory request, uint256 nonce, address htlc)
        internal
        view
        returns (bytes memory)
    {
        return _signDigest(key, _lockDigest(request, nonce, htlc));
    }

    /// @dev The quote service's EIP-712 digest (domain: name and version only).
    function _quoteDigest(bytes32 termsHash, uint64 validUntil) internal pure returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(keccak256("EIP712Domain(string name,string version)"), keccak256("Corridor Quotes"), keccak256("1"))
        );
        return _typedDigest(domain, keccak256(abi.encode(QUOTE_TYPEHASH, termsHash, validUntil)));
    }

    /// @dev The struct hash of the (test) quote terms a request's swap was priced on.
    function _quoteTermsHash(IHashedTimelockEscrow.LockRequest memory request) internal pure returns (bytes32) {
        return keccak256(abi.encode("quote terms", request.swapId));
    }

    /// @dev Points the request's quote hash at a quote for its swap with its current validity.
    function _rebind(IHashedTimelockEscrow.LockRequest memory request) internal pure {
        request.quoteHash = _quoteDigest(_quoteTermsHash(request), request.quoteValidUntil);
    }

    /// @dev The quote proof for the request's quote, signed by `key`.
    function _proofBy(uint256 key, IHashedTimelockEscrow.LockRequest memory request)
        internal
        pure
        returns (IHashedTimelockEscrow.QuoteProof memory)
    {
        bytes32 termsHash = _quoteTermsHash(request);
        return IHashedTimelockEscrow.QuoteProof({
            termsHash: termsHash,
            signature: _signDigest(key, _quoteDigest(termsHash, request.quoteValidUntil))
        });
    }

    // ─── EIP-712 plumbing ────────────────────────────────────────────────────────────────

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

    function _typedDigest(bytes32 domain, bytes32 structHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _signDigest(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}

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

    /// @dev What a test builds a lock from: the terms plus the swap and quote they belong to, i.e. the fields
    ///      of the sender's `LockAuthorisation` (nonce aside). The escrow's calls take it apart: {_params}
    ///      (what `lock` takes besides the caller), {_proofBy} (the quote), {_claimTerms} (what `claim` takes).
    struct LockRequest {
        IHashedTimelockEscrow.LockTerms terms;
        bytes32 swapId;
        bytes32 quoteHash;
        uint64 quoteValidUntil;
    }

    function _lockDigest(LockRequest memory request, uint256 nonce, address htlc) internal view returns (bytes32) {
        return _typedDigest(
            _domain("Corridor HTLC", htlc), keccak256(abi.encode(LOCK_AUTHORISATION_TYPEHASH, request, nonce))
        );
    }

    function _authoriseLock(uint256 key, LockRequest memory request, uint256 nonce, address htlc)
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
    function _quoteTermsHash(LockRequest memory request) internal pure returns (bytes32) {
        return keccak256(abi.encode("quote terms", request.swapId));
    }

    /// @dev Points the request's quote hash at a quote for its swap with its current validity.
    function _rebind(LockRequest memory request) internal pure {
        request.quoteHash = _quoteDigest(_quoteTermsHash(request), request.quoteValidUntil);
    }

    /// @dev The quote proof for the request's quote (its terms hash and validity), signed by `key`.
    function _proofBy(uint256 key, LockRequest memory request)
        internal
        pure
        returns (IHashedTimelockEscrow.QuoteProof memory proof)
    {
        bytes32 termsHash = _quoteTermsHash(request);
        (bytes32 r, bytes32 vs) =
            _compact(_signDigest(key, _quoteDigest(termsHash, request.quoteValidUntil)));
        proof = IHashedTimelockEscrow.QuoteProof({
            termsHash: termsHash, validUntil: request.quoteValidUntil, r: r, vs: vs
        });
    }

    /// @dev What `lock` and `lockFor` take besides the sender.
    function _params(LockRequest memory request) internal pure returns (IHashedTimelockEscrow.LockParams memory) {
        IHashedTimelockEscrow.LockTerms memory t = request.terms;
        return IHashedTimelockEscrow.LockParams({
            token: t.token,
            receiver: t.receiver,
            amount: t.amount,
            hashlock: t.hashlock,
            expiry: t.expiry,
            swapId: request.swapId
        });
    }

    /// @dev The request's sender's authorisation `signature` (65 bytes), compact, with its nonce.
    function _auth(LockRequest memory request, uint256 nonce, bytes memory signature)
        internal
        pure
        returns (IHashedTimelockEscrow.Authorisation memory)
    {
        (bytes32 r, bytes32 vs) = _compact(signature);
        return IHashedTimelockEscrow.Authorisation({sender: request.terms.sender, nonce: nonce, r: r, vs: vs});
    }

    /// @dev One item of `lockForBatch`.
    function _relayed(
        LockRequest memory request,
        IHashedTimelockEscrow.QuoteProof memory quote,
        uint256 nonce,
        bytes memory signature
    ) internal pure returns (IHashedTimelockEscrow.RelayedLock memory) {
        return IHashedTimelockEscrow.RelayedLock({
            params: _params(request), quote: quote, authorisation: _auth(request, nonce, signature)
        });
    }

    /// @dev The items of `lockForBatch`.
    function _batch(
        LockRequest[] memory requests,
        IHashedTimelockEscrow.QuoteProof[] memory quotes,
        uint256[] memory nonces,
        bytes[] memory signatures
    ) internal pure returns (IHashedTimelockEscrow.RelayedLock[] memory items) {
        items = new IHashedTimelockEscrow.RelayedLock[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            items[i] = _relayed(requests[i], quotes[i], nonces[i], signatures[i]);
        }
    }

    /// @dev What `claim` takes: the terms without the hashlock.
    function _claimTerms(IHashedTimelockEscrow.LockTerms memory t)
        internal
        pure
        returns (IHashedTimelockEscrow.ClaimTerms memory)
    {
        return IHashedTimelockEscrow.ClaimTerms({
            token: t.token, sender: t.sender, receiver: t.receiver, amount: t.amount, expiry: t.expiry
        });
    }

    function _claimTerms(IHashedTimelockEscrow.LockTerms[] memory terms)
        internal
        pure
        returns (IHashedTimelockEscrow.ClaimTerms[] memory out)
    {
        out = new IHashedTimelockEscrow.ClaimTerms[](terms.length);
        for (uint256 i; i < terms.length; ++i) {
            out[i] = _claimTerms(terms[i]);
        }
    }

    /// @dev EIP-2098 (r, vs) of a 65-byte (r, s, v) signature.
    function _compact(bytes memory signature) internal pure returns (bytes32 r, bytes32 vs) {
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
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

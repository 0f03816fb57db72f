// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHashedTimelockEscrow} from "../../src/interfaces/IHashedTimelockEscrow.sol";
import {SettlementBase} from "../utils/SettlementBase.sol";

/// @notice Audit PoC (Low). Promise (issue #11, closed Low finding): "each lock is bound to a signed FX quote
///         verified on chain". The escrow verifies only that SOME quote-signer signed SOME `QuoteTerms` struct
///         hash with this validity: the proof carries the terms as an opaque hash, so nothing ties the quote's
///         pair, side, amount, rate or `validFrom` to the lock's token and amount. Any signed quote seen on
///         chain (every `Locked` event names its quote hash, every lock's calldata carries the proof) can be
///         cited for any lock of any currency and size while it is valid, and a quote not valid yet is
///         accepted. Each test asserts the binding and fails today.
contract HtlcQuoteBindingAudit is SettlementBase {
    bytes32 internal constant QUOTE_TERMS_TYPEHASH = keccak256(
        "QuoteTerms(string base,string quote,string side,uint256 amount,uint256 rate,uint256 mid,uint16 spreadBps,uint256 oracleRound,uint64 validFrom,address quoter)"
    );

    /// @dev hashStruct(QuoteTerms) as oracle/quotes.py computes it.
    function _terms(string memory base, string memory quote_, uint256 amount, uint256 rate, uint64 validFrom)
        internal
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                QUOTE_TERMS_TYPEHASH,
                keccak256(bytes(base)),
                keccak256(bytes(quote_)),
                keccak256("sell"),
                amount,
                rate,
                rate,
                uint16(0),
                uint256(1),
                validFrom,
                quoter
            )
        );
    }

    function _cite(IHashedTimelockEscrow.LockRequest memory request, bytes32 termsHash, uint64 validUntil)
        internal
        view
        returns (IHashedTimelockEscrow.QuoteProof memory proof)
    {
        request.quoteValidUntil = validUntil;
        request.quoteHash = _quoteDigest(termsHash, validUntil);
        proof = IHashedTimelockEscrow.QuoteProof({
            termsHash: termsHash,
            signature: _signDigest(quoterKey, _quoteDigest(termsHash, validUntil))
        });
    }

    /// @dev The quote service priced 100.00 CNY -> THB; alice locks 500,000.00 HKD citing it.
    function test_LockRefusesQuoteForAnotherCurrencyAndAmount() external {
        uint64 validUntil = uint64(vm.getBlockTimestamp() + 5 minutes);
        bytes32 termsHash = _terms("CNY", "THB", 100_00, CNY_THB, uint64(vm.getBlockTimestamp()));
        IHashedTimelockEscrow.LockRequest memory request =
            _request(alice, bob, 500_000_00, SECRET, uint64(vm.getBlockTimestamp() + 1 hours));
        request.terms.token = address(hkd);
        IHashedTimelockEscrow.QuoteProof memory proof = _cite(request, termsHash, validUntil);
        vm.expectRevert(); // the quote is for another pair and a 5,000x smaller amount
        vm.prank(alice);
        htlc.lock(request, proof);
    }

    /// @dev One signed quote (for one 100.00 CNY swap) binds any number of unrelated locks by other banks.
    function test_QuoteForOneSwapCannotBindUnrelatedLocksOfOtherBanks() external {
        uint64 validUntil = uint64(vm.getBlockTimestamp() + 5 minutes);
        bytes32 termsHash = _terms("CNY", "THB", 100_00, CNY_THB, uint64(vm.getBlockTimestamp()));
        uint64 expiry = uint64(vm.getBlockTimestamp() + 1 hours);

        IHashedTimelockEscrow.LockRequest memory first = _request(alice, bob, 100_00, SECRET, expiry);
        IHashedTimelockEscrow.QuoteProof memory proof = _cite(first, termsHash, validUntil);
        vm.prank(alice);
        htlc.lock(first, proof); // the swap the quote was made for

        IHashedTimelockEscrow.LockRequest memory other = _request(carol, dave, 900_000_00, keccak256("other"), expiry);
        other.quoteHash = first.quoteHash; // copied from alice's Locked event
        other.quoteValidUntil = validUntil;
        vm.expectRevert();
        vm.prank(carol);
        htlc.lock(other, proof); // copied from alice's calldata
    }

    /// @dev A quote whose validity starts tomorrow is accepted today.
    function test_LockRefusesQuoteNotYetValid() external {
        uint64 tomorrow = uint64(vm.getBlockTimestamp() + 1 days);
        bytes32 termsHash = _terms("CNY", "THB", 100_00, CNY_THB, tomorrow);
        IHashedTimelockEscrow.LockRequest memory request =
            _request(alice, bob, 100_00, SECRET, uint64(vm.getBlockTimestamp() + 1 hours));
        IHashedTimelockEscrow.QuoteProof memory proof =
            _cite(request, termsHash, uint64(vm.getBlockTimestamp() + 5 minutes));
        vm.expectRevert();
        vm.prank(alice);
        htlc.lock(request, proof);
    }
}

"""The SDK's lock-authorisation nonces: never repeated, and drawn in books of 256 that share the
escrow's storage word (``nonce >> 8``), so a bank's relayed locks rarely pay for a fresh word."""

from __future__ import annotations

from eth_account import Account

from bridge.sdk.signer import BankSigner, NetworkInfo


def test_lock_nonces_are_unique_and_fill_one_word_per_book() -> None:
    signer = BankSigner(Account.create(), NetworkInfo({}, {}))
    nonces = [signer.next_lock_nonce() for _ in range(600)]
    assert len(set(nonces)) == 600
    words = [n >> 8 for n in nonces]
    assert len(set(words[:256])) == 1 and len(set(words[256:512])) == 1 and words[0] != words[256]
    assert all(0 <= n < 2**64 for n in nonces)
    other = BankSigner(Account.create(), NetworkInfo({}, {}))
    assert other.next_lock_nonce() >> 8 != words[0]  # each signer draws its own books

"""The bank-side SDK: builds and signs instructions locally with the bank's key (keys never leave
the bank), talks to the bridge over HTTP with signed requests, and checks the ledgers itself before
revealing a secret."""

from bridge.sdk.signer import BankSigner, NetworkInfo

__all__ = ["BankSigner", "NetworkInfo"]

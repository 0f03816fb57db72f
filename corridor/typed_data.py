"""EIP-712 typed data for everything a bank signs, matching the contracts field for field.

Each builder returns the ``full_message`` dict that ``eth_account.Account.sign_typed_data`` and
``eth_account.messages.encode_typed_data`` accept. The domain always carries the ledger's chain id
and the contract address, so a signature made for one ledger or contract is useless on another.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
PVP_DOMAIN_NAME = "Corridor PvPEscrow"
HTLC_DOMAIN_NAME = "Corridor HTLC"
RATE_ONE = 10**18  # rates are 18-decimal fixed point: units of the second currency per unit of the first


def amount_at(amount: int, rate: int, decimals_in: int, decimals_out: int) -> int:
    """``amount`` minor units of one currency at ``rate``, in minor units of the other (rounded down),
    as PvPEscrow checks it (to within one minor unit)."""
    return amount * rate * 10**decimals_out // (RATE_ONE * 10**decimals_in)


@dataclass(frozen=True)
class Swap:
    """PvPEscrow.Swap: party A pays amountA of tokenA for amountB of tokenB from party B."""

    partyA: str
    tokenA: str
    amountA: int
    partyB: str
    tokenB: str
    amountB: int
    rate: int
    maxDeviationBps: int
    deadline: int
    nonce: int

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(asdict(self).values())


@dataclass(frozen=True)
class LockTerms:
    """HashedTimelockEscrow.LockTerms: what a lock pays out on."""

    token: str
    sender: str
    receiver: str
    amount: int
    hashlock: bytes
    expiry: int

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(asdict(self).values())

    def claim_tuple(self) -> tuple[Any, ...]:
        """HashedTimelockEscrow.ClaimTerms: the terms without the hashlock, which ``claim`` derives from
        the preimage."""
        return (self.token, self.sender, self.receiver, self.amount, self.expiry)


@dataclass(frozen=True)
class LockRequest:
    """What a sender authorises for a relayed lock (the ``LockAuthorisation`` it signs): the terms plus
    their swap and quote."""

    terms: LockTerms
    swapId: bytes
    quoteHash: bytes
    quoteValidUntil: int

    def params_tuple(self) -> tuple[Any, ...]:
        """HashedTimelockEscrow.LockParams: the terms without the sender (the caller of ``lock``, the
        signer of ``lockFor``'s authorisation) plus the swap id. The quote hash is recomputed on chain."""
        t = self.terms
        return (t.token, t.receiver, t.amount, t.hashlock, t.expiry, self.swapId)


@dataclass(frozen=True)
class QuoteProof:
    """HashedTimelockEscrow.QuoteProof: the struct hash of the quote's terms, its validity and the quote
    service's signature, from which the escrow recomputes the quote hash and checks its signer."""

    termsHash: bytes
    validUntil: int
    signature: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.termsHash, self.validUntil, *compact_signature(self.signature))


def compact_signature(signature: bytes) -> tuple[bytes, bytes]:
    """EIP-2098 ``(r, vs)`` from a 65-byte ``(r, s, v)`` signature (a 64-byte one is already compact): the
    two words the contracts take. Anything else gives two zero words, which recover to no signer."""
    if len(signature) == 64:
        return signature[:32], signature[32:]
    if len(signature) != 65:
        return bytes(32), bytes(32)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    if v < 27:
        v += 27
    vs = s | ((v - 27) << 255) if v in (27, 28) else s
    return r, vs.to_bytes(32, "big")


def lock_authorisation(sender: str, nonce: int, signature: bytes) -> tuple[Any, ...]:
    """HashedTimelockEscrow.Authorisation: the sender, its nonce and its signature, compact."""
    return (sender, nonce, *compact_signature(signature))


def relayed_lock(request: LockRequest, quote: QuoteProof, nonce: int, signature: bytes) -> tuple[Any, ...]:
    """HashedTimelockEscrow.RelayedLock: one item of ``lockForBatch`` (the arguments of ``lockFor``)."""
    return (request.params_tuple(), quote.as_tuple(), lock_authorisation(request.terms.sender, nonce, signature))


def _domain(name: str, chain_id: int, contract: str) -> dict[str, Any]:
    return {"name": name, "version": "1", "chainId": chain_id, "verifyingContract": contract}


def swap_message(chain_id: int, escrow: str, swap: Swap) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": DOMAIN_FIELDS,
            "Swap": [
                {"name": "partyA", "type": "address"},
                {"name": "tokenA", "type": "address"},
                {"name": "amountA", "type": "uint256"},
                {"name": "partyB", "type": "address"},
                {"name": "tokenB", "type": "address"},
                {"name": "amountB", "type": "uint256"},
                {"name": "rate", "type": "uint256"},
                {"name": "maxDeviationBps", "type": "uint16"},
                {"name": "deadline", "type": "uint64"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "primaryType": "Swap",
        "domain": _domain(PVP_DOMAIN_NAME, chain_id, escrow),
        "message": asdict(swap),
    }


def lock_authorisation_message(chain_id: int, escrow: str, request: LockRequest, nonce: int) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": DOMAIN_FIELDS,
            "LockAuthorisation": [
                {"name": "token", "type": "address"},
                {"name": "sender", "type": "address"},
                {"name": "receiver", "type": "address"},
                {"name": "amount", "type": "uint256"},
                {"name": "hashlock", "type": "bytes32"},
                {"name": "expiry", "type": "uint64"},
                {"name": "swapId", "type": "bytes32"},
                {"name": "quoteHash", "type": "bytes32"},
                {"name": "quoteValidUntil", "type": "uint64"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "primaryType": "LockAuthorisation",
        "domain": _domain(HTLC_DOMAIN_NAME, chain_id, escrow),
        "message": {
            **asdict(request.terms),
            "swapId": request.swapId,
            "quoteHash": request.quoteHash,
            "quoteValidUntil": request.quoteValidUntil,
            "nonce": nonce,
        },
    }


def lock_id_of(sender: str, hashlock: bytes) -> bytes:
    """HashedTimelockEscrow.lockIdOf, computed locally: keccak256(abi.encode(sender, hashlock))."""
    return keccak(abi_encode(["address", "bytes32"], [sender, hashlock]))


def digest(message: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest a contract recovers the signer from (for a swap, its id)."""
    signable = encode_typed_data(full_message=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign(account: LocalAccount, message: dict[str, Any]) -> bytes:
    """A 65-byte (r, s, v) signature of ``message`` by ``account``."""
    return bytes(account.sign_message(encode_typed_data(full_message=message)).signature)


def recover(message: dict[str, Any], signature: bytes) -> str:
    """The address that signed ``message``."""
    return str(Account.recover_message(encode_typed_data(full_message=message), signature=signature))

"""What every computation shares: the network, the journal and the chains' facts, joined once (swaps by
id, escrow events by swap, block times), and the helpers that write amounts, names and ledger times."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

from supervision.inputs import (ChainFacts, Evidence, HtlcEvent, JournalFacts, NetworkFacts, PvpSettlement, RefusalRecord,
                                SwapRecord, TokenTransfer)  # fmt: skip
from supervision.model import LedgerTime
from supervision.units import Money, money

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
TERMINAL = frozenset({"settled", "refunded", "cancelled", "expired", "failed"})


def iso(timestamp: int | float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat().replace("+00:00", "Z")


def wall_iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Context:
    network: NetworkFacts
    journal: JournalFacts
    chain: ChainFacts
    evidence: Evidence = field(default_factory=Evidence)
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    # ─── writing figures ─────────────────────────────────────────────────────────────────

    def money(self, minor_units: int, currency: str) -> Money:
        return money(minor_units, currency, self.network.currencies[currency].decimals)

    def name(self, participant: str) -> str:
        found = self.network.participants.get(participant)
        return found.display_name if found else participant

    def holder(self, address: str) -> str:
        """A holder as people read it: the participant's name, an escrow, the issuance side, or the address."""
        if address.lower() == ZERO_ADDRESS:
            return "(issuance)"
        name = self.network.name_of(address)
        if name is not None:
            return self.name(name)
        return self.network.escrow_of(address) or address

    def ledger_time(self, ledger: str, block: int | None) -> LedgerTime | None:
        if block is None:
            return None
        timestamp = self.chain.block_times.get((ledger, block))
        if timestamp is None:
            return None
        return LedgerTime(ledger=ledger, block=block, timestamp=timestamp, iso=iso(timestamp))

    def block_time(self, ledger: str, block: int | None) -> int | None:
        return None if block is None else self.chain.block_times.get((ledger, block))

    def final_block(self, ledger: str, block: int) -> int:
        """The finality point of a transaction in ``block``: block inclusion with N confirmations."""
        return block + max(1, self.network.ledgers[ledger].confirmations) - 1

    # ─── joins, made once ────────────────────────────────────────────────────────────────

    @cached_property
    def swaps(self) -> dict[str, SwapRecord]:
        return {swap.id: swap for swap in self.journal.swaps}

    @cached_property
    def pvp_by_swap(self) -> dict[str, PvpSettlement]:
        return {event.swap_id: event for event in self.chain.pvp_settlements}

    @cached_property
    def batch_swaps(self) -> dict[tuple[str, str], list[PvpSettlement]]:
        """(ledger, tx) of a netted batch → its swaps, in the batch's order."""
        found: dict[tuple[str, str], list[PvpSettlement]] = defaultdict(list)
        for event in sorted(self.chain.pvp_settlements, key=lambda e: (e.block, e.log_index)):
            if event.batch_id is not None:
                found[(event.ledger, event.tx_hash)].append(event)
        return dict(found)

    @cached_property
    def htlc_locks(self) -> dict[str, HtlcEvent]:
        """lock id → its Locked event."""
        return {event.lock_id: event for event in self.chain.htlc_events if event.kind == "locked"}

    @cached_property
    def htlc_endings(self) -> dict[str, HtlcEvent]:
        """lock id → its Claimed or Refunded event."""
        return {event.lock_id: event for event in self.chain.htlc_events if event.kind != "locked"}

    @cached_property
    def locks_by_swap(self) -> dict[str, list[HtlcEvent]]:
        found: dict[str, list[HtlcEvent]] = defaultdict(list)
        for event in self.htlc_locks.values():
            if event.swap_id:
                found[event.swap_id].append(event)
        return dict(found)

    def lock_of(self, swap: SwapRecord, leg: str) -> HtlcEvent | None:
        """The Locked event of ``swap``'s leg ``A`` (sent by the initiator) or ``B``."""
        payer = swap.leg_a.payer if leg == "A" else swap.leg_b.payer
        address = self.network.participants[payer].address.lower() if payer in self.network.participants else ""
        for event in self.locks_by_swap.get(swap.id, []):
            if (event.sender or "").lower() == address:
                return event
        return None

    @cached_property
    def transfers_by_tx(self) -> dict[tuple[str, str], list[TokenTransfer]]:
        found: dict[tuple[str, str], list[TokenTransfer]] = defaultdict(list)
        for transfer in self.chain.transfers:
            found[(transfer.ledger, transfer.tx_hash)].append(transfer)
        return dict(found)

    @cached_property
    def refusals(self) -> list[RefusalRecord]:
        return sorted([*self.journal.refusals, *self.evidence.refusals], key=lambda r: r.at)

    @cached_property
    def refusals_by_swap(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for refusal in self.refusals:
            if refusal.swap_id:
                found[refusal.swap_id].append(refusal.id)
        return dict(found)

    @cached_property
    def closing_time(self) -> dict[str, int]:
        return {name: ledger.head_time for name, ledger in self.network.ledgers.items()}

    def label(self, tx_hash: str) -> str | None:
        return self.evidence.labels.get(tx_hash.lower()) or self.evidence.labels.get(tx_hash)

"""Every movement of value, who made it and why; positions; and the reconciliation that proves them.

A movement is a token ``Transfer`` on a ledger, attributed to what caused it: a swap's leg (a PvP
settlement, an HTLC lock, claim or refund, named by the escrow's events), a netted batch (listed as
its swaps' gross legs, each with the batch's transaction), issuance, or a direct transfer. The
reconciliation then shows, for every holder and currency, opening balance (on chain at the opening
block) + the listed movements = closing balance (on chain at the closing block); for every currency,
total supply = everything held; and for every settling transaction, that what the chain moved is what
the journal's swaps say it moved. A difference is shown, never absorbed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from supervision.context import ZERO_ADDRESS, Context, iso
from supervision.inputs import SwapRecord, TokenTransfer
from supervision.model import AttributionCheck, Movement, PositionRow, ReconciliationCell, ReconciliationView, SupplyCheck


@dataclass(frozen=True)
class Flow:
    """One holder's change in one currency, as the computations use it (addresses, minor units)."""

    holder: str  # address
    currency: str
    change: int
    kind: str
    swap_id: str | None
    what: str
    ledger: str
    block: int
    log_index: int
    tx_hash: str

    @property
    def order(self) -> tuple[int, int]:
        return self.block, self.log_index


def _address(ctx: Context, participant: str) -> str:
    found = ctx.network.participants.get(participant)
    return found.address if found else participant


def _swap_legs(ctx: Context, swap: SwapRecord, ledger: str, block: int, log_index: int, tx_hash: str, kind: str, what: str) -> list[Flow]:
    flows = []
    for name, leg in (("A", swap.leg_a), ("B", swap.leg_b)):
        if leg.ledger != ledger:
            continue
        label = f"leg {name} of swap {swap.id[:10]}… {what}".strip()
        flows.append(Flow(_address(ctx, leg.payer), leg.currency, -leg.amount, kind, swap.id, label, ledger, block, log_index, tx_hash))
        flows.append(Flow(_address(ctx, leg.receiver), leg.currency, leg.amount, kind, swap.id, label, ledger, block, log_index, tx_hash))
    return flows


def _transfer_flows(transfer: TokenTransfer, kind: str, swap_id: str | None, what: str) -> list[Flow]:
    flows = []
    if transfer.sender.lower() != ZERO_ADDRESS:
        flows.append(Flow(transfer.sender, transfer.currency, -transfer.amount, kind, swap_id, what, transfer.ledger, transfer.block,
                          transfer.log_index, transfer.tx_hash))  # fmt: skip
    if transfer.receiver.lower() != ZERO_ADDRESS:
        flows.append(Flow(transfer.receiver, transfer.currency, transfer.amount, kind, swap_id, what, transfer.ledger, transfer.block,
                          transfer.log_index, transfer.tx_hash))  # fmt: skip
    return flows


def _net(flows: list[Flow]) -> dict[tuple[str, str], int]:
    net: dict[tuple[str, str], int] = defaultdict(int)
    for flow in flows:
        net[(flow.holder.lower(), flow.currency)] += flow.change
    return {key: value for key, value in net.items() if value}


@dataclass
class Attributed:
    """The period's flows as the report lists them, and the per-transaction checks behind them."""

    flows: list[Flow]
    checks: list[AttributionCheck]
    unattributed: list[Flow]
    batches: dict[tuple[str, str], list[str]]  # (ledger, tx) → swap ids, in the batch's order


def attribute(ctx: Context) -> Attributed:
    """Walks the period's transfers transaction by transaction and says what caused each."""
    flows: list[Flow] = []
    checks: list[AttributionCheck] = []
    unattributed: list[Flow] = []
    batches: dict[tuple[str, str], list[str]] = {}
    htlc_by_tx: dict[tuple[str, str], list] = defaultdict(list)
    for event in ctx.chain.htlc_events:
        htlc_by_tx[(event.ledger, event.tx_hash)].append(event)
    pvp_single = {(e.ledger, e.tx_hash): e for e in ctx.chain.pvp_settlements if e.batch_id is None}
    for (ledger, tx_hash), transfers in sorted(ctx.transfers_by_tx.items(), key=lambda item: (item[1][0].block, item[1][0].log_index)):
        first = transfers[0]
        chain_flows = [flow for t in transfers for flow in _transfer_flows(t, "transfer", None, "")]
        escrow = any(ctx.network.escrow_of(t.sender) or ctx.network.escrow_of(t.receiver) for t in transfers)
        if (ledger, tx_hash) in ctx.batch_swaps:
            events = ctx.batch_swaps[(ledger, tx_hash)]
            batch_id = events[0].batch_id
            batches[(ledger, tx_hash)] = [e.swap_id for e in events]
            expected: list[Flow] = []
            missing = []
            for event in events:
                swap = ctx.swaps.get(event.swap_id)
                if swap is None:
                    missing.append(event.swap_id)
                    continue
                expected += _swap_legs(ctx, swap, ledger, first.block, event.log_index, tx_hash, f"swap leg (netted in batch {batch_id})",
                                       f"netted in batch {batch_id}")  # fmt: skip
            checks.append(_check(ctx, ledger, tx_hash, first.block, f"netted batch {batch_id}", len(events), chain_flows, expected, missing))
            flows += expected if not missing else chain_flows
            continue
        if (ledger, tx_hash) in pvp_single:
            event = pvp_single[(ledger, tx_hash)]
            swap = ctx.swaps.get(event.swap_id)
            expected = _swap_legs(ctx, swap, ledger, first.block, first.log_index, tx_hash, "swap leg", "settled (PvP)") if swap else []
            checks.append(_check(ctx, ledger, tx_hash, first.block, "PvP settlement", 1, chain_flows, expected,
                                 [] if swap else [event.swap_id]))  # fmt: skip
            flows += expected if swap else chain_flows
            continue
        if (ledger, tx_hash) in htlc_by_tx:
            expected, missing, kinds = [], [], set()
            for event in htlc_by_tx[(ledger, tx_hash)]:
                lock = event if event.kind == "locked" else ctx.htlc_locks.get(event.lock_id)
                swap = ctx.swaps.get(lock.swap_id) if lock is not None and lock.swap_id else None
                if lock is None or swap is None:
                    missing.append(lock.swap_id if lock is not None and lock.swap_id else event.lock_id)
                    continue
                leg_name = "A" if (lock.sender or "").lower() == _address(ctx, swap.leg_a.payer).lower() else "B"
                leg = swap.leg_a if leg_name == "A" else swap.leg_b
                kind = {"locked": "htlc lock", "claimed": "htlc claim", "refunded": "htlc refund"}[event.kind]
                kinds.add(kind)
                escrow_address = ctx.network.ledgers[ledger].htlc
                source, target = {"locked": (leg.payer, None), "claimed": (None, leg.receiver), "refunded": (None, leg.payer)}[event.kind]
                what = f"leg {leg_name} of swap {swap.id[:10]}… {event.kind}"
                frm = _address(ctx, source) if source else escrow_address
                to = _address(ctx, target) if target else escrow_address
                expected.append(Flow(frm, leg.currency, -leg.amount, kind, swap.id, what, ledger, event.block, event.log_index, tx_hash))
                expected.append(Flow(to, leg.currency, leg.amount, kind, swap.id, what, ledger, event.block, event.log_index, tx_hash))
            label = " and ".join(sorted(kinds)) or "HTLC"
            checks.append(_check(ctx, ledger, tx_hash, first.block, label, len(htlc_by_tx[(ledger, tx_hash)]), chain_flows, expected, missing))
            flows += expected if not missing else chain_flows
            continue
        if all(t.sender.lower() == ZERO_ADDRESS for t in transfers):
            flows += [flow for t in transfers for flow in _transfer_flows(t, "issuance", None, ctx.label(tx_hash) or "issued by the central bank")]
            continue
        if all(t.receiver.lower() == ZERO_ADDRESS for t in transfers):
            flows += [flow for t in transfers for flow in _transfer_flows(t, "redemption", None, ctx.label(tx_hash) or "burned by the issuer")]
            continue
        if not escrow:
            flows += [flow for t in transfers for flow in _transfer_flows(t, "transfer", None, ctx.label(tx_hash) or "direct transfer")]
            continue
        # an escrow moved tokens in a transaction no escrow event of this period explains
        found = [flow for t in transfers for flow in _transfer_flows(t, "unattributed", None, "escrow movement without an escrow event")]
        unattributed += found
        flows += found
    return Attributed(flows=flows, checks=checks, unattributed=unattributed, batches=batches)


def _check(ctx: Context, ledger: str, tx_hash: str, block: int, what: str, swaps: int, chain_flows: list[Flow], expected: list[Flow],
           missing: list[str]) -> AttributionCheck:  # fmt: skip
    """Compares what the chain moved in one transaction with what the journal's swaps say (net per holder)."""
    if missing:
        return AttributionCheck(tx_hash=tx_hash, ledger=ledger, block=block, what=what, swaps=swaps, ok=False,
                                difference=f"{len(missing)} swap(s) the journal does not know: {', '.join(m[:10] + '…' for m in missing)}")  # fmt: skip
    chain, journal = _net(chain_flows), _net(expected)
    differences = []
    for key in sorted(set(chain) | set(journal)):
        if chain.get(key, 0) != journal.get(key, 0):
            holder, currency = key
            differences.append(f"{ctx.holder(holder)}: chain {ctx.money(chain.get(key, 0), currency).display}, "
                               f"journal {ctx.money(journal.get(key, 0), currency).display}")  # fmt: skip
    return AttributionCheck(tx_hash=tx_hash, ledger=ledger, block=block, what=what, swaps=swaps, ok=not differences,
                            difference="; ".join(differences))  # fmt: skip


def movements(ctx: Context, flows: list[Flow]) -> list[Movement]:
    ordered = sorted(flows, key=lambda f: (f.ledger, f.block, f.log_index, f.swap_id or "", f.change))
    return [Movement(holder=ctx.holder(flow.holder), currency=flow.currency, change=ctx.money(flow.change, flow.currency), kind=flow.kind,
                     swap_id=flow.swap_id, what=flow.what, ledger=flow.ledger, block=flow.block,
                     ledger_time=iso(ctx.block_time(flow.ledger, flow.block) or 0), tx_hash=flow.tx_hash)
            for flow in ordered]  # fmt: skip


def _holders(ctx: Context, flows: list[Flow]) -> list[tuple[str, str]]:
    keys = {(address.lower(), code) for (address, code) in ctx.chain.opening_balances}
    keys |= {(address.lower(), code) for (address, code) in ctx.chain.closing_balances}
    keys |= {(flow.holder.lower(), flow.currency) for flow in flows}
    return sorted(keys, key=lambda key: (key[1], ctx.holder(key[0])))


def _balance(balances: dict[tuple[str, str], int], address: str, currency: str) -> int:
    return balances.get((address, currency), balances.get((address.lower(), currency), 0)) if balances else 0


def _lower(balances: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    return {(address.lower(), code): amount for (address, code), amount in balances.items()}


def positions(ctx: Context, flows: list[Flow]) -> list[PositionRow]:
    opening, closing = _lower(ctx.chain.opening_balances), _lower(ctx.chain.closing_balances)
    received: dict[tuple[str, str], int] = defaultdict(int)
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for flow in flows:
        key = (flow.holder.lower(), flow.currency)
        if flow.change > 0:
            received[key] += flow.change
        else:
            paid[key] -= flow.change
    rows = []
    for address, code in _holders(ctx, flows):
        key = (address, code)
        if not any((opening.get(key), closing.get(key), received.get(key), paid.get(key))):
            continue
        rows.append(PositionRow(holder=ctx.holder(address), currency=code, opening=ctx.money(opening.get(key, 0), code),
                                received=ctx.money(received.get(key, 0), code), paid=ctx.money(paid.get(key, 0), code),
                                closing=ctx.money(closing.get(key, 0), code)))  # fmt: skip
    return rows


def reconciliation(ctx: Context, attributed: Attributed) -> ReconciliationView:
    opening, closing = _lower(ctx.chain.opening_balances), _lower(ctx.chain.closing_balances)
    net: dict[tuple[str, str], int] = defaultdict(int)
    for flow in attributed.flows:
        net[(flow.holder.lower(), flow.currency)] += flow.change
    cells = []
    for key in _holders(ctx, attributed.flows):
        address, code = key
        if not any((opening.get(key), closing.get(key), net.get(key))):
            continue
        expected = opening.get(key, 0) + net.get(key, 0)
        actual = closing.get(key, 0)
        cells.append(ReconciliationCell(holder=ctx.holder(address), currency=code, opening=ctx.money(opening.get(key, 0), code),
                                        flows=ctx.money(net.get(key, 0), code), expected_closing=ctx.money(expected, code),
                                        closing=ctx.money(actual, code), difference=ctx.money(actual - expected, code), ok=actual == expected))  # fmt: skip
    supply = []
    central = {p.address.lower() for p in ctx.network.participants.values() if p.kind == "central_bank"}
    banks = {p.address.lower() for p in ctx.network.participants.values() if p.kind != "central_bank"}
    for code in ctx.network.currencies:
        held = {"banks": 0, "central": 0, "escrows": 0, "others": 0}
        for (address, currency), amount in closing.items():
            if currency != code:
                continue
            group = ("banks" if address in banks else "central" if address in central
                     else "escrows" if ctx.network.escrow_of(address) else "others")  # fmt: skip
            held[group] += amount
        total = ctx.chain.closing_supply.get(code)
        if total is None:
            continue
        difference = total - sum(held.values())
        supply.append(SupplyCheck(currency=code, total_supply=ctx.money(total, code), banks=ctx.money(held["banks"], code),
                                  central_banks=ctx.money(held["central"], code), escrows=ctx.money(held["escrows"], code),
                                  others=ctx.money(held["others"], code), difference=ctx.money(difference, code), ok=difference == 0))  # fmt: skip
    unattributed = movements(ctx, attributed.unattributed)
    ok = all(c.ok for c in cells) and all(s.ok for s in supply) and all(a.ok for a in attributed.checks) and not unattributed
    blocks = ", ".join(f"ledger {name}: blocks {ctx.chain.period.opening_block[name] + 1}–{ctx.chain.period.closing_block[name]}"
                       for name in sorted(ctx.chain.period.closing_block))  # fmt: skip
    return ReconciliationView(
        statement=(f"For every holder and currency: opening balance (on chain at the opening block) + the movements listed "
                   f"= closing balance (on chain at the closing block); for every currency: total supply = banks + central banks "
                   f"+ escrows + any other holder; for every settling transaction: what the chain moved = what the journal's "
                   f"swaps say. Period: {blocks}."),
        cells=cells, supply=supply, attribution=attributed.checks, unattributed=unattributed, ok=ok)  # fmt: skip

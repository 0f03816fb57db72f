"""Puts the model together for a live network: reads the chains for the journal's period and builds.
What the regulator API, ``corridor report``, the demo and the console call.

The console also calls the pieces on their own, so that a figure it updates live is the model's own
figure, computed by the same function: the counts (:func:`counts_for`), one swap (:func:`swap_detail_for`),
the oracle (:func:`oracle_for`), the alerts (:func:`alert_items`) and the audit trail (:func:`actions_for`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from corridor.network import Network
from supervision import risk as risk_
from supervision import swaps as swaps_
from supervision.build import DEFAULT_PAGE, build_model, counts_view, oracle_view
from supervision.chain import ChainHistory, ChainReader, network_facts
from supervision.context import Context
from supervision.inputs import (ActionRecord, AlertRecord, ChainFacts, Evidence, JournalFacts, NetworkFacts, Period, SwapAggregates,
                                SwapRecord)  # fmt: skip
from supervision.model import ActionView, BankPosition, ExceptionItem, OracleView, Overview, SupervisionModel, SwapCounts, SwapDetail


def model_for(network: Network, journal: JournalFacts, *, evidence: Evidence | None = None, opening: dict[str, int] | None = None,
              offset: int = 0, limit: int = DEFAULT_PAGE, label: str = "main network", curve_points: int | None = None,
              history: ChainHistory | None = None) -> SupervisionModel:  # fmt: skip
    """The whole model over blocks after ``opening`` (default: from genesis) up to each ledger's head now.
    ``curve_points``: position curves thinned to about that many points for drawing (None: every point).
    ``history``: the ledgers' facts kept from this caller's earlier builds (only newer blocks are read)."""
    facts = network_facts(network, label=label)
    reader = ChainReader(network, facts, history=history)
    reader.also_time((step.ledger, step.block) for swap in journal.swaps for step in swap.transitions
                     if step.ledger is not None and step.block is not None)  # fmt: skip
    return build_model(facts, journal, reader.read(opening), evidence, offset=offset, limit=limit, curve_points=curve_points)


def _empty_chain(heads: dict[str, int], **facts: object) -> ChainFacts:
    base: dict[str, object] = {"period": Period(opening_block=heads, closing_block=heads), "transfers": (), "pvp_settlements": (),
                               "batch_netting": (), "htlc_events": (), "block_times": {}, "opening_balances": {},
                               "closing_balances": {}, "opening_supply": {}, "closing_supply": {}}  # fmt: skip
    base.update(facts)
    return ChainFacts(**base)  # type: ignore[arg-type]


def _journal(aggregates: SwapAggregates | None = None, swaps: tuple[SwapRecord, ...] = ()) -> JournalFacts:
    return JournalFacts(aggregates=aggregates or SwapAggregates({}, {}, {}), swaps=swaps, refusals=(), alerts=(), quotes=(), database="")


def overview_for(network: Network, aggregates: SwapAggregates, *, evidence: Evidence | None = None) -> Overview:
    """Counts over every swap, each bank's balances now, and the oracle's pairs: the quick view."""
    facts = network_facts(network)
    reader = ChainReader(network, facts)
    heads = {name: ledger.head_block for name, ledger in facts.ledgers.items()}
    banks = {p.address for p in facts.participants.values() if p.kind == "bank"}
    balances = reader.balances({code: set(banks) for code in facts.currencies}, heads)
    chain = _empty_chain(heads, closing_balances=balances, oracle_pairs=tuple(reader.oracle_pairs()))
    ctx = Context(network=facts, journal=_journal(aggregates), chain=chain, evidence=evidence or Evidence())
    positions = [BankPosition(bank=p.display_name, participant=p.name, currency=code,
                              balance=ctx.money(balances.get((p.address, code), 0), code))
                 for p in facts.participants.values() if p.kind == "bank" for code in facts.currencies]  # fmt: skip
    oracle = oracle_view(ctx).pairs
    return Overview(counts=counts_view(ctx), positions=positions, oracle=oracle,
                    oracle_unavailable=[row for row in oracle if row.state != "fresh"])  # fmt: skip


def counts_for(facts: NetworkFacts, aggregates: SwapAggregates) -> SwapCounts:
    """The model's counts (by state and model, value settled, settled today) from the store's aggregates
    alone: no ledger is read (``facts`` may come from ``network_facts(…, read_heads=False)``)."""
    heads = {name: 0 for name in facts.ledgers}
    return counts_view(Context(network=facts, journal=_journal(aggregates), chain=_empty_chain(heads)))


def swap_detail_for(network: Network, swap: SwapRecord, *, facts: NetworkFacts | None = None) -> SwapDetail:
    """One swap's indicators and timeline, as the whole model computes them, from the escrow events in
    the blocks its journal cites (a handful of reads, not the period's)."""
    facts = facts or network_facts(network)
    reader = ChainReader(network, facts)
    cited = {(step.ledger, step.block) for step in swap.transitions if step.ledger in facts.ledgers and step.block is not None}
    pvp, htlc = [], []
    for ledger, block in sorted(cited):
        logs = reader._logs(ledger, block, block)
        pvp += [e for e in logs[1] if e.swap_id == swap.id]
        htlc += logs[3]
    lock_ids = {e.lock_id for e in htlc if e.kind == "locked" and e.swap_id == swap.id}
    htlc = [e for e in htlc if e.lock_id in lock_ids]
    blocks = set(cited) | {(e.ledger, e.block) for e in (*pvp, *htlc)}
    for event in (*pvp, *htlc):
        final = event.block + max(1, facts.ledgers[event.ledger].confirmations) - 1
        if final <= facts.ledgers[event.ledger].head_block:
            blocks.add((event.ledger, final))
    heads = {name: ledger.head_block for name, ledger in facts.ledgers.items()}
    chain = _empty_chain(heads, pvp_settlements=tuple(pvp), htlc_events=tuple(htlc), block_times=reader.block_times(blocks))
    ctx = Context(network=facts, journal=_journal(swaps=(swap,)), chain=chain)
    return SwapDetail(indicator=swaps_.indicator(ctx, swap), timeline=swaps_.timeline(ctx, swap))


def oracle_for(network: Network, *, evidence: Evidence | None = None, facts: NetworkFacts | None = None) -> OracleView:
    """The model's oracle section now: every pair's state, the breaker events from genesis, each pair's history."""
    facts = facts or network_facts(network)
    reader = ChainReader(network, facts)
    heads = {name: ledger.head_block for name, ledger in facts.ledgers.items()}
    chain = _empty_chain(heads, oracle_pairs=tuple(reader.oracle_pairs()), oracle_events=tuple(reader.oracle_events()),
                         oracle_history=tuple(reader.oracle_history()))  # fmt: skip
    return oracle_view(Context(network=facts, journal=_journal(), chain=chain, evidence=evidence or Evidence()))


def alert_items(alerts: Iterable[AlertRecord], *, now: datetime | None = None) -> list[ExceptionItem]:
    """The bridge's alerts as the model's exceptions show them, newest first."""
    moment = now or datetime.now(timezone.utc)
    return [risk_.alert_item(alert, moment) for alert in sorted(alerts, key=lambda a: a.raised_at, reverse=True)]


def actions_for(facts: NetworkFacts, records: Iterable[ActionRecord]) -> list[ActionView]:
    """The audit trail as the model shows it."""
    ctx = Context(network=facts, journal=_journal(), chain=_empty_chain({name: 0 for name in facts.ledgers}))
    return [risk_.action_view(record, ctx.name) for record in records]

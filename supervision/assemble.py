"""Puts the model together for a live network: reads the chains for the journal's period and builds.
What the regulator API, ``corridor report`` and the demo call; the console will call it too."""

from __future__ import annotations

from corridor.network import Network
from supervision.build import DEFAULT_PAGE, build_model, counts_view, oracle_view
from supervision.chain import ChainReader, network_facts
from supervision.context import Context
from supervision.inputs import ChainFacts, Evidence, JournalFacts, Period, SwapAggregates
from supervision.model import BankPosition, Overview, SupervisionModel


def model_for(network: Network, journal: JournalFacts, *, evidence: Evidence | None = None, opening: dict[str, int] | None = None,
              offset: int = 0, limit: int = DEFAULT_PAGE, label: str = "main network") -> SupervisionModel:  # fmt: skip
    """The whole model over blocks after ``opening`` (default: from genesis) up to each ledger's head now."""
    facts = network_facts(network, label=label)
    reader = ChainReader(network, facts)
    reader.also_time((step.ledger, step.block) for swap in journal.swaps for step in swap.transitions
                     if step.ledger is not None and step.block is not None)  # fmt: skip
    return build_model(facts, journal, reader.read(opening), evidence, offset=offset, limit=limit)


def overview_for(network: Network, aggregates: SwapAggregates, *, evidence: Evidence | None = None) -> Overview:
    """Counts over every swap, each bank's balances now, and the oracle's pairs: the quick view."""
    facts = network_facts(network)
    reader = ChainReader(network, facts)
    heads = {name: ledger.head_block for name, ledger in facts.ledgers.items()}
    banks = {p.address for p in facts.participants.values() if p.kind == "bank"}
    balances = reader.balances({code: set(banks) for code in facts.currencies}, heads)
    chain = ChainFacts(period=Period(opening_block=heads, closing_block=heads), transfers=(), pvp_settlements=(), batch_netting=(),
                       htlc_events=(), block_times={}, opening_balances={}, closing_balances=balances, opening_supply={}, closing_supply={},
                       oracle_pairs=tuple(reader.oracle_pairs()))  # fmt: skip
    journal = JournalFacts(aggregates=aggregates, swaps=(), refusals=(), alerts=(), quotes=(), database="")
    ctx = Context(network=facts, journal=journal, chain=chain, evidence=evidence or Evidence())
    positions = [BankPosition(bank=p.display_name, participant=p.name, currency=code,
                              balance=ctx.money(balances.get((p.address, code), 0), code))
                 for p in facts.participants.values() if p.kind == "bank" for code in facts.currencies]  # fmt: skip
    oracle = oracle_view(ctx).pairs
    return Overview(counts=counts_view(ctx), positions=positions, oracle=oracle,
                    oracle_unavailable=[row for row in oracle if row.state != "fresh"])  # fmt: skip

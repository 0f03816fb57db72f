"""Per-swap figures: where each leg became final (PFMI P8), time to final in ledger time and the share
within an hour (G20 speed), the FX margin against the oracle mid (G20 cost), timelines, counts."""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal

from supervision.context import TERMINAL, Context, iso, wall_iso
from supervision.inputs import SwapRecord
from supervision.model import (CorridorCost, CostView, Distribution, FinalityView, LegFinality, Money, QuoteSpread, SwapCounts,
                               SwapIndicator, SwapTimeline, TimelineStep)  # fmt: skip
from supervision.units import rate, round_label

ONE_HOUR = 3600
ACCEPTED_OR_LATER = frozenset({"accepted", "settling", "locking_a", "locked_a", "locking_b", "locked_b", "claiming_b",
                               "claiming_a", "refunding", "settled", "refunded", "failed"})  # fmt: skip


def margin_bps(swap: SwapRecord) -> float | None:
    """(agreed rate − oracle mid) / mid in basis points: + when the initiator got more than the mid."""
    if not swap.oracle_mid:
        return None
    return float((Decimal(swap.rate) - Decimal(swap.oracle_mid)) * 10_000 / Decimal(swap.oracle_mid))


def _legs(ctx: Context, swap: SwapRecord) -> list[LegFinality]:
    legs = []
    for name, leg in (("A", swap.leg_a), ("B", swap.leg_b)):
        tx_hash = block = None
        outcome, on_chain = "not moved", "no escrow event"
        if swap.model == "pvp":
            settled = ctx.pvp_by_swap.get(swap.id)
            if settled is not None:
                tx_hash, block, outcome = settled.tx_hash, settled.block, "paid"
                on_chain = (f"SettledInBatch (batch {settled.batch_id})" if settled.batch_id is not None else "Settled") + f" in {settled.tx_hash}"
        else:
            lock = ctx.lock_of(swap, name)
            if lock is not None:
                ending = ctx.htlc_endings.get(lock.lock_id)
                if ending is None:
                    tx_hash, block, outcome, on_chain = lock.tx_hash, lock.block, "locked", f"Locked in {lock.tx_hash}, still open"
                else:
                    tx_hash, block = ending.tx_hash, ending.block
                    outcome = "paid" if ending.kind == "claimed" else "refunded"
                    on_chain = f"{ending.kind.capitalize()} in {ending.tx_hash}"
        final_block = ctx.final_block(leg.ledger, block) if block is not None and outcome in ("paid", "refunded") else None
        head = ctx.network.ledgers[leg.ledger].head_block
        final_now = final_block is not None and head >= final_block
        legs.append(LegFinality(
            leg=name, ledger=leg.ledger, amount=ctx.money(leg.amount, leg.currency), payer=ctx.name(leg.payer),
            receiver=ctx.name(leg.receiver), outcome=outcome, tx_hash=tx_hash, block=block, final_at_block=final_block,
            final_time=ctx.ledger_time(leg.ledger, final_block) if final_now else None, final_now=final_now, on_chain=on_chain))  # fmt: skip
    return legs


def time_to_final(ctx: Context, swap: SwapRecord, legs: list[LegFinality]) -> tuple[float | None, str]:
    """Ledger seconds from the order to the finality point of the swap's last final leg, on that leg's
    ledger clock; the basis says what it runs from."""
    if swap.state not in ("settled", "refunded"):
        return None, "not final" if swap.state not in TERMINAL else f"{swap.state}: nothing became final"
    final = [leg for leg in legs if leg.final_time is not None]
    if not final:
        return None, "not measured: no final transaction found on chain"
    last = max(final, key=lambda leg: leg.final_time.timestamp if leg.final_time else 0)
    assert last.final_time is not None
    start = swap.received_at.get(last.ledger)
    if start is not None:
        return float(last.final_time.timestamp - start), f"from the order (ledger {last.ledger}'s clock) to block {last.final_at_block}"
    if swap.model == "htlc":
        lock = ctx.lock_of(swap, "A")
        lock_time = ctx.block_time(lock.ledger, lock.block) if lock is not None else None
        if lock is not None and lock_time is not None and lock.ledger == last.ledger:
            return float(last.final_time.timestamp - lock_time), f"from leg A's lock (block {lock.block}) to block {last.final_at_block}"
    return None, "not measured: the order's ledger time was not recorded"


def wall_latency(swap: SwapRecord) -> float | None:
    if swap.state not in TERMINAL or len(swap.transitions) < 2:
        return None
    return round((swap.transitions[-1].at - swap.transitions[0].at).total_seconds(), 3)


def indicator(ctx: Context, swap: SwapRecord) -> SwapIndicator:
    legs = _legs(ctx, swap)
    seconds, basis = time_to_final(ctx, swap, legs)
    corridor = f"{swap.leg_a.currency}/{swap.leg_b.currency}"
    margin = margin_bps(swap)
    settled = ctx.pvp_by_swap.get(swap.id)
    batch = f"batch {settled.batch_id} in {settled.tx_hash}" if settled is not None and settled.batch_id is not None else None
    return SwapIndicator(
        id=swap.id, model=swap.model, state=swap.state, initiator=ctx.name(swap.initiator), counterparty=ctx.name(swap.counterparty),
        pays=ctx.money(swap.leg_a.amount, swap.leg_a.currency), receives=ctx.money(swap.leg_b.amount, swap.leg_b.currency),
        corridor=corridor, rate=rate(swap.rate, corridor), oracle_mid=rate(swap.oracle_mid, corridor) if swap.oracle_mid else None,
        oracle_round=round_label(swap.oracle_round), margin_bps=None if margin is None else round(margin, 2),
        cost_bps=None if margin is None else round(abs(margin), 2),
        time_to_final_seconds=seconds, time_to_final_basis=basis, wall_latency_seconds=wall_latency(swap), legs=legs,
        batch=batch, failure=swap.failure or _failure_from_journal(swap), refusals=ctx.refusals_by_swap.get(swap.id, []))  # fmt: skip


def _failure_from_journal(swap: SwapRecord) -> str | None:
    """Until the bridge fills ``failure`` itself: the journal's words on the step that failed the swap."""
    if swap.state not in ("failed", "expired", "cancelled"):
        return None
    for step in reversed(swap.transitions):
        if step.to_state == swap.state and step.detail:
            return step.detail
    return None


def timeline(ctx: Context, swap: SwapRecord) -> SwapTimeline:
    steps = []
    for step in swap.transitions:
        when = ctx.block_time(step.ledger, step.block) if step.ledger and step.block is not None else None
        steps.append(TimelineStep(seq=step.seq, from_state=step.from_state, to_state=step.to_state, at_wall=wall_iso(step.at),
                                  ledger=step.ledger, block=step.block, ledger_time=iso(when) if when is not None else None,
                                  tx_hash=step.tx_hash, detail=step.detail))  # fmt: skip
    return SwapTimeline(swap=swap.id, model=swap.model, state=swap.state, oracle_round=round_label(swap.oracle_round), steps=steps)


def distribution(values: list[float]) -> Distribution:
    if not values:
        return Distribution(count=0, min_seconds=None, p50_seconds=None, p90_seconds=None, max_seconds=None, mean_seconds=None)
    ordered = sorted(values)

    def quantile(q: float) -> float:  # nearest rank: a value that was measured, never an interpolation
        return ordered[min(len(ordered) - 1, max(0, int(-(-q * len(ordered) // 1)) - 1))]

    return Distribution(count=len(ordered), min_seconds=ordered[0], p50_seconds=quantile(0.5), p90_seconds=quantile(0.9),
                        max_seconds=ordered[-1], mean_seconds=round(statistics.fmean(ordered), 3))  # fmt: skip


def finality(indicators: list[SwapIndicator], swaps: dict[str, SwapRecord]) -> FinalityView:
    by_model: dict[str, list[float]] = defaultdict(list)
    for item in indicators:
        if item.time_to_final_seconds is not None:
            by_model[item.model].append(item.time_to_final_seconds)
    payments = [item for item in indicators if item.state in ("settled", "refunded", "failed")
                and any(step.to_state == "accepted" for step in swaps[item.id].transitions)]  # fmt: skip
    within = [item for item in payments if item.state == "settled" and item.time_to_final_seconds is not None
              and item.time_to_final_seconds <= ONE_HOUR]  # fmt: skip
    return FinalityView(
        definition=("Final = the block of the leg's settling, claiming or refunding transaction with the ledger's confirmations "
                    "(block inclusion with N confirmations). Time to final = that block's timestamp minus the ledger's clock "
                    "when the bridge recorded the order (ledger time, not the bridge's wall clock)."),
        by_model={model: distribution(values) for model, values in sorted(by_model.items())},
        overall=distribution([v for values in by_model.values() for v in values]),
        population=("payments: swaps both banks agreed (accepted) that reached an outcome (settled, refunded or failed); "
                    "credited within one hour = settled with a time to final of at most 3,600 s of ledger time"),
        payments=len(payments), within_one_hour=len(within),
        share_within_one_hour=round(len(within) / len(payments), 4) if payments else None)  # fmt: skip


def cost(ctx: Context, indicators: list[SwapIndicator]) -> CostView:
    by_corridor: dict[str, list[SwapIndicator]] = defaultdict(list)
    for item in indicators:
        if item.state == "settled" and item.margin_bps is not None:
            by_corridor[item.corridor].append(item)
    corridors = []
    for corridor, items in sorted(by_corridor.items()):
        weights = [Decimal(item.pays.minor_units) for item in items]
        total = sum(weights) or Decimal(1)
        signed = sum(Decimal(str(item.margin_bps)) * w for item, w in zip(items, weights, strict=True)) / total
        absolute = sum(Decimal(str(item.cost_bps)) * w for item, w in zip(items, weights, strict=True)) / total
        corridors.append(CorridorCost(
            corridor=corridor, swaps=len(items), value=ctx.money(sum(item.pays.minor_units for item in items), items[0].pays.currency),
            mean_margin_bps=round(float(signed), 2), mean_cost_bps=round(float(absolute), 2),
            max_cost_bps=max(item.cost_bps or 0.0 for item in items)))  # fmt: skip
    costs = [item.cost_bps for items in by_corridor.values() for item in items if item.cost_bps is not None]
    spreads: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for quote in ctx.journal.quotes:
        pair = f"{quote.base}/{quote.quote}"
        counts[pair] += 1
        if quote.spread_bps is not None:
            spreads[pair].append(float(quote.spread_bps))
        elif quote.mid:
            spreads[pair].append(abs(float((Decimal(quote.rate) - Decimal(quote.mid)) * 10_000 / Decimal(quote.mid))))
    quotes = [QuoteSpread(pair=pair, quotes=counts[pair], mean_spread_bps=round(statistics.fmean(spreads[pair]), 2) if spreads[pair] else None,
                          note="the quote's rate against the oracle mid it was priced from" if spreads[pair]
                          else "not measured: the quotes were recorded without their mid")
              for pair in sorted(counts)]  # fmt: skip
    return CostView(
        definition=("FX margin = (agreed rate − oracle mid) / oracle mid, from the initiator's side (+: it received more than "
                    "the mid); cost = its absolute value, what one of the two banks gave up against the mid. The mid is the "
                    "oracle's at the bridge's intake (the round shown with each swap)."),
        corridors=corridors, average_cost_bps=round(statistics.fmean(costs), 2) if costs else None,
        fees="none: gas is paid by the relayer (zero on a gas-free permissioned ledger); the bridge charges no fee",
        quotes=quotes)  # fmt: skip


def counts(ctx: Context, by_state: dict[str, int], by_model: dict[str, int], settled: dict[str, int],
           settled_today: dict[str, int] | None = None, day: str | None = None) -> SwapCounts:  # fmt: skip
    """The journal's aggregates (computed by the store over every swap) as the report shows them."""
    settled_value: list[Money] = [ctx.money(amount, code) for code, amount in sorted(settled.items()) if code in ctx.network.currencies]
    today_by_code = settled_today or {}
    today: list[Money] = [ctx.money(today_by_code.get(code, 0), code) for code in sorted(set(settled) | set(today_by_code))
                          if code in ctx.network.currencies]  # fmt: skip
    return SwapCounts(total=sum(by_state.values()), by_state=dict(sorted(by_state.items())), by_model=dict(sorted(by_model.items())),
                      settled_value=settled_value, settled_today=today, day=day)  # fmt: skip

"""Liquidity: turnover, and each bank's peak intraday net debit per currency, gross versus netted;
concentration of the turnover by bank.

*Turnover* is the gross value of every payment that settled (each PvP leg, each claimed HTLC leg,
each direct transfer). It is not what the banks needed to hold: that is each bank's *peak net debit*,
the largest amount by which its payments out exceeded its payments in at any point of the period,
counted from its opening position. Two sequences are measured:

- **netted, as it settled**: the ledger's own transfers in block order; a netted batch moved only each
  bank's net position (debtors paid in before creditors were paid out, all in one transaction);
- **gross, one by one**: the same payments, each swap of a netted batch settled on its own, in the
  order the bridge received them (every other transaction as it was).

An HTLC lock counts as a debit when it locks (the escrow holds the payer's funds) and a refund as a
credit when it returns them.
"""

from __future__ import annotations

from collections import defaultdict

from supervision.context import ZERO_ADDRESS, Context
from supervision.flows import Attributed
from supervision.inputs import GrossSimulation, SwapRecord
from supervision.model import (BankLiquidity, BankShare, BatchView, ConcentrationView, CurrencyLiquidity, CurvePoint, GasComparison,
                               LiquidityView, PositionCurve)  # fmt: skip


def _bank_addresses(ctx: Context) -> dict[str, str]:
    return {p.address.lower(): name for name, p in ctx.network.participants.items() if p.kind != "central_bank"}


def _steps(ctx: Context, gross: bool) -> list[dict[tuple[str, str], int]]:
    """Each step's net change per (bank, currency), in ledger order (each ledger's own; currencies
    never share a sequence across ledgers). Issuance and redemption are not payments."""
    return [step for step, _ in _sequence(ctx, gross)]


def _sequence(ctx: Context, gross: bool) -> list[tuple[dict[tuple[str, str], int], tuple[str, int]]]:
    """:func:`_steps`, each with where it happened: (ledger, block)."""
    banks = _bank_addresses(ctx)
    steps: list[tuple[dict[tuple[str, str], int], tuple[str, int]]] = []
    for (ledger, tx_hash), transfers in sorted(ctx.transfers_by_tx.items(), key=lambda item: (item[0][0], item[1][0].block, item[1][0].log_index)):
        if all(t.sender.lower() == ZERO_ADDRESS for t in transfers) or all(t.receiver.lower() == ZERO_ADDRESS for t in transfers):
            continue
        where = (ledger, transfers[0].block)
        batch = ctx.batch_swaps.get((ledger, tx_hash))
        if gross and batch and all(event.swap_id in ctx.swaps for event in batch):
            for swap in sorted((ctx.swaps[event.swap_id] for event in batch), key=_received_order):
                step: dict[tuple[str, str], int] = defaultdict(int)
                for leg in (swap.leg_a, swap.leg_b):
                    step[(leg.payer, leg.currency)] -= leg.amount
                    step[(leg.receiver, leg.currency)] += leg.amount
                steps.append((step, where))
            continue
        step = defaultdict(int)
        for t in transfers:
            if t.sender.lower() in banks:
                step[(banks[t.sender.lower()], t.currency)] -= t.amount
            if t.receiver.lower() in banks:
                step[(banks[t.receiver.lower()], t.currency)] += t.amount
        steps.append((step, where))
    return steps


def position_curves(ctx: Context, sequence: list[tuple[dict[tuple[str, str], int], tuple[str, int]]]) -> dict[tuple[str, str], list[CurvePoint]]:
    """For each (bank, currency): its running position after every step that moved it (the same running
    sums :func:`peak_net_debit` takes the deepest point of)."""
    running: dict[tuple[str, str], int] = defaultdict(int)
    curves: dict[tuple[str, str], list[CurvePoint]] = defaultdict(list)
    for index, (step, (ledger, block)) in enumerate(sequence):
        time = ctx.block_time(ledger, block) or 0
        for key, change in step.items():
            running[key] += change
            curves[key].append(CurvePoint(step=index, ledger=ledger, block=block, ledger_time=time, position_minor=running[key],
                                          net_debit_minor=max(0, -running[key])))  # fmt: skip
    return dict(curves)


def thinned(points: list[CurvePoint], cap: int) -> list[CurvePoint]:
    """At most about ``cap`` of ``points`` for drawing: of each of ``cap // 2`` stretches of consecutive
    points, the lowest and the highest position (in step order), and the first and last point. The
    deepest point (the peak net debit) is the lowest of its stretch, so it is always kept."""
    if len(points) <= cap:
        return points
    stretches = max(1, cap // 2)
    size = -(-len(points) // stretches)  # ceiling
    kept = {0, len(points) - 1}
    for start in range(0, len(points), size):
        stretch = range(start, min(start + size, len(points)))
        kept.add(min(stretch, key=lambda i: points[i].position_minor))
        kept.add(max(stretch, key=lambda i: points[i].position_minor))
    return [points[i] for i in sorted(kept)]


def _peak(points: list[CurvePoint]) -> CurvePoint | None:
    deepest = max(points, key=lambda p: p.net_debit_minor, default=None)
    return deepest if deepest is not None and deepest.net_debit_minor > 0 else None


def _received_order(swap: SwapRecord) -> tuple[int, str]:
    """The order the bridge received the swaps in: its journal's first entry for each (the order)."""
    return (swap.transitions[0].seq if swap.transitions else 0, swap.id)


def peak_net_debit(steps: list[dict[tuple[str, str], int]]) -> dict[tuple[str, str], int]:
    """For each (bank, currency): the largest net debit its running position reached over ``steps``."""
    running: dict[tuple[str, str], int] = defaultdict(int)
    peak: dict[tuple[str, str], int] = defaultdict(int)
    for step in steps:
        for key, change in step.items():
            running[key] += change
            peak[key] = max(peak[key], -running[key])
    return dict(peak)


def paid_legs(ctx: Context) -> list[tuple[str, str, str, int]]:
    """(payer, receiver, currency, amount) of every payment that settled on chain in the period:
    PvP legs of settled swaps, claimed HTLC legs, and direct transfers between participants."""
    payments: list[tuple[str, str, str, int]] = []
    for swap in ctx.swaps.values():
        if swap.model == "pvp":
            if swap.id in ctx.pvp_by_swap:
                payments += [(leg.payer, leg.receiver, leg.currency, leg.amount) for leg in (swap.leg_a, swap.leg_b)]
            continue
        for name, leg in (("A", swap.leg_a), ("B", swap.leg_b)):
            lock = ctx.lock_of(swap, name)
            ending = ctx.htlc_endings.get(lock.lock_id) if lock is not None else None
            if ending is not None and ending.kind == "claimed":
                payments.append((leg.payer, leg.receiver, leg.currency, leg.amount))
    # a swap's PvP ``settle`` moves each leg straight from payer to receiver: those transfers are the legs
    # counted above, not payments of their own
    counted = {(e.ledger, e.tx_hash) for e in ctx.chain.pvp_settlements if e.batch_id is None and e.swap_id in ctx.swaps}
    for key, transfers in ctx.transfers_by_tx.items():
        if key in counted:
            continue
        for t in transfers:
            sender, receiver = ctx.network.name_of(t.sender), ctx.network.name_of(t.receiver)
            if sender and receiver:
                payments.append((sender, receiver, t.currency, t.amount))
    return payments


def liquidity(ctx: Context, attributed: Attributed, *, curve_points: int | None = None) -> LiquidityView:
    """``curve_points``: thin each position curve to about that many points for drawing (the peaks and
    every figure still come from every point); None: every point."""
    payments = paid_legs(ctx)
    gross_sequence, netted_sequence = _sequence(ctx, gross=True), _sequence(ctx, gross=False)
    gross_peak = peak_net_debit([step for step, _ in gross_sequence])
    netted_peak = peak_net_debit([step for step, _ in netted_sequence])
    gross_curves, netted_curves = position_curves(ctx, gross_sequence), position_curves(ctx, netted_sequence)
    bank_names = [name for name, p in ctx.network.participants.items() if p.kind != "central_bank"]
    currencies = []
    for code in ctx.network.currencies:
        turnover_by_bank: dict[str, int] = defaultdict(int)
        for payer, _, currency, amount in payments:
            if currency == code and payer in bank_names:
                turnover_by_bank[payer] += amount
        turnover = sum(amount for _, _, currency, amount in payments if currency == code)
        if not turnover and not any(gross_peak.get((b, code)) or netted_peak.get((b, code)) for b in bank_names):
            continue
        banks = [BankLiquidity(bank=ctx.name(bank), currency=code, turnover_paid=ctx.money(turnover_by_bank.get(bank, 0), code),
                               peak_net_debit_gross=ctx.money(gross_peak.get((bank, code), 0), code),
                               peak_net_debit_netted=ctx.money(netted_peak.get((bank, code), 0), code))
                 for bank in bank_names]  # fmt: skip
        need_gross = sum(gross_peak.get((bank, code), 0) for bank in bank_names)
        need_netted = sum(netted_peak.get((bank, code), 0) for bank in bank_names)
        currencies.append(CurrencyLiquidity(
            currency=code, turnover=ctx.money(turnover, code), peak_need_gross=ctx.money(need_gross, code),
            peak_need_netted=ctx.money(need_netted, code),
            saving_percent=round(100 * (need_gross - need_netted) / need_gross, 1) if need_gross else None,
            gross_peak_share_of_turnover=round(100 * need_gross / turnover, 1) if turnover else None, banks=banks))  # fmt: skip
    batches = []
    for (ledger, tx_hash), swap_ids in attributed.batches.items():
        netting = [n for n in ctx.chain.batch_netting if n.ledger == ledger and n.tx_hash == tx_hash]
        block = netting[0].block if netting else ctx.batch_swaps[(ledger, tx_hash)][0].block
        batch_id = ctx.batch_swaps[(ledger, tx_hash)][0].batch_id or 0
        batches.append(BatchView(ledger=ledger, batch_id=batch_id, tx_hash=tx_hash, block=block, swaps=len(swap_ids),
                                 gross=[ctx.money(n.gross_value, n.currency) for n in netting],
                                 moved=[ctx.money(n.net_moved, n.currency) for n in netting]))  # fmt: skip
    curves = []
    for bank in bank_names:
        for code, currency in ctx.network.currencies.items():
            gross, netted = gross_curves.get((bank, code), []), netted_curves.get((bank, code), [])
            if not (gross or netted):
                continue
            curve = PositionCurve(bank=ctx.name(bank), currency=code, decimals=currency.decimals, gross=gross, netted=netted,
                                  peak_gross=_peak(gross), peak_netted=_peak(netted))  # fmt: skip
            if curve_points is not None and max(len(gross), len(netted)) > curve_points:
                curve = curve.model_copy(update={"gross": thinned(gross, curve_points), "netted": thinned(netted, curve_points),
                                                 "gross_points": len(gross), "netted_points": len(netted)})  # fmt: skip
            curves.append(curve)
    return LiquidityView(
        definition=__doc__.split("\n\n", 1)[1].strip() if __doc__ else "",
        currencies=currencies, batches=sorted(batches, key=lambda b: (b.ledger, b.block)),
        gas=[gas_comparison(simulation) for simulation in ctx.evidence.gross_simulations], curves=curves)  # fmt: skip


def gas_comparison(simulation: GrossSimulation) -> GasComparison:
    gross = sum(s.gas_used for s in simulation.settlements)
    return GasComparison(ledger=simulation.ledger, how=simulation.copy, fork_block=simulation.fork_block, swaps=len(simulation.settlements),
                         gross_gas=gross, netted_gas=simulation.netted_gas,
                         ratio=round(simulation.netted_gas / gross, 3) if gross else None,
                         same_final_balances=simulation.same_final_balances, receipts=[s.tx_hash for s in simulation.settlements])  # fmt: skip


def concentration(ctx: Context) -> list[ConcentrationView]:
    payments = paid_legs(ctx)
    views = []
    for code in ctx.network.currencies:
        mine = [(payer, receiver, amount) for payer, receiver, currency, amount in payments if currency == code]
        turnover = sum(amount for _, _, amount in mine)
        if not turnover:
            continue
        paid: dict[str, int] = defaultdict(int)
        received: dict[str, int] = defaultdict(int)
        pairs: dict[tuple[str, str], int] = defaultdict(int)
        for payer, receiver, amount in mine:
            paid[payer] += amount
            received[receiver] += amount
            pairs[tuple(sorted((payer, receiver)))] += amount  # type: ignore[index]
        shares = []
        for bank in sorted(set(paid) | set(received), key=lambda b: -(paid.get(b, 0) + received.get(b, 0))):
            share = 100 * (paid.get(bank, 0) + received.get(bank, 0)) / (2 * turnover)
            shares.append(BankShare(bank=ctx.name(bank), paid=ctx.money(paid.get(bank, 0), code), received=ctx.money(received.get(bank, 0), code),
                                    share_percent=round(share, 1)))  # fmt: skip
        hhi = round(sum((100 * (paid.get(b, 0) + received.get(b, 0)) / (2 * turnover)) ** 2 for b in set(paid) | set(received)))
        largest = max(pairs.items(), key=lambda item: item[1]) if pairs else None
        views.append(ConcentrationView(
            currency=code, turnover=ctx.money(turnover, code), banks=shares, hhi=hhi,
            largest_pair=f"{ctx.name(largest[0][0])} – {ctx.name(largest[0][1])}: {ctx.money(largest[1], code).display}" if largest else None))  # fmt: skip
    return views

"""Principal at risk in open HTLC locks, the queue of swaps not yet final with its ageing, exceptions
with their age (the bridge's alerts with their evidence and acknowledgement), refusals by the rule that
refused, and the audit trail of the regulator's powers."""

from __future__ import annotations

from collections import defaultdict

from collections.abc import Callable
from datetime import datetime

from supervision.context import TERMINAL, Context, iso, wall_iso
from supervision.inputs import ActionRecord, AlertRecord, SwapRecord
from supervision.model import (ActionView, AgeBucket, ExceptionItem, ExceptionsView, ExposureByCurrency, OpenLock, PendingSwap,
                               RefusalsByRule, RefusalView, RiskView, SwapIndicator)  # fmt: skip
from supervision.units import major_text

AGE_BUCKETS = ((60, "under 1 min"), (300, "1–5 min"), (1800, "5–30 min"), (7200, "30 min–2 h"), (None, "over 2 h"))


def risk(ctx: Context) -> RiskView:
    open_locks: list[OpenLock] = []
    value_seconds: dict[str, int] = defaultdict(int)
    open_now: dict[str, int] = defaultdict(int)
    count_open: dict[str, int] = defaultdict(int)
    for lock in sorted(ctx.htlc_locks.values(), key=lambda e: (e.ledger, e.block, e.log_index)):
        if lock.currency is None or lock.amount is None:
            continue
        start = ctx.block_time(lock.ledger, lock.block)
        if start is None:
            continue
        ending = ctx.htlc_endings.get(lock.lock_id)
        end = ctx.block_time(ending.ledger, ending.block) if ending is not None else ctx.closing_time[lock.ledger]
        value_seconds[lock.currency] += lock.amount * max(0, (end or start) - start)
        if ending is None:
            open_now[lock.currency] += lock.amount
            count_open[lock.currency] += 1
            swap = ctx.swaps.get(lock.swap_id or "")
            leg = "?" if swap is None else ("A" if ctx.lock_of(swap, "A") == lock else "B")
            locked_at = ctx.ledger_time(lock.ledger, lock.block)
            assert locked_at is not None
            open_locks.append(OpenLock(swap_id=lock.swap_id or lock.lock_id, leg=leg, ledger=lock.ledger,
                                       amount=ctx.money(lock.amount, lock.currency), locked_at=locked_at,
                                       expires=iso(lock.expiry) if lock.expiry else "-",
                                       age_seconds=ctx.closing_time[lock.ledger] - start))  # fmt: skip
    exposure = []
    for code in sorted(set(value_seconds) | set(open_now)):
        decimals = ctx.network.currencies[code].decimals
        hours_minor = value_seconds[code] // 3600
        exposure.append(ExposureByCurrency(currency=code, open_now=ctx.money(open_now[code], code), locks_open=count_open[code],
                                           value_hours=f"{major_text(hours_minor, decimals)} {code}·h",
                                           value_hours_minor=value_seconds[code]))  # fmt: skip
    pending = pending_swaps(ctx)
    return RiskView(
        definition=("Principal at risk: value locked in an HTLC escrow and not yet claimed or refunded. Exposure over the period "
                    "is Σ value × time locked (ledger time, lock to claim or refund, or to the closing block for a lock still open), "
                    "in currency-hours. The pending queue: every swap not yet final, aged by the bridge's clock since its order."),
        open_locks=sorted(open_locks, key=lambda lock: (lock.expires, lock.swap_id)), exposure=exposure, pending=pending,
        pending_ageing=ageing(ctx, pending))  # fmt: skip


def _entered(swap: SwapRecord) -> datetime:
    """When ``swap`` entered its current state: its latest journal entry that changed the state."""
    for step in reversed(swap.transitions):
        if step.from_state != step.to_state:
            return step.at
    return swap.created_at


def pending_swaps(ctx: Context) -> list[PendingSwap]:
    """Every swap not yet final (proposed included), oldest order first."""
    found = []
    for swap in sorted(ctx.swaps.values(), key=lambda s: (s.created_at, s.id)):
        if swap.state in TERMINAL:
            continue
        found.append(PendingSwap(swap_id=swap.id, model=swap.model, state=swap.state, initiator=ctx.name(swap.initiator),
                                 counterparty=ctx.name(swap.counterparty), pays=ctx.money(swap.leg_a.amount, swap.leg_a.currency),
                                 ordered=wall_iso(swap.created_at), age_seconds=round((ctx.now - swap.created_at).total_seconds(), 1),
                                 in_state_seconds=round((ctx.now - _entered(swap)).total_seconds(), 1)))  # fmt: skip
    return found


def ageing(ctx: Context, pending: list[PendingSwap]) -> list[AgeBucket]:
    """The pending queue by age since the order: how many swaps and what their initiators pay, per bucket."""
    buckets = []
    lower = 0.0
    for upper, label in AGE_BUCKETS:
        inside = [p for p in pending if p.age_seconds >= lower and (upper is None or p.age_seconds < upper)]
        totals: dict[str, int] = defaultdict(int)
        for p in inside:
            totals[p.pays.currency] += p.pays.minor_units
        buckets.append(AgeBucket(label=label, up_to_seconds=upper, swaps=len(inside),
                                 value=[ctx.money(amount, code) for code, amount in sorted(totals.items())]))  # fmt: skip
        lower = float(upper) if upper is not None else lower
    return buckets


def exceptions(ctx: Context, indicators: list[SwapIndicator], differences: list[str]) -> ExceptionsView:
    items: list[ExceptionItem] = []
    now = ctx.now
    items += [alert_item(alert, now) for alert in sorted(ctx.journal.alerts, key=lambda a: a.raised_at)]
    for swap in ctx.swaps.values():
        if swap.state in TERMINAL or swap.state == "proposed":
            continue
        last = swap.transitions[-1].at if swap.transitions else swap.created_at
        items.append(ExceptionItem(kind="swap in flight", severity="info", what=f"{swap.model} swap is {swap.state} since its last step",
                                   swap_id=swap.id, ledger=None, tx_hash=None, raised=wall_iso(last),
                                   age_seconds=round((now - last).total_seconds(), 1), status="open", resolution=None))  # fmt: skip
    for item in indicators:
        if item.state == "failed":
            items.append(ExceptionItem(kind="failed swap", severity="warning", what=item.failure or "failed", swap_id=item.id, ledger=None,
                                       tx_hash=None, raised=None, age_seconds=None, status="resolved",
                                       resolution="nothing moved" if all(leg.outcome in ("not moved", "refunded") for leg in item.legs)
                                       else "see its legs"))  # fmt: skip
    for difference in differences:
        items.append(ExceptionItem(kind="reconciliation difference", severity="critical", what=difference, swap_id=None, ledger=None,
                                   tx_hash=None, raised=None, age_seconds=None, status="open", resolution=None))  # fmt: skip
    return ExceptionsView(items=items, open=sum(1 for item in items if item.status == "open" and item.severity != "info"))


def alert_item(alert: AlertRecord, now: datetime) -> ExceptionItem:
    """One of the bridge's alerts as an exception: first seen, age, evidence, acknowledgement, resolution."""
    resolved = alert.resolved_at is not None
    age = ((alert.resolved_at if resolved else now) - alert.raised_at).total_seconds()  # type: ignore[operator]
    return ExceptionItem(kind=f"alert: {alert.kind}", severity=alert.severity, what=alert.detail, swap_id=alert.swap_id, ledger=alert.ledger,
                         tx_hash=alert.tx_hash, raised=wall_iso(alert.raised_at), age_seconds=round(age, 1),
                         status="resolved" if resolved else "open", resolution=alert.resolution, alert_id=alert.id,
                         last_seen=wall_iso(alert.last_seen_at), occurrences=alert.occurrences, evidence=alert.evidence,
                         acknowledged_by=alert.acknowledged_by,
                         acknowledged_at=wall_iso(alert.acknowledged_at) if alert.acknowledged_at else None,
                         acknowledgement=alert.acknowledgement)  # fmt: skip


def action_view(record: ActionRecord, name: Callable[[str], str]) -> ActionView:
    """One row of the audit trail; ``name`` turns a participant's configured name into the one people read."""
    if record.action == "resume":
        target = f"{record.pair} on ledger {record.ledger}"
    elif record.participant:
        target = f"{name(record.participant)} in {record.currency}"
    else:
        target = f"{record.currency} on ledger {record.ledger}"
    return ActionView(id=record.id, requested_at=wall_iso(record.requested_at), actor=record.actor, actor_address=record.actor_address,
                      via=record.via, action=record.action, target=target, ledger=record.ledger, status=record.status,
                      tx_hash=record.tx_hash, block=record.block, error=record.error, reason=record.reason,
                      finished_at=wall_iso(record.finished_at) if record.finished_at else None)  # fmt: skip


def actions(ctx: Context) -> list[ActionView]:
    return [action_view(record, ctx.name) for record in ctx.journal.actions]


def refusals(ctx: Context) -> tuple[list[RefusalView], list[RefusalsByRule]]:
    views = []
    by_rule: dict[str, list[str]] = defaultdict(list)
    for refusal in ctx.refusals:
        swap = ctx.swaps.get(refusal.swap_id or "")
        views.append(RefusalView(id=refusal.id, at=wall_iso(refusal.at), participant=ctx.name(refusal.participant) if refusal.participant else None,
                                 action=refusal.action, status=str(refusal.status) if refusal.status is not None else "on chain",
                                 rule=refusal.rule, error=refusal.error, detail=refusal.detail, swap_id=refusal.swap_id,
                                 swap_state=swap.state if swap is not None else (None if refusal.swap_id is None else "never recorded"),
                                 source=refusal.source, tx_hash=refusal.tx_hash))  # fmt: skip
        by_rule[refusal.rule].append(refusal.id)
    return views, [RefusalsByRule(rule=rule, count=len(ids), refusals=ids) for rule, ids in sorted(by_rule.items())]

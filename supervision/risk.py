"""Principal at risk in open HTLC locks, exceptions with their age, and refusals by the rule that refused."""

from __future__ import annotations

from collections import defaultdict

from supervision.context import TERMINAL, Context, iso, wall_iso
from supervision.model import (ExceptionItem, ExceptionsView, ExposureByCurrency, OpenLock, RefusalsByRule, RefusalView, RiskView,
                               SwapIndicator)  # fmt: skip
from supervision.units import major_text


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
    return RiskView(
        definition=("Principal at risk: value locked in an HTLC escrow and not yet claimed or refunded. Exposure over the period "
                    "is Σ value × time locked (ledger time, lock to claim or refund, or to the closing block for a lock still open), "
                    "in currency-hours."),
        open_locks=open_locks, exposure=exposure)  # fmt: skip


def exceptions(ctx: Context, indicators: list[SwapIndicator], differences: list[str]) -> ExceptionsView:
    items: list[ExceptionItem] = []
    now = ctx.now
    for alert in sorted(ctx.journal.alerts, key=lambda a: a.raised_at):
        resolved = alert.resolved_at is not None
        age = ((alert.resolved_at if resolved else now) - alert.raised_at).total_seconds()  # type: ignore[operator]
        items.append(ExceptionItem(kind=f"alert: {alert.kind}", severity=alert.severity, what=alert.detail, swap_id=alert.swap_id,
                                   ledger=alert.ledger, tx_hash=alert.tx_hash, raised=wall_iso(alert.raised_at), age_seconds=round(age, 1),
                                   status="resolved" if resolved else "open", resolution=alert.resolution))  # fmt: skip
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

"""Builds the :class:`SupervisionModel` from the journal, the chains and the application's evidence.

Each section is a pure function of those inputs (:mod:`supervision.swaps`, :mod:`supervision.flows`,
:mod:`supervision.liquidity`, :mod:`supervision.risk`, :mod:`supervision.verdicts`); this module only
joins them. ``offset``/``limit`` choose the page of the long listings (swaps, timelines, movements).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from supervision import flows as flows_
from supervision import liquidity as liquidity_
from supervision import risk as risk_
from supervision import swaps as swaps_
from supervision import verdicts
from supervision.context import Context, iso, wall_iso
from supervision.inputs import ChainFacts, Evidence, JournalFacts, NetworkFacts, OracleEvent
from supervision.model import (BreakerEvent, CheckView, CurrencyView, DrillView, LedgerTime, LedgerView, NetworkView, OperationsView,
                               OracleRow, OracleView, PairHistory, ParticipantView, RoundPoint, ScenarioView, SupervisionModel, SwapCounts,
                               page_of)  # fmt: skip
from supervision.units import duration_text, money, round_label

DEFAULT_PAGE = 100


def build_model(network: NetworkFacts, journal: JournalFacts, chain: ChainFacts, evidence: Evidence | None = None, *,
                offset: int = 0, limit: int = DEFAULT_PAGE, now: datetime | None = None, curve_points: int | None = None) -> SupervisionModel:  # fmt: skip
    ctx = Context(network=network, journal=journal, chain=chain, evidence=evidence or Evidence(), now=now or datetime.now(timezone.utc))
    ordered = sorted(journal.swaps, key=lambda s: (s.created_at, s.id))
    indicators = [swaps_.indicator(ctx, swap) for swap in ordered]
    attributed = flows_.attribute(ctx)
    reconciliation = flows_.reconciliation(ctx, attributed)
    finality = swaps_.finality(indicators, ctx.swaps)
    cost = swaps_.cost(ctx, indicators)
    operations = operations_view(ctx)
    refusals, by_rule = risk_.refusals(ctx)
    differences = [f"{c.holder} {c.currency}: {c.difference.display}" for c in reconciliation.cells if not c.ok]
    differences += [f"{s.currency} supply: {s.difference.display}" for s in reconciliation.supply if not s.ok]
    differences += [f"{a.what} {a.tx_hash}: {a.difference}" for a in reconciliation.attribution if not a.ok]
    order = "in the order the bridge received them"
    return SupervisionModel(
        generated_at=wall_iso(ctx.now), database=journal.database, network=network_view(ctx),
        verdicts=[verdicts.p8(ctx, indicators), verdicts.p12(ctx, indicators), verdicts.p17(ctx, operations),
                  verdicts.g20_speed(finality), verdicts.g20_cost(cost.average_cost_bps), verdicts.g20_transparency(indicators),
                  verdicts.reconciled(reconciliation)],
        counts=counts_view(ctx),
        indicators=page_of(indicators, offset=offset, limit=limit, noun="swaps", order=order),
        timelines=page_of([swaps_.timeline(ctx, swap) for swap in ordered], offset=offset, limit=limit, noun="timelines", order=order),
        finality=finality, cost=cost, positions=flows_.positions(ctx, attributed.flows),
        movements=page_of(flows_.movements(ctx, attributed.flows), offset=offset * 4, limit=limit * 4, noun="movements",
                          order="in ledger order (ledger, block, log index)"),
        reconciliation=reconciliation, liquidity=liquidity_.liquidity(ctx, attributed, curve_points=curve_points), concentration=liquidity_.concentration(ctx),
        risk=risk_.risk(ctx), exceptions=risk_.exceptions(ctx, indicators, differences), refusals=refusals, refusals_by_rule=by_rule,
        oracle=oracle_view(ctx), operations=operations, scenarios=scenarios_view(ctx), actions=risk_.actions(ctx))  # fmt: skip


def counts_view(ctx: Context) -> SwapCounts:
    aggregates = ctx.journal.aggregates
    return swaps_.counts(ctx, aggregates.by_state, aggregates.by_model, aggregates.settled_value, aggregates.settled_today, aggregates.day)


def network_view(ctx: Context) -> NetworkView:
    ledgers = []
    for ledger in ctx.network.ledgers.values():
        opening_block = ctx.chain.period.opening_block.get(ledger.name, 0)
        opening = ctx.ledger_time(ledger.name, opening_block) or LedgerTime(ledger=ledger.name, block=opening_block, timestamp=0, iso="-")
        ledgers.append(LedgerView(
            name=ledger.name, chain_id=ledger.chain_id, confirmations=ledger.confirmations,
            finality_point=f"block inclusion with {ledger.confirmations} confirmation{'s' if ledger.confirmations != 1 else ''}",
            opening=opening, closing=LedgerTime(ledger=ledger.name, block=ledger.head_block, timestamp=ledger.head_time, iso=iso(ledger.head_time))))  # fmt: skip
    return NetworkView(
        label=ctx.network.label, ledgers=ledgers,
        currencies=[CurrencyView(code=c.code, name=c.name, decimals=c.decimals, ledger=c.ledger, token=c.token) for c in ctx.network.currencies.values()],
        participants=[ParticipantView(name=p.name, display_name=p.display_name, address=p.address, kind=p.kind)
                      for p in ctx.network.participants.values()])  # fmt: skip


def oracle_view(ctx: Context) -> OracleView:
    provenance = {p.pair: p for p in ctx.evidence.oracle_provenance}
    rows = []
    for pair in ctx.chain.oracle_pairs:
        source = provenance.get(pair.pair)
        fixing_date = source.fixing_date if source else (iso(pair.observed_at)[:10] if pair.observed_at else None)
        note = ""
        if source is not None and source.restamped:
            note = (f"{source.source} fixing of {source.fixing_date} re-stamped as observed at publication so that it counts as fresh "
                    f"(development network; the rate is that day's){'; ' + source.note if source.note else ''}")  # fmt: skip
        rows.append(OracleRow(ledger=pair.ledger, pair=pair.pair, state=pair.state, detail=pair.detail, round=f"#{pair.round}" if pair.round else "-",
                              mid=pair.mid, fixing_date=fixing_date, source=source.source if source else "ECB",
                              observed_at=iso(pair.observed_at) if pair.observed_at else None,
                              published_at=iso(pair.published_at) if pair.published_at else None,
                              age=duration_text(pair.age_seconds) if pair.age_seconds is not None else "not measured",
                              halted_since=pair.halted_since, note=note, dispersion_bps=pair.dispersion_bps))  # fmt: skip
    events = [_breaker(e) for e in (*ctx.chain.oracle_events, *ctx.evidence.oracle_events)]
    return OracleView(pairs=rows, events=sorted(events, key=lambda e: (e.network, e.ledger, e.block)), history=oracle_history(ctx))


def oracle_history(ctx: Context) -> list[PairHistory]:
    by_pair: dict[tuple[str, str], list[RoundPoint]] = {}
    for r in sorted(ctx.chain.oracle_history, key=lambda r: (r.ledger, r.pair, r.round)):
        by_pair.setdefault((r.ledger, r.pair), []).append(RoundPoint(round=r.round, mid=f"{Decimal(r.mid).scaleb(-8):.8f}", dispersion_bps=r.dispersion_bps,
                                                                     observed_at=iso(r.observed_at), published_at=iso(r.published_at)))  # fmt: skip
    return [PairHistory(ledger=ledger, pair=pair, rounds=rounds) for (ledger, pair), rounds in by_pair.items()]


def _breaker(event: OracleEvent) -> BreakerEvent:
    def mid(value: int | None) -> str | None:
        return None if value is None else f"{value / 10**8:.4f}"

    return BreakerEvent(network=event.network, ledger=event.ledger, chain_id=event.chain_id, kind=event.kind, pair=event.pair,
                        round=round_label(event.round) if event.round else None, previous_mid=mid(event.previous_mid), mid=mid(event.mid),
                        jump_bps=event.jump_bps, block=event.block, tx_hash=event.tx_hash, ledger_time=iso(event.ledger_time))  # fmt: skip


def operations_view(ctx: Context) -> OperationsView:
    drills = [DrillView(what=d.what, swap_id=d.swap_id, detection=d.detection_method, detection_seconds=d.detection_seconds,
                        recovery_seconds=d.recovery_seconds, completion_seconds=d.completion_seconds, acknowledged=d.acknowledged,
                        lost=d.lost, recovered_state=d.recovered_state) for d in ctx.evidence.drills]  # fmt: skip
    return OperationsView(objective_seconds=verdicts.RECOVERY_OBJECTIVE_SECONDS, drills=drills,
                          alerts_open=sum(1 for a in ctx.journal.alerts if a.resolved_at is None), alerts_total=len(ctx.journal.alerts))  # fmt: skip


def scenarios_view(ctx: Context) -> list[ScenarioView]:
    views = []
    for s in ctx.evidence.scenarios:
        checks = [CheckView(holder=ctx.holder(c.holder) if c.holder.startswith("0x") else ctx.name(c.holder), currency=c.currency,
                            expected_change=money(c.expected_change, c.currency, c.decimals), observed_change=money(c.observed_change, c.currency, c.decimals),
                            passed=c.passed) for c in s.checks]  # fmt: skip
        views.append(ScenarioView(number=s.number, title=s.title, passed=s.passed, summary=s.summary, network=s.network, checks=checks,
                                  swaps=list(s.swaps), refusals=list(s.refusals)))  # fmt: skip
    return views


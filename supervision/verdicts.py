"""The verdict block: PFMI Principles 8, 12 and 17 and the G20 targets, each met, not met or not measured
from the model's own figures, with the evidence section and the reason. Nothing defaults: a figure that
could not be computed makes its verdict "not measured"."""

from __future__ import annotations

from supervision.context import Context
from supervision.model import (FinalityView, OperationsView, ReconciliationView, Status, SwapIndicator, Verdict)  # fmt: skip
from supervision.units import duration_text

RECOVERY_OBJECTIVE_SECONDS = 2 * 3600  # PFMI P17 (CPMI-IOSCO guidance): resume critical operations within two hours
G20_SPEED_SHARE = 0.75  # 75 % of cross-border payments credited within one hour
G20_COST_BPS = 100  # average cost no more than 1 %


def p8(ctx: Context, indicators: list[SwapIndicator]) -> Verdict:
    points = "; ".join(f"ledger {ledger.name}: block inclusion with {ledger.confirmations} confirmation{'s' if ledger.confirmations != 1 else ''}"
                       for ledger in ctx.network.ledgers.values())  # fmt: skip
    final = [item for item in indicators if item.state in ("settled", "refunded")]
    legs = [leg for item in final for leg in item.legs if leg.outcome in ("paid", "refunded")]
    missing = [item.id for item in final if item.state == "settled" and not all(leg.outcome == "paid" for leg in item.legs)]
    pending = [leg for leg in legs if not leg.final_now]
    common = {"id": "P8", "principle": "PFMI Principle 8 — settlement finality", "evidence": "#finality",
              "target": f"every leg final at a defined point ({points}), shown per leg"}
    if not final:
        return Verdict(**common, status=Status.NOT_MEASURED, measured="no swap reached settlement or refund",
                       why="nothing became final in the period")  # fmt: skip
    if missing or pending:
        return Verdict(**common, status=Status.NOT_MET,
                       measured=f"{len(legs)} legs final; {len(missing)} settled swaps without both legs paid on chain, "
                                f"{len(pending)} legs short of their finality point",
                       why="the journal records a final outcome the chains do not show at its finality point")  # fmt: skip
    return Verdict(**common, status=Status.MET,
                   measured=f"{len(legs)} legs of {len(final)} swaps final on chain, each at its block with the ledger's confirmations",
                   why="every settled or refunded swap's legs are in blocks at or below the ledgers' heads by their confirmations")  # fmt: skip


def p12(ctx: Context, indicators: list[SwapIndicator]) -> Verdict:
    common = {"id": "P12", "principle": "PFMI Principle 12 — exchange-of-value settlement (PvP)", "evidence": "#p12",
              "target": "no principal loss on any failure path: every swap moves both legs or neither (checked on chain)"}
    outcomes = {"both": 0, "neither": 0, "one-legged": 0, "in flight": 0}
    one_legged = []
    paths: dict[str, int] = {}
    for item in indicators:
        paid = [leg.outcome == "paid" for leg in item.legs]
        held = [leg.outcome == "locked" for leg in item.legs]
        if all(paid):
            outcomes["both"] += 1
        elif any(paid) and not any(held):
            outcomes["one-legged"] += 1
            one_legged.append(item.id)
        elif any(held) or (any(paid) and any(held)):
            outcomes["in flight"] += 1
        else:
            outcomes["neither"] += 1
        if item.state in ("refunded", "failed", "expired", "cancelled"):
            paths[item.state] = paths.get(item.state, 0) + 1
    refused = len(ctx.refusals)
    exercised = ", ".join(f"{n} {state}" for state, n in sorted(paths.items())) or "none"
    measured = (f"{len(indicators)} swaps: {outcomes['both']} both legs, {outcomes['neither']} neither, {outcomes['one-legged']} one-legged, "
                f"{outcomes['in flight']} in flight; failure paths exercised: {exercised}; {refused} instructions refused before anything moved")  # fmt: skip
    if not indicators:
        return Verdict(**common, status=Status.NOT_MEASURED, measured="no swap in the period", why="nothing to check")
    if one_legged:
        return Verdict(**common, status=Status.NOT_MET, measured=measured,
                       why=f"one leg moved without the other: {', '.join(s[:10] + '…' for s in one_legged)}")  # fmt: skip
    return Verdict(**common, status=Status.MET, measured=measured,
                   why="on chain, every swap moved both legs or none (locks still open are in flight, not lost)")


def p17(ctx: Context, operations: OperationsView) -> Verdict:
    common = {"id": "P17", "principle": "PFMI Principle 17 — operational risk", "evidence": "#operations",
              "target": f"recover within {duration_text(RECOVERY_OBJECTIVE_SECONDS)}; detect failures; lose no acknowledged instruction"}
    drills = operations.drills
    if not drills:
        return Verdict(**common, status=Status.NOT_MEASURED, measured="no failure and recovery was measured in the period",
                       why="recovery, detection and the recovery point are measured by a recovery drill; none ran against this bridge in the period")  # fmt: skip
    worst = max((d.recovery_seconds for d in drills if d.recovery_seconds is not None), default=None)
    detection = max((d.detection_seconds for d in drills if d.detection_seconds is not None), default=None)
    lost = sum(d.lost for d in drills)
    acknowledged = sum(d.acknowledged for d in drills)
    measured = (f"recovery {duration_text(worst)}, detection {duration_text(detection)}, "
                f"{lost} of {acknowledged} acknowledged instructions lost")  # fmt: skip
    if worst is None:
        return Verdict(**common, status=Status.NOT_MEASURED, measured=measured, why="the drill did not measure the recovery")
    if worst > RECOVERY_OBJECTIVE_SECONDS or lost:
        return Verdict(**common, status=Status.NOT_MET, measured=measured, why="beyond the objective, or acknowledged instructions lost")
    return Verdict(**common, status=Status.MET, measured=measured,
                   why="the bridge resumed within the objective from its journal and the chains, and every acknowledged instruction was there")


def g20_speed(finality: FinalityView) -> Verdict:
    common = {"id": "G20-speed", "principle": "G20 target — speed", "evidence": "#finality",
              "target": f"{G20_SPEED_SHARE:.0%} of payments credited within one hour"}
    if finality.share_within_one_hour is None:
        return Verdict(**common, status=Status.NOT_MEASURED, measured="no payment reached an outcome", why=finality.population)
    measured = f"{finality.share_within_one_hour:.1%} ({finality.within_one_hour} of {finality.payments} payments) within one hour of ledger time"
    status = Status.MET if finality.share_within_one_hour >= G20_SPEED_SHARE else Status.NOT_MET
    return Verdict(**common, status=status, measured=measured, why=finality.population)


def g20_cost(average_cost_bps: float | None) -> Verdict:
    common = {"id": "G20-cost", "principle": "G20 target — cost", "evidence": "#cost", "target": "average cost of a payment no more than 1 %"}
    if average_cost_bps is None:
        return Verdict(**common, status=Status.NOT_MEASURED, measured="no settled swap with an oracle mid",
                       why="the cost is the FX margin against the oracle mid; no fee is charged")  # fmt: skip
    status = Status.MET if average_cost_bps <= G20_COST_BPS else Status.NOT_MET
    return Verdict(**common, status=status, measured=f"average FX margin {average_cost_bps:.2f} bps ({average_cost_bps / 100:.4f} %), no fees",
                   why="cost = |agreed rate − oracle mid| / mid, averaged over settled swaps; the bridge charges no fee")  # fmt: skip


def g20_transparency(indicators: list[SwapIndicator]) -> Verdict:
    common = {"id": "G20-transparency", "principle": "G20 target — transparency", "evidence": "#indicators",
              "target": "every payment's price (agreed rate, oracle mid and round), fees and time to final disclosed to both banks"}
    final = [item for item in indicators if item.state in ("settled", "refunded")]
    if not final:
        return Verdict(**common, status=Status.NOT_MEASURED, measured="no payment reached an outcome", why="nothing to disclose yet")
    disclosed = [item for item in final if item.oracle_mid is not None and item.oracle_round != "-" and item.time_to_final_seconds is not None]
    measured = f"{len(disclosed)} of {len(final)} final swaps carry their rate, oracle mid and round, and a time to final"
    status = Status.MET if len(disclosed) == len(final) else Status.NOT_MET
    return Verdict(**common, status=status, measured=measured,
                   why="each is readable by both banks (GET /v1/swaps/{id}) and in this report; fees are none")  # fmt: skip


def reconciled(reconciliation: ReconciliationView) -> Verdict:
    common = {"id": "reconciliation", "principle": "Reconciliation to the chain", "evidence": "#reconciliation",
              "target": "opening + flows = closing for every holder and currency; supply = holdings; journal = chain per transaction"}
    failed = [c for c in reconciliation.cells if not c.ok] + [s for s in reconciliation.supply if not s.ok]
    wrong = [a for a in reconciliation.attribution if not a.ok]
    measured = (f"{len(reconciliation.cells)} cells, {len(reconciliation.supply)} currencies' supply, {len(reconciliation.attribution)} "
                f"settling transactions: {len(failed)} differences, {len(wrong)} transactions the journal does not explain, "
                f"{len(reconciliation.unattributed)} unattributed movements")  # fmt: skip
    if not reconciliation.cells:
        return Verdict(**common, status=Status.NOT_MEASURED, measured="nothing held or moved", why="no balances read")
    status = Status.MET if reconciliation.ok else Status.NOT_MET
    return Verdict(**common, status=status, measured=measured,
                   why="every figure matches the chain" if reconciliation.ok else "see the differences, shown in the section")

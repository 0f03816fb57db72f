"""The supervisory report: the supervision model written as one self-contained HTML page (inline CSS and
SVG, no script, nothing fetched: it renders offline), as JSON (the model itself) and as a CSV of every
swap. Renders only: every figure comes from :mod:`supervision`."""

from __future__ import annotations

import csv
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from apps.report.charts import finality_chart, liquidity_chart
from supervision.model import SupervisionModel, page_of
from supervision.units import duration_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML_ROWS = 60  # swaps, timelines shown in the HTML page; movements four times as many
SECTIONS = [("verdicts", "Verdicts"), ("scenarios", "Scenarios"), ("finality", "Finality"), ("cost", "Cost"), ("liquidity", "Liquidity"),
            ("concentration", "Concentration"), ("risk", "At risk"), ("p12", "Failure paths"), ("positions", "Positions"),
            ("reconciliation", "Reconciliation"), ("movements", "Movements"), ("indicators", "Swaps"), ("timelines", "Timelines"),
            ("exceptions", "Exceptions"), ("refusals", "Refusals"), ("oracle", "Oracle"), ("operations", "Operations")]  # fmt: skip
CSV_FIELDS = ["swap", "model", "state", "initiator", "counterparty", "pays", "pays_minor_units", "pays_decimals", "receives",
              "receives_minor_units", "receives_decimals", "corridor", "rate", "oracle_mid", "oracle_round", "margin_bps",
              "time_to_final_ledger_seconds", "time_to_final_basis", "wall_latency_seconds", "leg_a_final", "leg_b_final", "batch",
              "failure", "refusals"]  # fmt: skip


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.globals["seconds"] = lambda value: "-" if value is None else duration_text(value)
    return env


def render_html(model: SupervisionModel, *, rows: int = HTML_ROWS) -> str:
    order = model.indicators.order
    indicators = page_of(model.indicators.items, offset=0, limit=rows, noun="swaps", order=order)
    timelines = page_of(model.timelines.items, offset=0, limit=rows // 3, noun="timelines", order=order)
    movements = page_of(model.movements.items, offset=0, limit=rows * 4, noun="movements", order=model.movements.order)
    failures = [i for i in model.indicators.items if i.state in ("refunded", "failed", "expired", "cancelled")]
    charts = {"liquidity": liquidity_chart(model.liquidity.currencies), "finality": finality_chart(model.finality.by_model)}
    sections = [(key, name) for key, name in SECTIONS if key != "scenarios" or model.scenarios]
    return _environment().get_template("report.html.j2").render(m=model, indicators=indicators, timelines=timelines, movements=movements,
                                                                failures=failures, charts=charts, sections=sections)  # fmt: skip


def csv_rows(model: SupervisionModel) -> list[dict[str, object]]:
    rows = []
    for i in model.indicators.items:
        legs = {leg.leg: leg for leg in i.legs}

        def final(name: str) -> str:
            leg = legs.get(name)
            if leg is None or leg.tx_hash is None:
                return leg.outcome if leg else ""
            return f"{leg.outcome} {leg.tx_hash} block {leg.block} ledger {leg.ledger}"

        rows.append({"swap": i.id, "model": i.model, "state": i.state, "initiator": i.initiator, "counterparty": i.counterparty,
                     "pays": i.pays.display, "pays_minor_units": i.pays.minor_units, "pays_decimals": i.pays.decimals,
                     "receives": i.receives.display, "receives_minor_units": i.receives.minor_units, "receives_decimals": i.receives.decimals,
                     "corridor": i.corridor, "rate": i.rate.display, "oracle_mid": i.oracle_mid.display if i.oracle_mid else "",
                     "oracle_round": i.oracle_round, "margin_bps": "" if i.margin_bps is None else i.margin_bps,
                     "time_to_final_ledger_seconds": "" if i.time_to_final_seconds is None else i.time_to_final_seconds,
                     "time_to_final_basis": i.time_to_final_basis, "wall_latency_seconds": "" if i.wall_latency_seconds is None else i.wall_latency_seconds,
                     "leg_a_final": final("A"), "leg_b_final": final("B"), "batch": i.batch or "", "failure": i.failure or "",
                     "refusals": " ".join(i.refusals)})  # fmt: skip
    return rows


def write_report(model: SupervisionModel, directory: Path) -> dict[str, Path]:
    """Writes ``corridor-report.html``, ``corridor-report.json`` and ``corridor-swaps.csv`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"html": directory / "corridor-report.html", "json": directory / "corridor-report.json", "csv": directory / "corridor-swaps.csv"}
    paths["json"].write_text(model.model_dump_json(indent=1))
    with paths["csv"].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(csv_rows(model))
    paths["html"].write_text(render_html(model))
    return paths

"""The supervisory report: one self-contained HTML file (inline SVG charts, viewable offline) plus
JSON and CSV exports of the same data, written to ``reports/``."""

from __future__ import annotations

import csv
import html
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PFMI_RECOVERY_OBJECTIVE_SECONDS = 2 * 3600


def round_label(round_ref: int | None) -> str:
    """An oracle round reference as people read it: "#7", or "#3 × #5" for a rate derived from two legs."""
    if not round_ref:
        return "-"
    if round_ref >> 128:
        return f"#{round_ref >> 128} × #{round_ref & ((1 << 128) - 1)} (cross via EUR)"
    return f"#{round_ref}"


def build_report(*, scenarios: list[dict[str, Any]], swaps: list[dict[str, Any]], positions: dict[str, dict[str, int]],
                 oracle: list[dict[str, Any]], network: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The report's data: scenarios, per-swap timelines and indicators, positions, oracle, refusals."""
    indicators = []
    for swap in swaps:
        times = [datetime.fromisoformat(t["at"]) for t in swap["transitions"]]
        final = next((t for t in swap["transitions"] if t["to"] in ("settled", "refunded")), None)
        seconds = (datetime.fromisoformat(final["at"]) - times[0]).total_seconds() if final else None
        margin_bps = abs(swap["rate"] - swap["oracle_mid"]) * 10_000 / swap["oracle_mid"] if swap.get("oracle_mid") else None
        indicators.append({
            "swap": swap["id"], "model": swap["model"], "state": swap["state"],
            "pays": f"{swap['leg_a']['amount']} {swap['leg_a']['currency']}", "receives": f"{swap['leg_b']['amount']} {swap['leg_b']['currency']}",
            "seconds_to_final": round(seconds, 3) if seconds is not None else None,
            "fx_margin_bps_vs_oracle_mid": round(margin_bps, 2) if margin_bps is not None else None,
            "oracle_round": round_label(swap.get("oracle_round")),
            "finality_leg_a": swap["leg_a"].get("settle_tx") or swap["leg_a"].get("refund_tx"),
            "finality_leg_b": swap["leg_b"].get("settle_tx") or swap["leg_b"].get("refund_tx"),
        })  # fmt: skip
    refusals = [r for s in scenarios for r in s.get("refusals", [])]
    flows: dict[str, dict[str, dict[str, int]]] = {}
    for swap in swaps:
        if swap["state"] != "settled":
            continue
        for leg in (swap["leg_a"], swap["leg_b"]):
            paid = flows.setdefault(leg["payer"], {}).setdefault(leg["currency"], {"paid": 0, "received": 0})
            paid["paid"] += leg["amount"]
            received = flows.setdefault(leg["receiver"], {}).setdefault(leg["currency"], {"paid": 0, "received": 0})
            received["received"] += leg["amount"]
    breaker_events = [{"scenario": s["number"], "pair": "EUR/CHF", "tripped_on": s["facts"]["tripped_on"]}
                      for s in scenarios if s.get("facts", {}).get("tripped_on")]  # fmt: skip
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(),
        "network": network,
        "scenarios": scenarios,
        "swaps": swaps,
        "indicators": indicators,
        "positions": positions,
        "flows": flows,
        "oracle": oracle,
        "breaker_events": breaker_events,
        "refusals": refusals,
        "pfmi": {
            "P8_settlement_finality": "each leg is final at the block of its settle or claim transaction (finality_leg_*)",
            "P12_pvp": [s["title"] for s in scenarios if s["passed"]],
            "P17_recovery_objective_seconds": PFMI_RECOVERY_OBJECTIVE_SECONDS,
            "P17_measured_recovery_seconds": next((s["facts"].get("recovery_seconds") for s in scenarios if s["number"] == 8), None),
        },
    }


def write_report(data: dict[str, Any], directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "corridor-report.json", "csv": directory / "corridor-swaps.csv",
             "html": directory / "corridor-report.html"}  # fmt: skip
    paths["json"].write_text(json.dumps(data, indent=2, default=str))
    with paths["csv"].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data["indicators"][0]) if data["indicators"] else ["swap"])
        writer.writeheader()
        writer.writerows(data["indicators"])
    paths["html"].write_text(_html(data))
    return paths


def _bar_chart(title: str, series: dict[str, tuple[float, float]], labels: tuple[str, str]) -> str:
    """A grouped bar chart (two bars per category) as inline SVG."""
    width, row = 900, 56
    height = 40 + row * len(series)
    top = max((max(a, b) for a, b in series.values()), default=1) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>']  # fmt: skip
    for i, (name, (a, b)) in enumerate(series.items()):
        y = 30 + i * row
        parts.append(f'<text x="0" y="{y + 18}">{html.escape(name)}</text>')
        for j, (value, colour, label) in enumerate(((a, "#3b6ea5", labels[0]), (b, "#e07b39", labels[1]))):
            w = max(1, int(440 * value / top))
            parts.append(f'<rect x="90" y="{y + j * 22}" width="{w}" height="18" fill="{colour}"/>')
            parts.append(f'<text x="{96 + w}" y="{y + j * 22 + 14}" font-size="12">{html.escape(label)}: {value:,.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(data: dict[str, Any]) -> str:
    scenarios = _table([{"#": s["number"], "scenario": s["title"], "result": "PASS" if s["passed"] else "FAIL", "what happened": s["summary"]}
                        for s in data["scenarios"]], ["#", "scenario", "result", "what happened"])  # fmt: skip
    timelines = []
    for swap in data["swaps"]:
        rows = [{"time (UTC)": t["at"][11:23], "from": t["from"] or "", "to": t["to"], "ledger": t["ledger"] or "",
                 "block": t["block"] or "", "tx": t["tx_hash"] or "", "detail": t["detail"] or ""} for t in swap["transitions"]]  # fmt: skip
        timelines.append(f"<h3>{html.escape(swap['model'].upper())} swap {html.escape(swap['id'][:18])}… — {html.escape(swap['state'])} "
                         f"(oracle round {html.escape(round_label(swap.get('oracle_round')))})</h3>"
                         + _table(rows, ["time (UTC)", "from", "to", "ledger", "block", "tx", "detail"]))  # fmt: skip
    netting = next((s for s in data["scenarios"] if s["number"] == 7), None)
    chart = ""
    if netting:
        facts = netting["facts"]
        chart = _bar_chart("Funding needed: gross versus netted (minor units)",
                           {code: (facts["gross"][code], facts["net"][code]) for code in facts["gross"]}, ("gross", "netted"))  # fmt: skip
    positions = _table([{"bank": bank, **balances} for bank, balances in data["positions"].items()],
                       ["bank", *sorted({c for b in data["positions"].values() for c in b})])  # fmt: skip
    indicators = _table(data["indicators"], list(data["indicators"][0]) if data["indicators"] else [])
    refusals = _table(data["refusals"], ["scenario", "status", "error", "detail"])
    flows = _table([{"bank": bank, "currency": code, **amounts} for bank, by_code in data["flows"].items()
                    for code, amounts in by_code.items()], ["bank", "currency", "paid", "received"])  # fmt: skip
    breakers = _table(data["breaker_events"], ["scenario", "pair", "tripped_on"])
    oracle = _table(data["oracle"], list(data["oracle"][0]) if data["oracle"] else [])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Corridor supervisory report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top;word-break:break-all}}th{{background:#f0f3f7}}h1{{margin-bottom:0}}</style></head>
<body><h1>Corridor — supervisory report</h1><p>Generated {html.escape(data['generated_at'])}. Ledgers: {html.escape(', '.join(f"{n} (chain {l['chain_id']})" for n, l in data['network']['ledgers'].items()))}.</p>
<h2>Scenarios</h2>{scenarios}
<h2>Liquidity saving</h2>{chart}
<h2>Per-swap indicators (G20: speed, cost versus the oracle mid, status; PFMI P8 finality per leg)</h2>{indicators}
<h2>Timelines across both ledgers</h2>{''.join(timelines)}
<h2>Positions by bank and currency (minor units)</h2>{positions}
<h2>Flows by bank and currency (settled swaps, minor units)</h2>{flows}
<h2>Oracle rounds in force</h2>{oracle}
<h2>Circuit-breaker events</h2>{breakers}
<h2>Refused operations</h2>{refusals}
<h2>PFMI evidence</h2><p>P8 — settlement finality: each leg is final at the block of its settle or claim transaction (see the indicators and timelines).
P12 — PvP: every failure path above ends without principal loss (scenarios 3, 5 and 6 check balances).
P17 — operational risk: the bridge was killed mid-swap and recovered in {html.escape(str(data['pfmi']['P17_measured_recovery_seconds']))} s against an objective of {PFMI_RECOVERY_OBJECTIVE_SECONDS} s.</p>
</body></html>"""

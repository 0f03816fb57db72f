"""Rendering the console's pages: the Jinja2 environment, the filters that write figures as the model's
units do, and the charts (Chart.js, from the package) as data next to each canvas. Computes nothing:
each chart re-draws figures of the supervision model, and the table beside it carries them exactly."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from supervision.model import Distribution, Money, PositionCurve
from supervision.units import duration_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
FLOOR_SECONDS = 0.1
PALETTE = ("#1f5fa8", "#b24a12", "#2c7a3f", "#7b3f8c", "#8a6d00", "#00707a")


def _seconds(value: float | None) -> str:
    return "-" if value is None else duration_text(value)


def _bps(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f} bps" if signed else f"{value:.2f} bps"


def _pct(value: float | None, places: int = 1) -> str:
    return "-" if value is None else f"{value:.{places}f} %"


def _short(value: str | None, keep: int = 10) -> str:
    if not value:
        return ""
    return value if len(value) <= keep + 6 else f"{value[:keep]}…{value[-4:]}"


def _utc(value: str) -> datetime | None:
    """An ISO time as UTC (a naive one is UTC), or None when it is not one."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _when(value: str | None) -> str:
    """An ISO time as people read it on a console: ``2026-12-01 17:46:15 UTC``."""
    moment = _utc(value) if value else None
    return "-" if not value else value if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _clock(value: str | None) -> str:
    """A wall-clock time to the millisecond: ``2026-12-01 17:46:15.404 UTC``."""
    moment = _utc(value) if value else None
    return "-" if not value else value if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def chart(chart_id: str, label: str, config: dict[str, Any], *, size: str = "md") -> Markup:
    """A canvas drawn by console.js from ``config`` (a Chart.js configuration); ``label`` says in words
    what it shows (screen readers read it; the table next to it has the figures)."""
    data = json.dumps(config, separators=(",", ":")).replace("</", "<\\/")
    return Markup(f'<div class="chart chart-{escape(size)}">'
                  f'<canvas id="{escape(chart_id)}" role="img" aria-label="{escape(label)}"></canvas>'
                  f'<script type="application/json" data-chart-for="{escape(chart_id)}">{data}</script></div>')  # fmt: skip


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters.update(seconds=_seconds, bps=_bps, pct=_pct, short=_short, when=_when, clock=_clock)
    env.globals["chart"] = chart
    return env


# ─── charts (each from one section of the model) ──────────────────────────────────────────


def _number(value: Decimal) -> float:
    return float(value)


def counts_chart(by_state: dict[str, int]) -> dict[str, Any]:
    return {"type": "bar", "data": {"labels": list(by_state), "datasets": [{"label": "swaps", "data": list(by_state.values()),
                                                                              "backgroundColor": PALETTE[0]}]},
            "options": {"plugins": {"legend": {"display": False}}, "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}}}  # fmt: skip


def finality_chart(by_model: dict[str, Distribution], target_seconds: int = 3600) -> dict[str, Any]:
    """Median, 90th percentile and longest time to final per model, against the one-hour target (log scale)."""
    labels = [model.upper() for model in by_model]

    def drawn(value: float | None) -> float | None:  # a log scale has no 0: under 0.1 s is drawn at 0.1 s (the table is exact)
        return None if value is None else max(value, FLOOR_SECONDS)

    datasets = [{"label": name, "data": [drawn(getattr(d, field)) for d in by_model.values()], "backgroundColor": PALETTE[i]}
                for i, (name, field) in enumerate((("median", "p50_seconds"), ("90th percentile", "p90_seconds"), ("longest", "max_seconds")))]  # fmt: skip
    datasets.append({"type": "line", "label": "target: 1 hour", "data": [target_seconds] * len(labels), "borderColor": "#a32a1f",
                     "borderDash": [6, 4], "pointRadius": 0, "fill": False})  # fmt: skip
    return {"type": "bar", "data": {"labels": labels, "datasets": datasets},
            "options": {"scales": {"y": {"type": "logarithmic", "min": FLOOR_SECONDS,
                                         "title": {"display": True, "text": "seconds of ledger time (log; under 0.1 s drawn at 0.1 s)"}}}}}  # fmt: skip


def margin_chart(corridors: list[Any]) -> dict[str, Any]:
    return {"type": "bar", "data": {"labels": [c.corridor for c in corridors],
                                    "datasets": [{"label": "mean margin vs oracle mid (bps)", "data": [c.mean_margin_bps for c in corridors],
                                                  "backgroundColor": PALETTE[1]},
                                                 {"label": "largest cost (bps)", "data": [c.max_cost_bps for c in corridors],
                                                  "backgroundColor": PALETTE[3]}]},
            "options": {"scales": {"y": {"title": {"display": True, "text": "basis points"}}}}}  # fmt: skip


def curve_chart(curve: PositionCurve) -> dict[str, Any]:
    """The bank's position after each step (its change since the period opened; below zero it is a net
    debit), gross (one by one) and netted (as settled), each from 0 at the opening, with its deepest
    point (the peak net debit) marked."""
    scale = Decimal(10) ** -curve.decimals

    def points(items: list[Any]) -> list[dict[str, float]]:
        return [{"x": 0, "y": 0.0}] + [{"x": p.step + 1, "y": _number(Decimal(p.position_minor) * scale)} for p in items]

    datasets: list[dict[str, Any]] = [
        {"label": "position, one by one", "data": points(curve.gross), "borderColor": PALETTE[1], "stepped": True, "pointRadius": 0},
        {"label": "position, netted as settled", "data": points(curve.netted), "borderColor": PALETTE[0], "stepped": True, "pointRadius": 0,
         "borderDash": [5, 3]},
    ]  # fmt: skip
    for peak, name, colour in ((curve.peak_gross, "peak net debit, one by one", PALETTE[1]), (curve.peak_netted, "peak net debit, netted", PALETTE[0])):
        if peak is not None:
            datasets.append({"type": "scatter", "label": name, "data": [{"x": peak.step + 1, "y": _number(Decimal(peak.position_minor) * scale)}],
                             "backgroundColor": colour, "pointRadius": 6, "pointStyle": "triangle"})  # fmt: skip
    return {"type": "line", "data": {"datasets": datasets},
            "options": {"scales": {"x": {"type": "linear", "title": {"display": True, "text": "step of the period"}, "ticks": {"precision": 0}},
                                   "y": {"title": {"display": True, "text": f"{curve.currency} (below 0: net debit)"}}}}}  # fmt: skip


def ageing_chart(buckets: list[Any]) -> dict[str, Any]:
    return {"type": "bar", "data": {"labels": [b.label for b in buckets],
                                    "datasets": [{"label": "swaps waiting", "data": [b.swaps for b in buckets], "backgroundColor": PALETTE[4]}]},
            "options": {"plugins": {"legend": {"display": False}}, "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}}}  # fmt: skip


def locks_chart(locks: list[Any]) -> dict[str, Any]:
    """Principal locked per open lock, by expiry."""
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for lock in locks:
        by_currency.setdefault(lock.amount.currency, []).append({"x": lock.expires, "y": _number(lock.amount.major)})
    datasets = [{"label": f"{code} locked", "data": data, "backgroundColor": PALETTE[i % len(PALETTE)], "pointRadius": 5}
                for i, (code, data) in enumerate(sorted(by_currency.items()))]  # fmt: skip
    return {"type": "scatter", "data": {"datasets": datasets},
            "options": {"scales": {"x": {"type": "category", "labels": sorted({lock.expires for lock in locks}),
                                         "title": {"display": True, "text": "expires (ledger time)"}},
                                   "y": {"beginAtZero": True, "title": {"display": True, "text": "principal (major units)"}}}}}  # fmt: skip


def rounds_chart(history: Any) -> dict[str, Any]:
    return {"type": "line", "data": {"labels": [f"#{r.round}" for r in history.rounds],
                                     "datasets": [{"label": f"{history.pair} mid (ledger {history.ledger})", "data": [float(r.mid) for r in history.rounds],
                                                   "borderColor": PALETTE[0], "pointRadius": 2, "tension": 0}]},
            "options": {"plugins": {"legend": {"display": False}}, "scales": {"y": {"title": {"display": True, "text": history.pair}}}}}  # fmt: skip


def money_total(values: list[Money]) -> str:
    return ", ".join(m.display for m in values) or "none"

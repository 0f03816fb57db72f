"""Inline SVG charts for the report (no script, no external asset: the file renders offline)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from supervision.model import CurrencyLiquidity, Distribution

_COLOURS = ("#3b6ea5", "#e07b39", "#5b9a68", "#9a5b8f")


def _compact(value: Decimal, currency: str) -> str:
    """``23.75 M CNY``: a chart label in major units (the tables carry the exact figures)."""
    for size, suffix in ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.2f} {suffix} {currency}"
    return f"{value:,.2f} {currency}"


def liquidity_chart(currencies: list[CurrencyLiquidity]) -> str:
    """Per currency: turnover, and the liquidity the banks needed (sum of peak net debits) gross and netted."""
    if not currencies:
        return ""
    rows = [(c.currency, [("turnover (gross value settled)", c.turnover.major), ("peak need, settled one by one", c.peak_need_gross.major),
                          ("peak need, netted as settled", c.peak_need_netted.major)]) for c in currencies]  # fmt: skip
    return _bars("Turnover versus the liquidity the banks needed (sum of each bank's peak intraday net debit), major units", rows)


def _bars(title: str, rows: list[tuple[str, list[tuple[str, Decimal]]]]) -> str:
    width, bar, gap = 940, 18, 4
    group = len(rows[0][1]) * (bar + gap) + 18
    height = 34 + group * len(rows)
    top = max((value for _, series in rows for _, value in series), default=Decimal(1)) or Decimal(1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(title)}" class="chart">',
             f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>']  # fmt: skip
    for i, (currency, series) in enumerate(rows):
        y0 = 30 + i * group
        parts.append(f'<text x="0" y="{y0 + bar}" font-size="13" font-weight="bold">{escape(currency)}</text>')
        for j, (label, value) in enumerate(series):
            y = y0 + j * (bar + gap)
            w = max(1, int(520 * value / top))
            parts.append(f'<rect x="60" y="{y}" width="{w}" height="{bar}" fill="{_COLOURS[j % len(_COLOURS)]}"/>')
            parts.append(f'<text x="{66 + w}" y="{y + 13}" font-size="12">{escape(label)}: {escape(_compact(value, currency))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def finality_chart(by_model: dict[str, Distribution]) -> str:
    """Time to final in ledger time per settlement model: p50, p90 and the longest (log scale, seconds)."""
    rows = [(model.upper(), d) for model, d in by_model.items() if d.count]
    if not rows:
        return ""
    import math

    width, bar = 940, 16
    height = 40 + len(rows) * 3 * (bar + 4) + 10 * len(rows)
    top = max(d.max_seconds or 1 for _, d in rows)
    scale = 520 / math.log10(max(top, 10) * 10)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" class="chart" '
             f'aria-label="Time to final in ledger time">',
             '<text x="0" y="16" font-weight="bold" font-size="14">Time to final, ledger time (log scale): median, 90th percentile, longest</text>']  # fmt: skip
    y = 30
    for label, d in rows:
        parts.append(f'<text x="0" y="{y + 13}" font-size="13" font-weight="bold">{escape(label)} ({d.count})</text>')
        for j, (name, value) in enumerate((("median", d.p50_seconds), ("p90", d.p90_seconds), ("longest", d.max_seconds))):
            w = max(1, int(scale * math.log10(1 + (value or 0) * 10)))
            parts.append(f'<rect x="110" y="{y}" width="{w}" height="{bar}" fill="{_COLOURS[j]}"/>')
            parts.append(f'<text x="{116 + w}" y="{y + 12}" font-size="12">{name}: {value:,.1f} s</text>')
            y += bar + 4
        y += 10
    parts.append("</svg>")
    return "".join(parts)

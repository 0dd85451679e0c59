"""Tiny inline-SVG charts for the report: no JavaScript, no network, every label escaped.

They draw numbers already in audit.json; they compute nothing but coordinates.
"""

from __future__ import annotations

from typing import Sequence

from markupsafe import Markup, escape

__all__ = ["line_chart", "grouped_bars", "confusion_matrix", "PALETTE"]

# Colour-blind-safe (Okabe-Ito); every series is also named in a legend and in a table.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def line_chart(series: dict[str, Sequence[float | None]], title: str, x_label: str,
               width: int = 560, height: int = 220) -> Markup:
    """Lines over a shared x index (1..n); None values are gaps."""
    pad_l, pad_r, pad_t, pad_b = 48, 12, 24, 36
    values = [v for s in series.values() for v in s if v is not None]
    if not values:
        return Markup("")
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    n = max(len(s) for s in series.values())
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad_l + (w * i / max(n - 1, 1))
        y = pad_t + h * (1 - (v - lo) / (hi - lo))
        return round(x, 1), round(y, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}"><title>{escape(title)}</title>',
             f'<line x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}" stroke="#888"/>',
             f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + h}" stroke="#888"/>',
             f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end" font-size="10">{_fmt(hi)}</text>',
             f'<text x="{pad_l - 4}" y="{pad_t + h}" text-anchor="end" font-size="10">{_fmt(lo)}</text>',
             f'<text x="{pad_l + w / 2}" y="{height - 6}" text-anchor="middle" font-size="11">{escape(x_label)}</text>']
    for k, (name, s) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        dash = "" if k == 0 else f' stroke-dasharray="{3 + 2 * k},3"'
        points = " ".join(f"{x},{y}" for i, v in enumerate(s) if v is not None for x, y in [xy(i, v)])
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6"{dash} points="{points}"/>')
        parts.append(f'<text x="{pad_l + 8 + 150 * k}" y="{pad_t - 8}" font-size="11" fill="{colour}">'
                     f'{"—" if k == 0 else "- -"} {escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_bars(groups: Sequence[str], series: dict[str, Sequence[float | None]], title: str,
                 flagged: Sequence[bool] = (), width: int = 560) -> Markup:
    """Horizontal grouped bars in [0, 1], one cluster per group; flagged groups get a hatched note."""
    bar_h, gap, pad_l, pad_r, pad_t = 12, 10, 150, 60, 28
    k = max(len(series), 1)
    height = pad_t + len(groups) * (k * bar_h + gap) + 10
    w = width - pad_l - pad_r
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}"><title>{escape(title)}</title>']
    for j, name in enumerate(series):
        parts.append(f'<rect x="{pad_l + 120 * j}" y="6" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{pad_l + 14 + 120 * j}" y="15" font-size="11">{escape(name)}</text>')
    for i, group in enumerate(groups):
        y0 = pad_t + i * (k * bar_h + gap)
        label = str(group) if len(str(group)) <= 24 else str(group)[:23] + "…"
        note = " *" if flagged and flagged[i] else ""
        parts.append(f'<text x="{pad_l - 6}" y="{y0 + k * bar_h / 2 + 4}" text-anchor="end" font-size="11">'
                     f'{escape(label)}{note}</text>')
        for j, (name, values) in enumerate(series.items()):
            v = values[i]
            y = y0 + j * bar_h
            if v is None:
                parts.append(f'<text x="{pad_l + 4}" y="{y + bar_h - 2}" font-size="10">n/a</text>')
                continue
            bw = max(0.0, min(1.0, float(v))) * w
            parts.append(f'<rect x="{pad_l}" y="{y}" width="{bw:.1f}" height="{bar_h - 2}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}">'
                         f'<title>{escape(name)} {escape(label)}: {v:.3f}</title></rect>'
                         f'<text x="{pad_l + bw + 4:.1f}" y="{y + bar_h - 3}" font-size="10">{v:.2f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def confusion_matrix(labels: Sequence[str], matrix: Sequence[Sequence[int]], title: str = "Confusion matrix") -> Markup:
    """A heat grid: rows = true label, columns = predicted; counts printed in each cell."""
    cell, pad_l, pad_t = 56, 110, 40
    n = len(labels)
    peak = max((max(r) for r in matrix), default=1) or 1
    size_w, size_h = pad_l + n * cell + 10, pad_t + n * cell + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {size_w} {size_h}" '
             f'width="{size_w}" height="{size_h}"><title>{escape(title)}</title>',
             f'<text x="{pad_l + n * cell / 2}" y="14" text-anchor="middle" font-size="11">predicted</text>',
             f'<text x="8" y="{pad_t + n * cell / 2}" font-size="11">true</text>']
    for j, lab in enumerate(labels):
        parts.append(f'<text x="{pad_l + j * cell + cell / 2}" y="{pad_t - 6}" text-anchor="middle" '
                     f'font-size="11">{escape(str(lab)[:10])}</text>')
    for i, row in enumerate(matrix):
        parts.append(f'<text x="{pad_l - 6}" y="{pad_t + i * cell + cell / 2 + 4}" text-anchor="end" '
                     f'font-size="11">{escape(str(labels[i])[:14])}</text>')
        for j, count in enumerate(row):
            shade = int(245 - 185 * count / peak)
            colour = f"rgb({shade},{shade + 5 if shade < 250 else 250},255)"
            text_colour = "#fff" if shade < 140 else "#000"
            parts.append(f'<rect x="{pad_l + j * cell}" y="{pad_t + i * cell}" width="{cell - 2}" height="{cell - 2}" '
                         f'fill="{colour}"/><text x="{pad_l + j * cell + cell / 2 - 1}" '
                         f'y="{pad_t + i * cell + cell / 2 + 4}" '
                         f'text-anchor="middle" font-size="12" fill="{text_colour}">{int(count)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

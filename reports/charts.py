"""Report charts drawn on the server as SVG: no JavaScript, no CDN, and they print.

Every chart is a picture of a table that the page shows beside it, so the table stays
the source of truth. Colours come from the Okabe-Ito palette, which stays distinct for
the common colour-vision deficiencies; series also differ in marker shape, dash and
fill pattern so that nothing depends on telling colours apart. Each SVG has
role="img" with a <title> and a <desc> that says the main figures in words, and a
viewBox (no fixed size) so it scales to a phone, a tablet or a printed page.

A chart with nothing to show is not drawn: the functions return an empty string,
and the page says in words why there is no chart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
INK = "#1f2937"
MUTED = "#4b5563"
GRID = "#e5e7eb"
AXIS = "#9ca3af"
NOT_YET = "#8a8f98"  # "not yet" / "none" categories: a neutral grey, hatched

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 52, 20, 40, 56
# More category labels than this would overlap on a tablet; the table has every one.
MAX_X_LABELS = 12
# Rough width of a character of the 14-unit labels, to tell whether labels would overlap.
CHAR_W = 8
# Horizontal bars: one row per label.
ROW_H = 26
HBAR_LABEL_W = 220
HBAR_LABEL_CHARS = 26

_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | int | None]
    colour: str = OKABE_ITO["blue"]
    marker: str = "circle"  # circle | square | triangle | diamond
    dash: str = ""  # stroke-dasharray for lines
    pattern: str = ""  # "" solid | "hatch" | "dots" for bars


# Fixed looks, so the same thing looks the same on every chart of the site.
PAIN_BEFORE = Series("Mean pain before", (), colour=OKABE_ITO["vermillion"], marker="circle")
PAIN_AFTER = Series("Mean pain after", (), colour=OKABE_ITO["blue"], marker="square", dash="6 4", pattern="hatch")


def number(value) -> float | None:
    """A cell as a number, or None for blanks and words ("—", "n/a", "12%")."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        value = float(value)
        return value if math.isfinite(value) else None
    return None


def _n(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros (smaller SVG, stable tests)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _fmt(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:.1f}"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 to at least `top` in steps of 1, 2 or 5 times a power of ten (whole steps for counts)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if top >= count:
        step = max(1, round(step))
    ticks = [0.0]
    while ticks[-1] < top - 1e-9:
        ticks.append(round(ticks[-1] + step, 6))
    return ticks


def _open(title: str, desc: str, height: float, css: str) -> tuple[list[str], str]:
    uid = f"rc-report-chart-{next(_ids)}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rc-report-chart {css}" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'role="img" aria-labelledby="{uid}-title {uid}-desc" preserveAspectRatio="xMidYMid meet" '
        f"font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\">",
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ], uid


def _patterns(uid: str, series: Sequence[Series]) -> str:
    defs = []
    for i, s in enumerate(series):
        if s.pattern == "hatch":
            defs.append(
                f'<pattern id="{uid}-p{i}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{s.colour}"/>'
                f'<rect width="2.2" height="6" fill="#ffffff" fill-opacity="0.55"/></pattern>'
            )
        elif s.pattern == "dots":
            defs.append(
                f'<pattern id="{uid}-p{i}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<rect width="6" height="6" fill="{s.colour}"/>'
                f'<circle cx="3" cy="3" r="1.3" fill="#ffffff" fill-opacity="0.7"/></pattern>'
            )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _fill(uid: str, index: int, s: Series) -> str:
    return f"url(#{uid}-p{index})" if s.pattern else s.colour


def marker(shape: str, x: float, y: float, colour: str, size: float = 5.5) -> str:
    if shape == "square":
        return (
            f'<rect x="{_n(x - size + 0.5)}" y="{_n(y - size + 0.5)}" width="{_n(2 * size - 1)}" '
            f'height="{_n(2 * size - 1)}" fill="{colour}" stroke="#fff"/>'
        )
    if shape == "triangle":
        pts = f"{_n(x)},{_n(y - size - 1)} {_n(x + size)},{_n(y + size - 1)} {_n(x - size)},{_n(y + size - 1)}"
        return f'<polygon points="{pts}" fill="{colour}" stroke="#fff"/>'
    if shape == "diamond":
        r = size + 1
        pts = f"{_n(x)},{_n(y - r)} {_n(x + r)},{_n(y)} {_n(x)},{_n(y + r)} {_n(x - r)},{_n(y)}"
        return f'<polygon points="{pts}" fill="{colour}" stroke="#fff"/>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size)}" fill="{colour}" stroke="#fff"/>'


def _legend(uid: str, series: Sequence[Series], *, lines: bool) -> list[str]:
    out = [f'<g class="rc-legend" font-size="14" fill="{INK}" aria-hidden="true">']
    x = LEFT
    for i, s in enumerate(series):
        if lines:
            dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
            out.append(f'<line x1="{x}" x2="{x + 30}" y1="16" y2="16" stroke="{s.colour}" stroke-width="2.5"{dash}/>')
            out.append(marker(s.marker, x + 15, 16, s.colour))
        else:
            out.append(
                f'<rect x="{x + 4}" y="8" width="22" height="16" fill="{_fill(uid, i, s)}" '
                f'stroke="{INK}" stroke-width="0.5"/>'
            )
        out.append(f'<text x="{x + 36}" y="21">{escape(s.label)}</text>')
        x += 44 + CHAR_W * len(s.label)
    out.append("</g>")
    return out


def _y_axis(ticks: list[float], y_of, y_label: str, plot_bottom: float) -> list[str]:
    out = [f'<g class="rc-axis" font-size="14" fill="{MUTED}" aria-hidden="true">']
    for t in ticks:
        y = y_of(t)
        colour = AXIS if t == 0 else GRID
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(y)}" y2="{_n(y)}" stroke="{colour}"/>')
        out.append(f'<text x="{LEFT - 8}" y="{_n(y + 4)}" text-anchor="end">{_fmt(t)}</text>')
    if y_label:
        mid = (TOP + plot_bottom) / 2
        out.append(
            f'<text x="14" y="{_n(mid)}" text-anchor="middle" transform="rotate(-90 14 {_n(mid)})">'
            f"{escape(y_label)}</text>"
        )
    out.append("</g>")
    return out


def _x_labels(labels: Sequence[str], x_of, plot_bottom: float, x_label: str, height: float) -> list[str]:
    out = [f'<g class="rc-axis" font-size="14" fill="{MUTED}" aria-hidden="true">']
    # As many labels as fit side by side, at most MAX_X_LABELS.
    slot = (WIDTH - LEFT - RIGHT) / len(labels)
    # Every label fits when each pair of neighbours fits in its two half-slots.
    if all(CHAR_W * (len(a) + len(b)) / 2 + 8 <= slot for a, b in itertools.pairwise(labels)):
        step = 1
    else:
        fits = int((WIDTH - LEFT - RIGHT) // (CHAR_W * max(len(label) for label in labels) + 12))
        step = max(1, -(-len(labels) // max(1, min(MAX_X_LABELS, fits))))
    for i, label in enumerate(labels):
        if i % step and i != len(labels) - 1:
            continue
        if i != len(labels) - 1 and (len(labels) - 1 - i) < step and (len(labels) - 1) % step:
            continue  # too close to the last label, which is always shown
        out.append(f'<text x="{_n(x_of(i))}" y="{_n(plot_bottom + 18)}" text-anchor="middle">{escape(label)}</text>')
    if x_label:
        out.append(
            f'<text x="{_n(LEFT + (WIDTH - LEFT - RIGHT) / 2)}" y="{_n(height - 8)}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
    out.append("</g>")
    return out


def _describe(labels: Sequence[str], series: Sequence[Series], unit: str = "") -> str:
    """Every figure in words for short charts; for long ones the range and the peak."""
    parts = []
    for s in series:
        pairs = [(lab, v) for lab, v in zip(labels, s.values, strict=False) if number(v) is not None]
        if not pairs:
            continue
        if len(pairs) <= 12:
            body = "; ".join(f"{lab}: {_fmt(number(v))}{unit}" for lab, v in pairs)
        else:
            peak_label, peak = max(pairs, key=lambda p: number(p[1]))
            total = sum(number(v) for _, v in pairs)
            body = (
                f"{len(pairs)} values from {pairs[0][0]} to {pairs[-1][0]}, total {_fmt(total)}{unit}, "
                f"highest {_fmt(number(peak))}{unit} ({peak_label})"
            )
        parts.append(f"{s.label}: {body}." if len(series) > 1 else f"{body}.")
    return " ".join(parts)


def _has_data(series: Sequence[Series]) -> bool:
    return any((number(v) or 0) != 0 for s in series for v in s.values)


def _column_plot(labels: Sequence[str], series: Sequence[Series], height: float, *, y_max: float | None = None):
    """The scales of a chart with one column per label and values up the y axis (bars,
    lines): y ticks up to y_max (default: the largest value), the plot's bottom edge, the
    column width, value -> y and column index -> x (its middle)."""
    plot_bottom = height - BOTTOM
    top_value = max(number(v) or 0 for s in series for v in s.values)
    ticks = nice_ticks(y_max if y_max is not None else top_value)
    plot_h = plot_bottom - TOP
    slot = (WIDTH - LEFT - RIGHT) / len(labels)

    def y_of(v: float) -> float:
        return plot_bottom - plot_h * v / ticks[-1]

    def x_of(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    return ticks, plot_bottom, slot, y_of, x_of


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    y_label: str = "",
    x_label: str = "",
    desc: str = "",
    unit: str = "",
    gap: float = 0.25,
) -> SafeString:
    """Vertical bars, one group per label and one bar per series (solid, hatched, dotted).

    `gap` is the share of each slot left empty: 0.25 for categories, small for a histogram.
    Returns "" when every value is zero or missing.
    """
    if not labels or not _has_data(series):
        return SafeString("")
    legend = len(series) > 1
    height = 300
    ticks, plot_bottom, slot, y_of, x_of = _column_plot(labels, series, height)

    parts, uid = _open(title, desc or _describe(labels, series, unit), height, "rc-report-chart--bar")
    parts.append(_patterns(uid, series))
    parts += _y_axis(ticks, y_of, y_label, plot_bottom)
    # Series that never share a label (a histogram's "Not yet" bin) each take the whole slot.
    exclusive = all(
        sum(number(s.values[i]) is not None for s in series if i < len(s.values)) <= 1 for i in range(len(labels))
    )
    bar_w = slot * (1 - gap) / (1 if exclusive else len(series))
    show_values = len(labels) * len(series) <= 24
    parts.append('<g class="rc-bars">')
    for si, s in enumerate(series):
        for i, (label, raw) in enumerate(zip(labels, s.values, strict=False)):
            v = number(raw)
            if v is None:
                continue
            x = LEFT + slot * i + slot * gap / 2 + (0 if exclusive else bar_w * si)
            y = y_of(v)
            tip = f"{s.label}, {label}: {_fmt(v)}{unit}" if legend and not exclusive else f"{label}: {_fmt(v)}{unit}"
            parts.append(
                f'<g><title>{escape(tip)}</title><rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(bar_w, 1))}" '
                f'height="{_n(plot_bottom - y)}" fill="{_fill(uid, si, s)}" stroke="{INK}" stroke-width="0.5"/>'
            )
            if show_values:
                parts.append(
                    f'<text x="{_n(x + bar_w / 2)}" y="{_n(y - 5)}" text-anchor="middle" font-size="14" '
                    f'fill="{INK}" aria-hidden="true">{_fmt(v)}{escape(unit)}</text>'
                )
            parts.append("</g>")
    parts.append("</g>")
    parts += _x_labels(labels, x_of, plot_bottom, x_label, height)
    if legend:
        parts += _legend(uid, series, lines=False)
    parts.append("</svg>")
    # Safe: labels, titles and descriptions are escaped above; everything else is numbers.
    return mark_safe("".join(parts))


def histogram(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | int | None],
    y_label: str = "",
    x_label: str = "",
    desc: str = "",
    series_label: str = "Clients",
    apart: Sequence[str] = (),
) -> SafeString:
    """Counts per bin, bars nearly touching. Bins named in `apart` (e.g. "Not yet") are drawn
    grey and hatched, so a reader sees they are not one more step on the scale."""
    if not labels or not _has_data([Series(series_label, values)]):
        return SafeString("")
    main = Series(series_label, [None if lab in apart else v for lab, v in zip(labels, values, strict=False)])
    other = Series(
        ", ".join(apart) or "Other",
        [v if lab in apart else None for lab, v in zip(labels, values, strict=False)],
        colour=NOT_YET,
        pattern="hatch",
    )
    series = [main, other] if any(number(v) is not None for v in other.values) else [main]
    return bar_chart(
        title=title,
        labels=labels,
        series=series,
        y_label=y_label,
        x_label=x_label,
        desc=desc or _describe(labels, [Series(series_label, values)]),
        gap=0.08,
    )


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    y_max: float | None = None,
    y_label: str = "",
    x_label: str = "",
    desc: str = "",
) -> SafeString:
    """Lines over categories (e.g. session number 1..10+), each series with its own marker
    shape and dash. A missing value breaks the line rather than joining across it."""
    if not labels or not any(number(v) is not None for s in series for v in s.values):
        return SafeString("")
    height = 300
    ticks, plot_bottom, _slot, y_of, x_of = _column_plot(labels, series, height, y_max=y_max)

    parts, uid = _open(title, desc or _describe(labels, series), height, "rc-report-chart--line")
    parts += _y_axis(ticks, y_of, y_label, plot_bottom)
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append('<g class="rc-line">')
        run: list[str] = []
        points = []
        for i, raw in enumerate(s.values):
            v = number(raw)
            if v is None:
                if len(run) > 1:
                    points.append(run)
                run = []
                continue
            run.append(f"{_n(x_of(i))},{_n(y_of(v))}")
        if len(run) > 1:
            points.append(run)
        for r in points:
            parts.append(
                f'<polyline points="{" ".join(r)}" fill="none" stroke="{s.colour}" stroke-width="2.5"{dash} '
                'stroke-linejoin="round" aria-hidden="true"/>'
            )
        for i, (label, raw) in enumerate(zip(labels, s.values, strict=False)):
            v = number(raw)
            if v is None:
                continue
            parts.append(
                f"<g><title>{escape(f'{s.label}, {label}: {_fmt(v)}')}</title>"
                f"{marker(s.marker, x_of(i), y_of(v), s.colour)}</g>"
            )
        parts.append("</g>")
    parts += _x_labels(labels, x_of, plot_bottom, x_label, height)
    parts += _legend(uid, series, lines=True)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def hbar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    x_label: str = "",
    desc: str = "",
) -> SafeString:
    """Horizontal bars, one row per label (long names such as zones), for up to two series
    drawn as overlapping bars: the first full height, the second thinner and hatched on top,
    so "times tender" reads as part of "times worked"."""
    if not labels or not _has_data(series):
        return SafeString("")
    legend = len(series) > 1
    top_pad = TOP if legend else 12
    rows_h = ROW_H * len(labels)
    height = top_pad + rows_h + 44
    left = HBAR_LABEL_W
    top_value = max(number(v) or 0 for s in series for v in s.values)
    ticks = nice_ticks(top_value)
    x_max = ticks[-1]
    plot_w = WIDTH - left - RIGHT - 24

    def x_of(v: float) -> float:
        return left + plot_w * v / x_max

    parts, uid = _open(title, desc or _describe(labels, series), height, "rc-report-chart--hbar")
    parts.append(_patterns(uid, series))
    plot_bottom = top_pad + rows_h
    parts.append(f'<g class="rc-axis" font-size="14" fill="{MUTED}" aria-hidden="true">')
    for t in ticks:
        x = x_of(t)
        parts.append(
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top_pad}" y2="{_n(plot_bottom)}" '
            f'stroke="{AXIS if t == 0 else GRID}"/>'
        )
        parts.append(f'<text x="{_n(x)}" y="{_n(plot_bottom + 16)}" text-anchor="middle">{_fmt(t)}</text>')
    if x_label:
        parts.append(
            f'<text x="{_n(left + plot_w / 2)}" y="{_n(height - 8)}" text-anchor="middle">{escape(x_label)}</text>'
        )
    parts.append("</g>")
    for i, label in enumerate(labels):
        y = top_pad + ROW_H * i
        short = label if len(label) <= HBAR_LABEL_CHARS else label[: HBAR_LABEL_CHARS - 1].rstrip() + "…"
        parts.append(
            f'<text x="{left - 8}" y="{_n(y + ROW_H / 2 + 4)}" text-anchor="end" font-size="14" fill="{INK}" '
            f'aria-hidden="true">{escape(short)}</text>'
        )
        for si, s in enumerate(series):
            v = number(s.values[i]) if i < len(s.values) else None
            if v is None:
                continue
            inset = 3 if si == 0 else 8
            tip = f"{s.label}, {label}: {_fmt(v)}" if legend else f"{label}: {_fmt(v)}"
            parts.append(
                f'<g><title>{escape(tip)}</title><rect x="{left}" y="{_n(y + inset)}" '
                f'width="{_n(max(x_of(v) - left, 0))}" height="{_n(ROW_H - 2 * inset)}" '
                f'fill="{_fill(uid, si, s)}" stroke="{INK}" stroke-width="0.5"/></g>'
            )
        first = number(series[0].values[i]) if series[0].values else None
        if first is not None:
            parts.append(
                f'<text x="{_n(x_of(first) + 4)}" y="{_n(y + ROW_H / 2 + 4)}" font-size="14" fill="{INK}" '
                f'aria-hidden="true">{_fmt(first)}</text>'
            )
    if legend:
        parts += _legend(uid, series, lines=False)
    parts.append("</svg>")
    return mark_safe("".join(parts))


# --- One chart per report table ---------------------------------------------------
# The tables (reports/metrics.py) have fixed columns; each function below draws one.


def _label(cell) -> str:
    if hasattr(cell, "strftime"):
        return date_format(cell, "j M")
    return str(cell)


def _sessions_per_week(table) -> SafeString:
    return bar_chart(
        title=table.title,
        labels=[_label(r[0]) for r in table.rows],
        series=[Series("Sessions", [r[1] for r in table.rows], colour=OKABE_ITO["blue"])],
        y_label="Sessions",
        x_label="Week starting (Monday)",
    )


def _pain_by_session_number(table) -> SafeString:
    labels = [str(r[0]) for r in table.rows]
    return line_chart(
        title=table.title,
        labels=labels,
        series=[
            Series(PAIN_BEFORE.label, [r[2] for r in table.rows], **_look(PAIN_BEFORE)),
            Series(PAIN_AFTER.label, [r[3] for r in table.rows], **_look(PAIN_AFTER)),
        ],
        y_max=10,
        y_label="Pain (0-10)",
        x_label="Session number in the client's history",
    )


def _sessions_to_relief(table) -> SafeString:
    return histogram(
        title=table.title,
        labels=[str(r[0]) for r in table.rows],
        values=[r[1] for r in table.rows],
        y_label="Clients",
        x_label="Sessions until relief",
        apart=("Not yet",),
    )


def _adherence_bands(table) -> SafeString:
    return bar_chart(
        title=table.title,
        labels=[str(r[0]) for r in table.rows],
        series=[
            Series("Clients", [r[1] for r in table.rows], colour=OKABE_ITO["sky_blue"]),
            Series("Reached relief", [r[2] for r in table.rows], colour=OKABE_ITO["bluish_green"], pattern="hatch"),
        ],
        y_label="Clients",
        x_label="Home-routine adherence (done check-ins over routine emails sent)",
    )


def _zones(table) -> SafeString:
    return hbar_chart(
        title=table.title,
        labels=[f"{r[0]} ({r[1]})" for r in table.rows],
        series=[
            Series("Times worked", [r[2] for r in table.rows], colour=OKABE_ITO["sky_blue"]),
            Series("Times tender", [r[3] for r in table.rows], colour=OKABE_ITO["vermillion"], pattern="hatch"),
        ],
        x_label="Times worked",
    )


def _appointments(table) -> SafeString:
    rows = [r for r in table.rows if str(r[0]).lower() != "rebooked"]
    return hbar_chart(
        title=table.title,
        labels=[str(r[0]) for r in rows],
        series=[Series("Appointments", [r[1] for r in rows], colour=OKABE_ITO["orange"])],
        x_label="Appointments",
    )


def _look(series: Series) -> dict:
    return {"colour": series.colour, "marker": series.marker, "dash": series.dash, "pattern": series.pattern}


CHARTS = {
    "sessions-per-week": _sessions_per_week,
    "appointments": _appointments,
    "pain-by-session-number": _pain_by_session_number,
    "sessions-to-relief": _sessions_to_relief,
    "adherence-bands": _adherence_bands,
    "zones": _zones,
}


def chart_for(table) -> SafeString:
    """The chart of a report table, or "" when it has none or nothing to draw."""
    draw = CHARTS.get(table.slug)
    return draw(table) if draw and table.rows else SafeString("")

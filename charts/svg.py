"""The site's SVG chart toolkit: charts drawn on the server, so they need no JavaScript, no
CDN, and they print. The client page's pain chart and the report charts are both drawn here.

Colours come from the Okabe-Ito palette, which stays distinct for the common colour-vision
deficiencies; series also differ in marker shape, dash and fill pattern so that nothing
depends on telling colours apart, and a series has one look (`Look`) on every chart of the
site: pain before is always vermillion circles. Each SVG has role="img" with a <title> and
a <desc> that says the main figures in words, and a viewBox (no fixed size) so it scales
to a phone, a tablet or a printed page.

A chart with nothing to show is not drawn: the functions return an empty string, and the
page says in words why there is no chart.

This app has no models and imports no other app of the project, so every app can use it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .numbers import number, number_text

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
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 20, 40, 56
PLOT_W = WIDTH - LEFT - RIGHT
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
class Look:
    """How a series is drawn: colour, marker shape and dash for lines, fill pattern for bars."""

    colour: str = OKABE_ITO["blue"]
    marker: str = "circle"  # circle | square | triangle | diamond
    dash: str = ""  # stroke-dasharray for lines
    pattern: str = ""  # "" solid | "hatch" | "dots" for bars


# Fixed looks, so the same series looks the same on every chart of the site.
PAIN_BEFORE = Look(OKABE_ITO["vermillion"], marker="circle")
PAIN_AFTER = Look(OKABE_ITO["blue"], marker="square", dash="6 4", pattern="hatch")
PAIN_AT_HOME = Look(OKABE_ITO["bluish_green"], marker="triangle", dash="1 5")
SESSIONS = Look(OKABE_ITO["blue"])
APPOINTMENTS = Look(OKABE_ITO["orange"])
CLIENTS = Look(OKABE_ITO["sky_blue"])
REACHED_RELIEF = Look(OKABE_ITO["bluish_green"], pattern="hatch")
TIMES_WORKED = Look(OKABE_ITO["sky_blue"])
TIMES_TENDER = Look(OKABE_ITO["vermillion"], pattern="hatch")
SET_APART = Look(NOT_YET, pattern="hatch")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | int | None]
    look: Look = Look()


@dataclass(frozen=True)
class Line:
    """A line over positions of the plot's width: `points` are (x from 0 to 1, value, what
    hovering the point says). A missing value breaks the line rather than joining across it."""

    label: str
    look: Look
    points: Sequence[tuple[float, float | int | None, str]]
    css: str = "rc-line"


def _n(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros (smaller SVG, stable tests)."""
    return number_text(value)


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
    """The root element, labelled by its title and description; ids are unique on a page
    and start with the chart's first class."""
    uid = f"{css.split()[0]}-{next(_ids)}"
    return [
        f'<svg class="{css}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'role="img" aria-labelledby="{uid}-title {uid}-desc" preserveAspectRatio="xMidYMid meet" '
        f'font-family="{FONT}">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ], uid


def _patterns(uid: str, looks: Sequence[Look]) -> str:
    defs = []
    for i, look in enumerate(looks):
        if look.pattern == "hatch":
            defs.append(
                f'<pattern id="{uid}-p{i}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{look.colour}"/>'
                f'<rect width="2.2" height="6" fill="#ffffff" fill-opacity="0.55"/></pattern>'
            )
        elif look.pattern == "dots":
            defs.append(
                f'<pattern id="{uid}-p{i}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<rect width="6" height="6" fill="{look.colour}"/>'
                f'<circle cx="3" cy="3" r="1.3" fill="#ffffff" fill-opacity="0.7"/></pattern>'
            )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _fill(uid: str, index: int, look: Look) -> str:
    return f"url(#{uid}-p{index})" if look.pattern else look.colour


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


def _close(parts: list[str], uid: str, legend: Sequence[tuple[str, Look]], *, lines: bool) -> SafeString:
    """The chart's legend (when it has one) and its end."""
    if legend:
        parts += _legend(uid, legend, lines=lines)
    parts.append("</svg>")
    # Safe: labels, titles and descriptions are escaped where they are written; the rest are numbers.
    return mark_safe("".join(parts))


def _legend(uid: str, entries: Sequence[tuple[str, Look]], *, lines: bool) -> list[str]:
    out = [f'<g class="rc-legend" font-size="14" fill="{INK}" aria-hidden="true">']
    x = LEFT
    for i, (label, look) in enumerate(entries):
        if lines:
            dash = f' stroke-dasharray="{look.dash}"' if look.dash else ""
            out.append(
                f'<line x1="{x}" x2="{x + 30}" y1="16" y2="16" stroke="{look.colour}" stroke-width="2.5"{dash}/>'
            )
            out.append(marker(look.marker, x + 15, 16, look.colour))
        else:
            out.append(
                f'<rect x="{x + 4}" y="8" width="22" height="16" fill="{_fill(uid, i, look)}" '
                f'stroke="{INK}" stroke-width="0.5"/>'
            )
        out.append(f'<text x="{x + 36}" y="21">{escape(label)}</text>')
        x += 44 + CHAR_W * len(label)
    out.append("</g>")
    return out


def _y_axis(ticks: list[float], y_of, y_label: str, plot_bottom: float) -> list[str]:
    out = [f'<g class="rc-axis" font-size="14" fill="{MUTED}" aria-hidden="true">']
    for t in ticks:
        y = y_of(t)
        colour = AXIS if t == 0 else GRID
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(y)}" y2="{_n(y)}" stroke="{colour}"/>')
        out.append(f'<text x="{LEFT - 8}" y="{_n(y + 4)}" text-anchor="end">{number_text(t)}</text>')
    if y_label:
        mid = (TOP + plot_bottom) / 2
        out.append(
            f'<text x="14" y="{_n(mid)}" text-anchor="middle" transform="rotate(-90 14 {_n(mid)})">'
            f"{escape(y_label)}</text>"
        )
    out.append("</g>")
    return out


def _x_axis(ticks: Sequence[tuple[float, str]], plot_bottom: float, x_label: str, height: float) -> list[str]:
    """Labels under the plot at the given x coordinates, and the axis title under them."""
    out = [f'<g class="rc-axis" font-size="14" fill="{MUTED}" aria-hidden="true">']
    for x, label in ticks:
        out.append(f'<text x="{_n(x)}" y="{_n(plot_bottom + 18)}" text-anchor="middle">{escape(label)}</text>')
    if x_label:
        out.append(
            f'<text x="{_n(LEFT + PLOT_W / 2)}" y="{_n(height - 8)}" text-anchor="middle">{escape(x_label)}</text>'
        )
    out.append("</g>")
    return out


def shown_labels(labels: Sequence[str]) -> list[int]:
    """The indexes of the category labels to write: as many as fit side by side, at most
    MAX_X_LABELS, the last always."""
    slot = PLOT_W / len(labels)
    # Every label fits when each pair of neighbours fits in its two half-slots.
    if all(CHAR_W * (len(a) + len(b)) / 2 + 8 <= slot for a, b in itertools.pairwise(labels)):
        return list(range(len(labels)))
    fits = int(PLOT_W // (CHAR_W * max(len(label) for label in labels) + 12))
    step = max(1, -(-len(labels) // max(1, min(MAX_X_LABELS, fits))))
    last = len(labels) - 1
    return [
        i
        for i in range(len(labels))
        # Every step-th label, but none too close to the last one.
        if i == last or (not i % step and not ((last - i) < step and last % step))
    ]


def describe(labels: Sequence[str], series: Sequence[Series], unit: str = "") -> str:
    """Every figure in words for short charts; for long ones the range and the peak."""
    parts = []
    for s in series:
        pairs = [(lab, v) for lab, v in zip(labels, s.values, strict=False) if number(v) is not None]
        if not pairs:
            continue
        if len(pairs) <= 12:
            body = "; ".join(f"{lab}: {number_text(number(v))}{unit}" for lab, v in pairs)
        else:
            peak_label, peak = max(pairs, key=lambda p: number(p[1]))
            total = sum(number(v) for _, v in pairs)
            body = (
                f"{len(pairs)} values from {pairs[0][0]} to {pairs[-1][0]}, total {number_text(total)}{unit}, "
                f"highest {number_text(number(peak))}{unit} ({peak_label})"
            )
        parts.append(f"{s.label}: {body}." if len(series) > 1 else f"{body}.")
    return " ".join(parts)


def _has_data(series: Sequence[Series]) -> bool:
    return any((number(v) or 0) != 0 for s in series for v in s.values)


def _y_scale(top_value: float, height: float, y_max: float | None = None):
    """Ticks up to y_max (default: the largest value), the plot's bottom edge and value -> y."""
    plot_bottom = height - BOTTOM
    ticks = nice_ticks(y_max if y_max is not None else top_value)

    def y_of(v: float) -> float:
        return plot_bottom - (plot_bottom - TOP) * v / ticks[-1]

    return ticks, plot_bottom, y_of


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
    height = HEIGHT
    ticks, plot_bottom, y_of = _y_scale(max(number(v) or 0 for s in series for v in s.values), height)
    slot = PLOT_W / len(labels)

    parts, uid = _open(title, desc or describe(labels, series, unit), height, "rc-report-chart rc-report-chart--bar")
    parts.append(_patterns(uid, [s.look for s in series]))
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
            text = f"{number_text(v)}{unit}"
            tip = f"{s.label}, {label}: {text}" if legend and not exclusive else f"{label}: {text}"
            parts.append(
                f'<g><title>{escape(tip)}</title><rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(bar_w, 1))}" '
                f'height="{_n(plot_bottom - y)}" fill="{_fill(uid, si, s.look)}" stroke="{INK}" stroke-width="0.5"/>'
            )
            if show_values:
                parts.append(
                    f'<text x="{_n(x + bar_w / 2)}" y="{_n(y - 5)}" text-anchor="middle" font-size="14" '
                    f'fill="{INK}" aria-hidden="true">{escape(text)}</text>'
                )
            parts.append("</g>")
    parts.append("</g>")
    parts += _x_axis([(LEFT + slot * (i + 0.5), labels[i]) for i in shown_labels(labels)], plot_bottom, x_label, height)
    return _close(parts, uid, [(s.label, s.look) for s in series] if legend else [], lines=False)


def histogram(*, labels: Sequence[str], series: Sequence[Series], apart: Sequence[str] = (), **options) -> SafeString:
    """Counts per bin of one series, bars nearly touching. Bins named in `apart` (e.g. "Not
    yet") are drawn grey and hatched, so a reader sees they are not one more step on the
    scale. `options`: bar_chart's (title, y_label, x_label, desc)."""
    (counts,) = series
    if not labels or not _has_data(series):
        return SafeString("")
    main = Series(
        counts.label, [None if lab in apart else v for lab, v in zip(labels, counts.values, strict=False)], counts.look
    )
    other = Series(
        ", ".join(apart) or "Other",
        [v if lab in apart else None for lab, v in zip(labels, counts.values, strict=False)],
        SET_APART,
    )
    # Described as the one series it is, not as the two the bars are drawn in.
    options["desc"] = options.get("desc") or describe(labels, series)
    return bar_chart(
        labels=labels,
        series=[main, other] if any(number(v) is not None for v in other.values) else [main],
        gap=0.08,
        **options,
    )


def line_plot(
    *,
    title: str,
    desc: str,
    lines: Sequence[Line],
    x_ticks: Sequence[tuple[float, str]],
    y_max: float | None = None,
    y_label: str = "",
    x_label: str = "",
    css: str = "rc-report-chart rc-report-chart--line",
) -> SafeString:
    """Lines over the plot's width, each with its own marker shape and dash, a legend of the
    lines that have a point, and labels under the plot at `x_ticks` (x from 0 to 1, text).
    Returns "" when no line has a value."""
    drawn = [line for line in lines if any(number(v) is not None for _x, v, _tip in line.points)]
    if not drawn:
        return SafeString("")
    height = HEIGHT
    top_value = max(number(v) or 0 for line in drawn for _x, v, _tip in line.points)
    ticks, plot_bottom, y_of = _y_scale(top_value, height, y_max)

    def x_of(fraction: float) -> float:
        return LEFT + PLOT_W * fraction

    parts, uid = _open(title, desc, height, css)
    parts += _y_axis(ticks, y_of, y_label, plot_bottom)
    for line in drawn:
        dash = f' stroke-dasharray="{line.look.dash}"' if line.look.dash else ""
        parts.append(f'<g class="{line.css}" aria-hidden="true">')
        # Runs of consecutive values: a missing value ends one.
        for has_value, run in itertools.groupby(line.points, key=lambda p: number(p[1]) is not None):
            run = list(run)
            if has_value and len(run) > 1:
                path = " ".join(f"{_n(x_of(x))},{_n(y_of(number(v)))}" for x, v, _tip in run)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{line.look.colour}" stroke-width="2.5"{dash} '
                    'stroke-linejoin="round"/>'
                )
        for x, v, tip in line.points:
            if number(v) is not None:
                # A hover tooltip for sighted mouse users; screen readers get the description and the table.
                point = marker(line.look.marker, x_of(x), y_of(number(v)), line.look.colour)
                parts.append(f"<g><title>{escape(tip)}</title>{point}</g>")
        parts.append("</g>")
    parts += _x_axis([(x_of(x), label) for x, label in x_ticks], plot_bottom, x_label, height)
    return _close(parts, uid, [(line.label, line.look) for line in drawn], lines=True)


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
    """Lines over categories (e.g. session number 1..10+), one point per label."""
    if not labels:
        return SafeString("")

    def x_at(i: int) -> float:
        return (i + 0.5) / len(labels)

    lines = [
        Line(
            s.label,
            s.look,
            [
                (x_at(i), v, f"{s.label}, {label}: {number_text(number(v))}" if number(v) is not None else "")
                for i, (label, v) in enumerate(zip(labels, s.values, strict=False))
            ],
        )
        for s in series
    ]
    return line_plot(
        title=title,
        desc=desc or describe(labels, series),
        lines=lines,
        x_ticks=[(x_at(i), labels[i]) for i in shown_labels(labels)],
        y_max=y_max,
        y_label=y_label,
        x_label=x_label,
    )


def hbar_chart(*, title: str, labels: Sequence[str], series: Sequence[Series], x_label="", desc="") -> SafeString:
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
    ticks = nice_ticks(max(number(v) or 0 for s in series for v in s.values))
    plot_w = WIDTH - left - RIGHT - 24

    def x_of(v: float) -> float:
        return left + plot_w * v / ticks[-1]

    parts, uid = _open(title, desc or describe(labels, series), height, "rc-report-chart rc-report-chart--hbar")
    parts.append(_patterns(uid, [s.look for s in series]))
    plot_bottom = top_pad + rows_h
    parts.append(f'<g class="rc-axis" font-size="14" fill="{MUTED}" aria-hidden="true">')
    for t in ticks:
        x = x_of(t)
        parts.append(
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top_pad}" y2="{_n(plot_bottom)}" '
            f'stroke="{AXIS if t == 0 else GRID}"/>'
        )
        parts.append(f'<text x="{_n(x)}" y="{_n(plot_bottom + 16)}" text-anchor="middle">{number_text(t)}</text>')
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
            tip = f"{s.label}, {label}: {number_text(v)}" if legend else f"{label}: {number_text(v)}"
            parts.append(
                f'<g><title>{escape(tip)}</title><rect x="{left}" y="{_n(y + inset)}" '
                f'width="{_n(max(x_of(v) - left, 0))}" height="{_n(ROW_H - 2 * inset)}" '
                f'fill="{_fill(uid, si, s.look)}" stroke="{INK}" stroke-width="0.5"/></g>'
            )
        first = number(series[0].values[i]) if series[0].values else None
        if first is not None:
            parts.append(
                f'<text x="{_n(x_of(first) + 4)}" y="{_n(y + ROW_H / 2 + 4)}" font-size="14" fill="{INK}" '
                f'aria-hidden="true">{number_text(first)}</text>'
            )
    return _close(parts, uid, [(s.label, s.look) for s in series] if legend else [], lines=False)

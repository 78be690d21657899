"""Reflex charts drawn on the server as SVG: the zone picker, the heat map, previews and
the standalone picture of one zone for emails.

Zones are ellipses over the outlines in `chart_shapes`; the left side is the right
side mirrored. Every chart has a text alternative (aria-labels, <title>s, and for the
heat map a table), so nothing depends on seeing the drawing or its colours.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Avg, Count, Q, QuerySet
from django.utils.html import escape

from .chart_shapes import _n
from .models import TENDER_RESPONSES, PressureLevel, PressureNote, ReflexZone, Side
from .reflex_maps import MAP_ORDER, MapGroup, group_by_map, map_spec

SIDES = (Side.LEFT.value, Side.RIGHT.value)  # drawn left | right, as the body is

# A single-hue sequential scale (light to dark blue), readable with any colour vision;
# tenderness is a hatch pattern, not a colour, and every number is in the table too.
HEAT_COLOURS = ("#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d")
HEAT_LINE = "#023858"
HATCH = "#1d1d1d"
HIGHLIGHT = "#d9480f"

HIT_RADIUS = 2.6
ZONE_SHAPE = 'class="rc-zone-shape"'

_ids = itertools.count(1)


def zone_label(zone: ReflexZone, side: str) -> str:
    return f"{zone.name}, {side} {map_spec(zone.reflex_map).short}"


def _ellipse(zone: ReflexZone, attrs: str, grow: float = 0) -> str:
    rotate = f' transform="rotate({_n(zone.angle)} {_n(zone.x)} {_n(zone.y)})"' if zone.angle else ""
    return (
        f'<ellipse cx="{_n(zone.x)}" cy="{_n(zone.y)}" rx="{_n(zone.rx + grow)}" ry="{_n(zone.ry + grow)}"'
        f"{rotate} {attrs}/>"
    )


def _hit_area(zone: ReflexZone) -> str:
    """An invisible, larger target around a small zone, so a fingertip on a tablet finds it."""
    if min(zone.rx, zone.ry) >= HIT_RADIUS:
        return ""
    rx, ry = max(zone.rx, HIT_RADIUS), max(zone.ry, HIT_RADIUS)
    rotate = f' transform="rotate({_n(zone.angle)} {_n(zone.x)} {_n(zone.y)})"' if zone.angle else ""
    return f'<ellipse cx="{_n(zone.x)}" cy="{_n(zone.y)}" rx="{_n(rx)}" ry="{_n(ry)}"{rotate} class="rc-zone-hit"/>'


def _largest_first(zones: Iterable[ReflexZone]) -> list[ReflexZone]:
    # Small zones drawn last stay on top and can still be tapped inside a large one.
    return sorted(zones, key=lambda z: -(z.rx * z.ry))


def chart_svg(
    reflex_map: str,
    side: str,
    zones_markup: str,
    *,
    label: str,
    defs: str = "",
    css_class: str = "rc-chart",
    standalone: bool = False,
    height: int | None = None,
    role: str = "img",
) -> str:
    """A reflex chart. `role="group"` for the picker, whose zones are buttons: an image's
    children are hidden from screen readers."""
    shape = map_spec(reflex_map).shape
    drawing = shape.draw + zones_markup
    if side == Side.LEFT:
        drawing = f'<g transform="translate(100 0) scale(-1 1)">{drawing}</g>'
    size = ""
    if height:
        _, _, w, h = shape.view_box
        size = f' width="{round(height * w / h)}" height="{height}"'
    xmlns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    defs = f"<defs>{defs}</defs>" if defs else ""
    return (
        f'<svg{xmlns} viewBox="{shape.view_box_for(side)}"{size} class="{css_class}" role="{role}" '
        f'aria-label="{escape(label)}" focusable="false"><title>{escape(label)}</title>{defs}{drawing}</svg>'
    )


def _side_label(reflex_map: str, side: str) -> str:
    return f"{side.capitalize()} {map_spec(reflex_map).label.lower()}"


# --- Picker -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPane:
    reflex_map: str
    label: str
    figures: list[tuple[str, str]]  # (side, svg)
    # Why this map is not to be worked for the client (their health flag's warning), or "".
    caution: str = ""


def picker_panes(
    zones: Iterable[ReflexZone],
    selected: Iterable[tuple[int, str]] = (),
    cautions: Mapping[MapGroup, str] | None = None,
) -> list[ChartPane]:
    """Both sides of every map that has active zones, each zone a keyboard-focusable button.

    `cautions`: the groups of maps a client's flags rule out, with the flag's warning
    (Client.ruled_out_maps); their panes carry it, so a tap there asks first and says why."""
    cautions = cautions or {}
    chosen = {(int(zid), s) for zid, s in selected}
    panes = []
    for reflex_map, map_zones in group_by_map(z for z in zones if z.is_active).items():
        figures = []
        for side in SIDES:
            parts = []
            for z in _largest_first(map_zones):
                if not z.has_side(side):
                    continue
                on = (z.pk, side) in chosen
                label = zone_label(z, side)
                parts.append(
                    f'<g class="rc-zone{" rc-zone--selected" if on else ""}" role="button" tabindex="0" '
                    f'aria-pressed="{"true" if on else "false"}" aria-label="{escape(label)}" '
                    f'data-zone-id="{z.pk}" data-zone-code="{escape(z.code)}" data-zone-name="{escape(z.name)}" '
                    f'data-side="{side}" data-map="{reflex_map}" data-body-area="{escape(z.body_area)}">'
                    f"<title>{escape(label)}</title>{_hit_area(z)}{_ellipse(z, ZONE_SHAPE)}</g>"
                )
            svg = chart_svg(
                reflex_map, side, "".join(parts), label=f"{_side_label(reflex_map, side)}: tap a zone", role="group"
            )
            figures.append((side, svg))
        spec = map_spec(reflex_map)
        panes.append(ChartPane(reflex_map, spec.label, figures, caution=cautions.get(spec.group, "")))
    return panes


def preview_svg(reflex_map: str, zones: Iterable[ReflexZone], side: str = Side.RIGHT) -> str:
    """A map with its zones named on hover, for the owner's catalogue page; inactive zones dashed."""
    parts = [
        f'<g class="rc-preview-zone{"" if z.is_active else " rc-preview-zone--off"}">'
        f"<title>{escape(z.name)}{'' if z.is_active else ' (switched off)'}</title>"
        f"{_ellipse(z, ZONE_SHAPE)}</g>"
        for z in _largest_first(zones)
        if z.has_side(side)
    ]
    return chart_svg(reflex_map, side, "".join(parts), label=f"{_side_label(reflex_map, side)} with its zones")


def zone_picture_svg(zone: ReflexZone, side: str, *, height: int = 320) -> str:
    """A self-contained SVG of the zone's map with only this zone marked (for emails)."""
    mark = _ellipse(zone, f'fill="{HIGHLIGHT}" fill-opacity="0.55" stroke="{HIGHLIGHT}" stroke-width="0.6"') + _ellipse(
        zone,
        f'fill="none" stroke="{HIGHLIGHT}" stroke-width="0.5" stroke-dasharray="1.2 1" stroke-opacity="0.8"',
        grow=2.2,
    )
    return chart_svg(
        zone.reflex_map,
        side,
        mark,
        label=f"Where to press: {zone_label(zone, side)}",
        css_class="rc-zone-picture",
        standalone=True,
        height=height,
    )


# --- Heat map ---------------------------------------------------------------------


@dataclass
class ZoneHeat:
    zone: ReflexZone
    side: str
    times_worked: int = 0
    avg_pressure: float | None = None
    times_tender: int = 0
    level: int = 0  # 0 never worked, 1-5 on the colour scale

    @property
    def label(self) -> str:
        return zone_label(self.zone, self.side)

    @property
    def reflex_map(self) -> str:
        return self.zone.reflex_map

    @property
    def pressure_words(self) -> str:
        if self.avg_pressure is None:
            return ""
        level = min(5, max(1, math.floor(self.avg_pressure + 0.5)))
        return PressureLevel(level).label

    @property
    def summary(self) -> str:
        if not self.times_worked:
            return f"{self.label}: not worked yet"
        times = "once" if self.times_worked == 1 else f"{self.times_worked} times"
        tender = "never tender" if not self.times_tender else f"tender {self.times_tender} of {self.times_worked}"
        return f"{self.label}: worked {times}, average pressure {self.pressure_words.lower()}, {tender}"


def zone_tally(pressure_notes: QuerySet[PressureNote]) -> list[dict]:
    """Per zone and side, in one query: `times` worked, `avg` pressure, `tender` times."""
    return list(
        pressure_notes.order_by()
        .values("zone_id", "side")
        .annotate(
            times=Count("id"),
            avg=Avg("pressure"),
            tender=Count("id", filter=Q(response__in=TENDER_RESPONSES)),
        )
    )


def zone_heat(
    pressure_notes: QuerySet[PressureNote],
    zones: QuerySet[ReflexZone] | None = None,
    *,
    tally: list[dict] | None = None,
) -> list[ZoneHeat]:
    """Per zone and side: times worked, average pressure and times tender, in two queries
    (one if the caller already has `zone_tally(pressure_notes)`).

    `zones` are the zones to draw even when never worked; by default the active zones
    of the clinic(s) the notes belong to. Zones worked but since switched off are kept.
    """
    rows = zone_tally(pressure_notes) if tally is None else tally
    worked = {(r["zone_id"], r["side"]): r for r in rows}
    if zones is None:
        zones = ReflexZone.objects.filter(clinic__in=pressure_notes.order_by().values("session__clinic_id"))
        zones = zones.filter(is_active=True)
    all_zones = ReflexZone.objects.filter(
        Q(pk__in=zones.order_by().values("pk")) | Q(pk__in={zid for zid, _ in worked})
    ).order_by()
    top = max((r["times"] for r in rows), default=0)
    heat = []
    for z in sorted(all_zones, key=lambda z: (MAP_ORDER.index(z.reflex_map), z.sort_order, z.name)):
        for side in (Side.RIGHT, Side.LEFT):
            r = worked.get((z.pk, side))
            if r is None:
                if z.has_side(side):
                    heat.append(ZoneHeat(z, side.value))
                continue
            heat.append(
                ZoneHeat(
                    z,
                    side.value,
                    times_worked=r["times"],
                    avg_pressure=float(r["avg"]),
                    times_tender=r["tender"],
                    level=math.ceil(5 * r["times"] / top),
                )
            )
    return heat


def heat_legend(heat: list[ZoneHeat]) -> list[tuple[str, str]]:
    """(colour, 'worked 3-4 times') for each step of the scale that some count falls in."""
    top = max((h.times_worked for h in heat), default=0)
    steps = []
    for level, colour in enumerate(HEAT_COLOURS, start=1):
        lo, hi = math.floor(top * (level - 1) / 5) + 1, math.floor(top * level / 5)
        if lo > hi:
            continue
        words = f"{lo} time{'s' if lo > 1 else ''}" if lo == hi else f"{lo}–{hi} times"
        steps.append((colour, words))
    return steps


def _heat_zone(h: ZoneHeat, hatch_id: str) -> str:
    z = h.zone
    if not h.times_worked:
        shape = _ellipse(
            z,
            'fill="#ffffff" fill-opacity="0.35" stroke="#b3a196" stroke-width="0.3" stroke-dasharray="0.8 0.8"',
        )
        return f'<g class="rc-heat-zone rc-heat-zone--none"><title>{escape(h.summary)}</title>{shape}</g>'
    colour = HEAT_COLOURS[h.level - 1]
    shape = _ellipse(z, f'fill="{colour}" fill-opacity="0.92" stroke="{HEAT_LINE}" stroke-width="0.35"')
    if h.times_tender:
        shape += _ellipse(z, f'fill="url(#{hatch_id})" stroke="{HATCH}" stroke-width="0.6"')
    return f'<g class="rc-heat-zone"><title>{escape(h.summary)}</title>{shape}</g>'


def _hatch(pattern_id: str) -> str:
    return (
        f'<pattern id="{pattern_id}" width="1.6" height="1.6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="0.55" height="1.6" fill="{HATCH}" fill-opacity="0.75"/>'
        f"</pattern>"
    )


def heat_panes(heat: list[ZoneHeat]) -> list[ChartPane]:
    """Both sides of every map on which at least one zone was worked."""
    panes = []
    for reflex_map, on_map in group_by_map(heat).items():
        if not any(h.times_worked for h in on_map):
            continue
        figures = []
        for side in SIDES:
            entries = [h for h in on_map if h.side == side]
            entries.sort(key=lambda h: -(h.zone.rx * h.zone.ry))
            hatch_id = f"rc-hatch-{next(_ids)}"
            markup = "".join(_heat_zone(h, hatch_id) for h in entries)
            svg = chart_svg(
                reflex_map,
                side,
                markup,
                label=f"{_side_label(reflex_map, side)}: how often each zone was worked",
                defs=_hatch(hatch_id),
                css_class="rc-chart rc-chart--heat",
            )
            figures.append((side, svg))
        panes.append(ChartPane(reflex_map, map_spec(reflex_map).label, figures))
    return panes

"""Template tags for the reflex charts.

{% reflex_chart_picker zones %}        every map, left and right, each zone a focusable button
{% reflex_chart_picker zones selected=pairs id_prefix="pn" %}  pairs: (zone_id, side) shown as selected
{% reflex_chart_picker zones client=client %}  opens on a map the client's flags allow; ruled-out maps ask first
{% reflex_heatmap heat %}              heat: the list from sessions.charts.zone_heat
{% reflex_zone_picture zone "right" %} one zone marked on its map, a standalone SVG
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from sessions import charts
from sessions.models import ReflexMap

register = template.Library()


def _safe_panes(panes):
    # The SVG strings are built in sessions.charts with escape() on every value.
    # The picker opens on the first map without a caution (the hands when the feet are ruled out).
    opens = next((i for i, p in enumerate(panes) if not p.caution), 0)
    return [
        {
            "map": p.reflex_map,
            "label": p.label,
            "figures": [(side, mark_safe(svg)) for side, svg in p.figures],
            "caution": p.caution,
            "active": i == opens,
        }
        for i, p in enumerate(panes)
    ]


@register.inclusion_tag("sessions/charts/picker.html")
def reflex_chart_picker(zones, selected=(), id_prefix="rc-picker", client=None):
    cautions = client.ruled_out_maps if client is not None else None
    return {"panes": _safe_panes(charts.picker_panes(zones, selected or (), cautions)), "prefix": id_prefix}


@register.inclusion_tag("sessions/charts/heatmap.html")
def reflex_heatmap(heat):
    heat = list(heat or ())
    worked = sorted(
        (h for h in heat if h.times_worked),
        key=lambda h: (-h.times_worked, charts.MAP_ORDER.index(h.zone.reflex_map), h.zone.sort_order, h.side),
    )
    return {
        "panes": _safe_panes(charts.heat_panes(heat)),
        "legend": charts.heat_legend(heat),
        "worked": bool(worked),
        "worked_rows": _heat_rows(worked),
        "hatch": charts.HATCH,
    }


def _heat_rows(worked) -> SafeString:
    """The rows of the heat map's table, one per zone and side worked. Joined here rather
    than looped in the template: a clinic's year works every zone of the catalogue, and
    the template's lookups were most of the reports page's drawing time."""
    maps = dict(ReflexMap.choices)
    return format_html_join(
        "\n",
        "{}",
        (
            (
                format_html(
                    '<tr><th scope="row" class="fw-normal">{} <span class="text-body-secondary small">({})</span></th>'
                    '<td>{}</td><td class="text-end">{}</td>'
                    '<td>{} <span class="text-body-secondary small">({} of 5)</span></td>'
                    '<td class="text-end">{}</td></tr>',
                    h.zone.name,
                    str(maps.get(h.zone.reflex_map, h.zone.reflex_map)).lower(),
                    h.side.capitalize(),
                    h.times_worked,
                    h.pressure_words,
                    floatformat(h.avg_pressure, 1),
                    h.times_tender,
                ),
            )
            for h in worked
        ),
    )


@register.simple_tag
def reflex_zone_picture(zone, side="right", height=320):
    return mark_safe(charts.zone_picture_svg(zone, side, height=height))


@register.simple_tag
def reflex_map_preview(reflex_map, zones, side="right"):
    return mark_safe(charts.preview_svg(reflex_map, zones, side))

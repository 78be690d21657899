"""The report charts: SVG pictures of the report tables that anyone can read.

Each test draws a chart from a small table and looks at what a reader (or a screen
reader) gets: a well-formed SVG image with a title and the figures in words, series
told apart by shape and pattern as well as colour, and no chart at all when there is
nothing to show.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from charts.numbers import number
from charts.svg import OKABE_ITO, bar_chart, hbar_chart, line_chart, nice_ticks
from reports.metrics import chart_for
from reports.tables import Table

SVG = "{http://www.w3.org/2000/svg}"


def _table(slug: str, rows: list[tuple], title: str = "A table") -> Table:
    return Table(slug=slug, title=title, columns=[], rows=rows)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def _weeks(counts: list[int]) -> Table:
    monday = dt.date(2025, 3, 3)
    return _table(
        "sessions-per-week",
        [(monday + dt.timedelta(weeks=i), n) for i, n in enumerate(counts)],
        title="Sessions per week",
    )


def _pain(rows: list[tuple]) -> Table:
    return _table("pain-by-session-number", rows, title="Pain by session number")


def test_a_chart_is_an_image_with_a_title_and_the_figures_in_words():
    root = _parse(chart_for(_weeks([3, 0, 5])))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text == "Sessions per week"
    assert desc.text == "3 Mar: 3; 10 Mar: 0; 17 Mar: 5."


def test_a_chart_scales_to_its_container_through_its_view_box():
    root = _parse(chart_for(_weeks([3, 1])))
    assert re.fullmatch(r"0 0 640 \d+", root.get("viewBox"))
    assert root.get("width") is None and root.get("height") is None


def test_a_long_range_is_described_by_its_total_and_its_busiest_week():
    counts = [1] * 20
    counts[7] = 9
    desc = _parse(chart_for(_weeks(counts))).find(f"{SVG}desc").text
    assert desc == "20 values from 3 Mar to 14 Jul, total 28, highest 9 (21 Apr)."


def test_every_bar_names_its_week_and_count_on_hover():
    svg = str(chart_for(_weeks([3, 0, 5])))
    assert "<title>3 Mar: 3</title>" in svg
    assert "<title>17 Mar: 5</title>" in svg
    assert svg.count("<rect") == 3


def test_weeks_without_any_session_draw_no_chart_frame():
    assert chart_for(_weeks([0, 0, 0])) == ""
    assert chart_for(_weeks([])) == ""


def test_a_table_without_a_chart_draws_nothing():
    assert chart_for(_table("clients", [("Active", 3, "Had a session in the range")])) == ""


def test_pain_by_session_number_has_two_lines_with_different_markers_and_dashes():
    svg = str(chart_for(_pain([(1, 4, 6.5, 3.0), (2, 3, 5.0, 2.5), ("10+", 1, 4, 1)])))
    root = _parse(svg)
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == 2
    assert {line.get("stroke") for line in lines} == {OKABE_ITO["vermillion"], OKABE_ITO["blue"]}
    assert [line.get("stroke-dasharray") for line in lines] == [None, "6 4"]
    # Before is drawn with circles, after with squares (plus one of each in the legend).
    assert len(root.findall(f".//{SVG}circle")) == 3 + 1
    assert len(root.findall(f".//{SVG}rect")) == 3 + 1
    assert "<title>Mean pain after, 10+: 1</title>" in svg
    assert "Mean pain before: 1: 6.5; 2: 5; 10+: 4." in root.find(f"{SVG}desc").text


def test_pain_axis_runs_from_0_to_10_whatever_the_scores():
    svg = str(chart_for(_pain([(1, 2, 2, 1)])))
    labels = re.findall(r'text-anchor="end">(\d+)</text>', svg)
    assert labels == ["0", "2", "4", "6", "8", "10"]


def test_a_session_number_without_scores_breaks_the_line_instead_of_joining_across_it():
    root = _parse(chart_for(_pain([(1, 3, 6, 3), (2, 0, None, None), (3, 2, 5, 2), (4, 2, 4, 2)])))
    before = [p for p in root.findall(f".//{SVG}polyline") if p.get("stroke") == OKABE_ITO["vermillion"]]
    assert [len(p.get("points").split()) for p in before] == [2]


def test_sessions_to_relief_draws_not_yet_apart_hatched_and_grey():
    rows = [("1", 2), ("2", 5), ("3", 1), ("10+", 0), ("Not yet", 4)]
    svg = str(chart_for(_table("sessions-to-relief", rows, title="Sessions to relief")))
    root = _parse(svg)
    assert "<title>Not yet: 4</title>" in svg
    not_yet = [g for g in root.iter(f"{SVG}g") if (t := g.find(f"{SVG}title")) is not None and t.text == "Not yet: 4"]
    fill = not_yet[0].find(f"{SVG}rect").get("fill")
    assert fill.startswith("url(#")
    assert root.find(f".//{SVG}pattern") is not None
    # In the legend too, so the grey bar is explained in words.
    assert ">Not yet</text>" in svg


def test_adherence_bands_show_clients_and_those_who_reached_relief_side_by_side():
    rows = [
        ("No routine emails", 3, 1, 4.0),
        ("Under 25%", 0, 0, None),
        ("25-74%", 2, 2, 3.0),
        ("75% or more", 5, 4, 2.5),
    ]
    svg = str(chart_for(_table("adherence-bands", rows)))
    assert "<title>Clients, 75% or more: 5</title>" in svg
    assert "<title>Reached relief, 75% or more: 4</title>" in svg
    assert ">Reached relief</text>" in svg


def test_zone_names_are_escaped_and_long_ones_shortened_on_the_chart_only():
    name = "<b>Lumbar spine</b> along the inner edge of the sole"
    svg = str(chart_for(_table("zones", [(name, "Foot sole", 7, 2, "29%")])))
    assert "<b>" not in svg
    _parse(svg)  # still well-formed
    assert "&lt;b&gt;Lumbar spine&lt;/b&gt; along the inner edge of the sole (Foot sole): 7" in svg
    assert "&lt;b&gt;Lumbar spine&lt;/b&gt; along…</text>" in svg


def test_two_charts_on_one_page_never_share_ids():
    first, second = str(chart_for(_weeks([1, 2]))), str(chart_for(_weeks([1, 2])))
    ids = re.findall(r'id="([^"]+)"', first + second)
    assert len(ids) == len(set(ids))


def test_cells_that_are_words_or_blanks_are_not_drawn_as_numbers():
    assert [number(v) for v in (3, 2.5, Decimal("1.5"), None, "—", "12%", True, float("nan"))] == [
        3.0,
        2.5,
        1.5,
        None,
        None,
        None,
        None,
        None,
    ]


def test_axis_steps_are_round_numbers_that_reach_the_highest_value():
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(10) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(37)[-1] == 40
    assert nice_ticks(1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0) == [0, 1]


def test_the_building_blocks_draw_nothing_without_data():
    assert bar_chart(title="t", labels=[], series=[]) == ""
    assert line_chart(title="t", labels=["1"], series=[]) == ""
    assert hbar_chart(title="t", labels=["a"], series=[]) == ""

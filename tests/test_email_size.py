"""How much a routine email weighs on the wire, and whether its pictures still show the zone.

A client reads these on a phone, often on a metered connection, every day: a typical
routine (about 4 steps, up to 10 minutes) weighs at most 100 KiB and no routine email
more than 150 KiB, pictures included. This is a size, not a time, so a test holds it.

The routines here are the heavy side of real ones: the clinic's own library steps with
the longest instructions, every step on a zone of its own (one picture each, none
shared), two lifestyle tips and the physician's advice.
"""

from __future__ import annotations

import email
import re
from email import policy
from io import BytesIO

import pytest
import resvg_py
from PIL import Image

from outbox.models import Delivery
from routines.emails import PICTURE_COLOURS, PICTURE_SCALE, build_routine_email
from routines.models import StepKind
from sessions.charts import zone_picture_svg
from tests.delivery_data import heavy_routine_delivery

KIB = 1024
TYPICAL_BUDGET = 100 * KIB  # about 4 steps
MOST = 150 * KIB  # any routine email


def wire_bytes(delivery: Delivery) -> bytes:
    return build_routine_email(delivery).message().as_bytes(linesep="\r\n")


def pictures(raw: bytes) -> dict[str, bytes]:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    return {p["Content-ID"].strip("<>"): p.get_content() for p in parsed.walk() if p.get_content_type() == "image/png"}


@pytest.mark.parametrize(("steps", "budget"), [(2, TYPICAL_BUDGET), (4, TYPICAL_BUDGET), (6, MOST), (10, MOST)])
def test_a_routine_email_weighs_within_its_budget_pictures_included(clinic, practitioner, steps, budget):
    raw = wire_bytes(heavy_routine_delivery(clinic, practitioner, steps))
    assert len(pictures(raw)) == steps  # every step shows its own picture
    assert len(raw) <= budget, f"{steps} steps weigh {len(raw) / KIB:.1f} KiB, over {budget // KIB} KiB"


def test_each_picture_is_a_small_palette_png_drawn_at_twice_its_shown_size(clinic, practitioner):
    delivery = heavy_routine_delivery(clinic, practitioner, 4)
    raw = wire_bytes(delivery)
    html = email.message_from_bytes(raw, policy=policy.default).get_body(preferencelist=("html",)).get_content()
    for cid, png in pictures(raw).items():
        image = Image.open(BytesIO(png))
        assert image.mode == "P" and len(image.getcolors()) <= PICTURE_COLOURS
        shown = re.search(rf'src="cid:{re.escape(cid)}" width="(\d+)" height="(\d+)"', html)
        assert shown and (int(shown[1]) * PICTURE_SCALE, int(shown[2]) * PICTURE_SCALE) == image.size
        assert len(png) <= 9 * KIB


def _marked(pixel: tuple[int, int, int]) -> bool:
    # The highlight (#d9480f, and its fill over the skin) is red well above green; the skin,
    # its outline and creases are not.
    red, green, _ = pixel
    return red > 180 and red - green > 50


def _marked_pixels(png: bytes) -> set[tuple[int, int]]:
    image = Image.open(BytesIO(png)).convert("RGB")
    width = image.width
    return {(n % width, n // width) for n, pixel in enumerate(image.getdata()) if _marked(pixel)}


def test_every_picture_still_shows_its_zone_marked_as_the_full_colour_drawing_does(clinic, practitioner):
    """The smaller palette keeps the mark: where the full-colour drawing of the zone is
    orange, the email's picture is orange too (nearly everywhere), and nowhere else much."""
    delivery = heavy_routine_delivery(clinic, practitioner, 10)
    by_cid = pictures(wire_bytes(delivery))
    for step in delivery.routine.steps.filter(kind=StepKind.REFLEX).select_related("zone"):
        zone, side = step.zone, step.first_side
        (png,) = [data for cid, data in by_cid.items() if cid.startswith(f"zone-{zone.pk}-{side}@")]
        svg = zone_picture_svg(zone, side, height=Image.open(BytesIO(png)).height)
        drawn = _marked_pixels(bytes(resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff")))
        shown = _marked_pixels(png)
        assert len(drawn) > 50, f"{zone.code}: the drawing itself marks no zone"
        assert len(drawn & shown) >= 0.7 * len(drawn), f"{zone.code}: the mark faded in the palette"
        assert len(shown - drawn) <= 0.3 * len(drawn), f"{zone.code}: orange where no zone is"

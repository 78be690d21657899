"""The routine email (and its preview), built from its Delivery row.

What the email says is here; how it is rendered (templates, inline pictures, the
Message-ID) is the outbox's (outbox/render.py). The preview goes through the very
same renderer as the real email; only its links are preview links that record nothing.

Each step's picture is a PNG of its zone, attached inline: a PNG is rasterised once
per zone, side and drawing, then reused from memory, so a morning's 20,000 emails
don't rasterise 20,000 times. It is a 16-colour palette PNG: the drawing is a few flat
colours with smooth edges, which 16 colours keep, at a third of the bytes of a full-colour
PNG (about 6 KiB rather than 15 to 19), so a typical routine email stays well under
100 KiB at twice the shown size (sharp on a phone). tests/test_email_size.py holds the budget.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO

import resvg_py
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import get_language
from PIL import Image

from outbox.kinds import EmailParts
from outbox.mailer import message_for
from outbox.models import Delivery
from outbox.render import ClinicEmail, InlineImage, address, preview, reply_to
from routines.links import PAIN_SCORES, checkin_url_maker
from routines.models import CheckIn, Routine, RoutineStep, SideOrder, StepKind
from routines.wording import instruction_in_routine, sides_heading
from sessions.charts import zone_label, zone_picture_svg
from sessions.models import ReflexZone
from sessions.reflex_maps import map_spec

# Drawn at twice the size it is shown, so it stays sharp on high-density screens.
PICTURE_HEIGHT = 200
PICTURE_SCALE = 2
# Enough for the skin, outline, creases and the marked zone with their smooth edges.
PICTURE_COLOURS = 16


def _limb(reflex_map: str) -> str:
    return map_spec(reflex_map).limb


def side_order_in_words(step: RoutineStep) -> str:
    """docs/domain.md, rule 2 in the client's words: "Right hand first, then the left."."""
    if step.zone is None or not step.side_order:
        return ""
    limb = _limb(step.zone.reflex_map)
    if step.side_order == SideOrder.RIGHT_THEN_LEFT:
        return f"Right {limb} first, then the left {limb}."
    return f"{step.side_order.capitalize()} {limb} only."


@lru_cache(maxsize=1024)
def _rasterise(zone_id: int, side: str, svg: str) -> bytes:
    # Keyed on the drawing itself as well as the zone: an owner moving a zone, or a
    # redrawn chart outline, gives a new picture without anyone clearing a cache.
    png = resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff", skip_system_fonts=True)
    return palette_png(bytes(png))


def palette_png(png: bytes, colours: int = PICTURE_COLOURS) -> bytes:
    """The picture with a palette of `colours`, undithered (flat areas stay flat and compress).
    Maximum coverage, not median cut: median cut gives a small marked zone too few colours,
    and its mark fades (tests/test_email_size.py compares it with the full-colour drawing)."""
    image = Image.open(BytesIO(png)).convert("RGB")
    quantized = image.quantize(colors=colours, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    out = BytesIO()
    quantized.save(out, "PNG", optimize=True, bits=max(1, (colours - 1).bit_length()))
    return out.getvalue()


def zone_picture_png(zone: ReflexZone, side: str) -> bytes:
    svg = zone_picture_svg(zone, side, height=PICTURE_HEIGHT * PICTURE_SCALE)
    return _rasterise(zone.pk, side, svg)


# What a zone's picture is drawn from: its map, place, size, angle and the name in its label.
_DRAWN_FROM = ("pk", "code", "name", "reflex_map", "x", "y", "rx", "ry", "angle")


def zone_picture(zone: ReflexZone, side: str) -> InlineImage:
    """The zone's inline picture, made once per zone, side and drawing: drawing its SVG only
    to find the picture in the cache cost more than the rest of an email's content."""
    return _zone_picture(tuple(getattr(zone, name) for name in _DRAWN_FROM), side)


@lru_cache(maxsize=1024)
def _zone_picture(drawn_from: tuple, side: str) -> InlineImage:
    zone = ReflexZone(**dict(zip(_DRAWN_FROM, drawn_from, strict=True)))
    return InlineImage(
        cid=f"zone-{zone.pk}-{side}@{settings.EMAIL_MESSAGE_ID_DOMAIN}",
        data=zone_picture_png(zone, side),
        filename=f"{zone.code}-{side}.png",
        alt=f"Where to press: {zone_label(zone, side)}",
        scale=PICTURE_SCALE,
    )


# --- Routine email ----------------------------------------------------------------


@dataclass
class StepView:
    number: int
    title: str
    instruction: str
    minutes: int
    sides: str = ""
    sides_heading: str = ""
    pressure: str = ""
    picture: InlineImage | None = None
    picture_note: str = ""


@dataclass
class RoutineLinks:
    done: str
    pain: list[tuple[int, str]]
    pause: str
    stop: str


@dataclass(frozen=True)
class TipView:
    title: str
    instruction: str


@dataclass(frozen=True)
class ClinicView:
    """What the email shows of its clinic."""

    name: str
    phone: str


@dataclass
class RoutineContent:
    steps: list[StepView] = field(default_factory=list)
    tips: list[TipView] = field(default_factory=list)
    images: list[InlineImage] = field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return sum(s.minutes for s in self.steps)


def _routine_content(routine: Routine) -> RoutineContent:
    content = RoutineContent()
    images: dict[tuple[int, str], InlineImage] = {}
    steps = list(routine.steps.all())
    for step in steps:
        if step.kind == StepKind.LIFESTYLE:
            content.tips.append(TipView(title=step.title, instruction=step.instruction))
            continue
        view = StepView(
            number=len(content.steps) + 1,
            title=step.title,
            instruction=instruction_in_routine(step, steps),
            minutes=step.minutes,
            sides=side_order_in_words(step),
            sides_heading=sides_heading(step),
            pressure=step.pressure_in_words,  # docs/domain.md, rule 8
        )
        if step.zone is not None:
            side = step.first_side  # the picture shows the side worked first
            key = (step.zone.pk, side)
            if key not in images:
                images[key] = zone_picture(step.zone, side)
            view.picture = images[key]
            if step.side_order == SideOrder.RIGHT_THEN_LEFT:
                view.picture_note = f"Shown on the right {_limb(step.zone.reflex_map)}; the left is its mirror image."
        content.steps.append(view)
    content.images = list(images.values())
    return content


def _routine_links(delivery: Delivery | None) -> RoutineLinks:
    url = checkin_url_maker()
    return RoutineLinks(
        done=url(delivery, CheckIn.Kind.DONE),
        pain=[(score, url(delivery, CheckIn.Kind.PAIN, pain=score)) for score in PAIN_SCORES],
        pause=url(delivery, CheckIn.Kind.PAUSE),
        stop=url(delivery, CheckIn.Kind.STOP),
    )


@lru_cache(maxsize=64)
def _day_in_words(day: dt.date, language: str | None) -> str:
    """The day as the emails write it ("Tuesday 10 March") in `language`: formatted once a day
    and language, not by the templates' five `date` filters for every email (a slow filter)."""
    return date_format(day, "l j F")


def routine_parts(routine: Routine, local_date: dt.date, delivery: Delivery | None) -> EmailParts:
    """What the routine email for `local_date` says; `delivery=None` for the preview."""
    # A routine's row is made for the routine's client and clinic; reading them from the
    # row lets a batch load each client and clinic once, not a second time through the routine.
    client, clinic = (delivery.client, delivery.clinic) if delivery else (routine.client, routine.clinic)
    content = _routine_content(routine)
    links = _routine_links(delivery)
    # Plain values only: emails with the same words are rendered once and filled in with
    # each client's first name and links (outbox/render.py, EmailParts.personal).
    context = {
        "clinic": ClinicView(name=clinic.name, phone=clinic.phone),
        "intro": routine.intro,
        "day": _day_in_words(local_date, get_language()),
        "steps": content.steps,
        "tips": content.tips,
        "total_minutes": content.total_minutes,
        "hands_reason": routine.hands_reason,
        # docs/domain.md, rule 9: in every routine email, read from the client's flag specs at sending time.
        "physician_advice": " ".join(client.email_advice),
        "is_preview": delivery is None,
    }
    personal = {"first_name": client.first_name, "links": links}
    headers = {
        # RFC 2369 / 8058: mail providers show an unsubscribe button that POSTs to the stop link.
        "List-Unsubscribe": f"<{links.stop}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return EmailParts(
        context, headers=headers, personal=personal, reply_to=reply_to(clinic), inline_images=content.images
    )


def build_routine_email(delivery: Delivery) -> ClinicEmail:
    """The routine row's message, exactly as the mailer sends it."""
    return message_for(delivery)


def preview_routine_email(routine: Routine, local_date: dt.date) -> ClinicEmail:
    """Exactly what the client will get, with links that lead to a page recording nothing."""
    client = routine.client
    parts = routine_parts(routine, local_date, None)
    return preview(Delivery.Kind.ROUTINE, parts, to=address(client.full_name, client.email), clinic=client.clinic)

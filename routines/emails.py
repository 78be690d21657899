"""Every email a client gets, built from its Delivery row.

One helper renders the three templates of an email (subject, plain text, HTML) in
the healthchecks manner, so the routine email, its preview and the appointment
emails are put together the same way. The preview calls the very same renderer as
the real email; only its links are preview links that record nothing.

Pictures are PNGs attached inline (multipart/related, referenced by `cid:`): mail
clients block remote images and most do not show SVG, and an email must load nothing
from a remote host. A PNG is rasterised once per zone, side and drawing, then reused
from memory, so a morning's 20,000 emails don't rasterise 20,000 times.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.mime.image import MIMEImage
from email.mime.text import MIMEText
from email.utils import formataddr
from functools import lru_cache
from io import BytesIO
from zoneinfo import ZoneInfo

import resvg_py
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.db.models import QuerySet
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from icalendar import Calendar, Event

from clients.models import Client
from routines.links import PAIN_SCORES, checkin_url_maker
from routines.models import CheckIn, Delivery, Routine, RoutineStep, SideOrder, StepKind
from routines.wording import instruction_in_routine, sides_heading
from sessions.charts import zone_label, zone_picture_svg
from sessions.models import ReflexZone
from sessions.reflex_maps import map_spec

# Drawn at twice the size it is shown, so it stays sharp on high-density screens.
PICTURE_HEIGHT = 200
PICTURE_SCALE = 2


def _limb(reflex_map: str) -> str:
    return map_spec(reflex_map).limb


def side_order_in_words(step: RoutineStep) -> str:
    """Rule 2 in the client's words: "Right hand first, then the left."."""
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
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff", skip_system_fonts=True))


def zone_picture_png(zone: ReflexZone, side: str) -> bytes:
    svg = zone_picture_svg(zone, side, height=PICTURE_HEIGHT * PICTURE_SCALE)
    return _rasterise(zone.pk, side, svg)


def _png_size(png: bytes) -> tuple[int, int]:
    # Width and height are the first two fields of the IHDR chunk.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


@dataclass(frozen=True)
class InlineImage:
    cid: str
    data: bytes
    filename: str
    alt: str

    @property
    def width(self) -> int:
        return _png_size(self.data)[0] // PICTURE_SCALE

    @property
    def height(self) -> int:
        return _png_size(self.data)[1] // PICTURE_SCALE


class _PicturePart(MIMEImage):
    """A zone picture's MIME part, made once and shared by every email that shows it.

    Nothing changes it once it is made, so its bytes (headers and base64) are written
    out once per way of writing (line ending, policy) and copied into each email.
    """

    def __init__(self, image: InlineImage):
        super().__init__(image.data, "png")
        self.add_header("Content-ID", f"<{image.cid}>")
        self.add_header("Content-Disposition", "inline", filename=image.filename)
        self._flattened: dict[tuple, bytes] = {}

    def flattened(self, generator: BytesGenerator) -> bytes:
        key = (generator._mangle_from_, repr(generator.policy))
        flat = self._flattened.get(key)
        if flat is None:
            fp = BytesIO()
            BytesGenerator(fp, generator._mangle_from_, policy=generator.policy).flatten(self, linesep=generator._NL)
            flat = self._flattened[key] = fp.getvalue()
        return flat


@lru_cache(maxsize=256)
def _picture_part(image: InlineImage) -> _PicturePart:
    # Keyed on the whole image (cid, the PNG itself, file name): a redrawn zone is a new part.
    return _PicturePart(image)


class _Generator(BytesGenerator):
    """Django's generator for email bytes, but a shared picture part is copied, not written again."""

    def _write(self, msg):
        if isinstance(msg, _PicturePart):
            self._fp.write(msg.flattened(self))
            return
        super()._write(msg)


class _Multipart(SafeMIMEMultipart):
    def as_bytes(self, unixfrom=False, linesep="\n"):
        fp = BytesIO()
        _Generator(fp, mangle_from_=False).flatten(self, unixfrom=unixfrom, linesep=linesep)
        return fp.getvalue()


def _boundary(*texts: str) -> str | None:
    """A MIME boundary chosen ahead, so the generator need not search every part for its own.

    "=_" never occurs in base64 or quoted-printable text, so only a literal text part
    could hold it; should one (by a one in 2**128 chance), the generator picks one.
    """
    boundary = f"=_{secrets.token_hex(16)}"
    return None if any(boundary in text for text in texts) else boundary


class ClinicEmail(EmailMultiAlternatives):
    """An HTML email whose pictures travel inside it: the HTML part becomes
    multipart/related with the images, so the text part stays a plain alternative."""

    def __init__(self, *args, inline_images: list[InlineImage] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = inline_images or []

    def _create_alternatives(self, msg):
        if not self.alternatives:
            return super()._create_alternatives(msg)
        encoding = self.encoding or settings.DEFAULT_CHARSET
        texts = [self.body, *(a.content for a in self.alternatives if isinstance(a.content, str))]
        root = _Multipart(_subtype=self.alternative_subtype, boundary=_boundary(*texts), encoding=encoding)
        if self.body:
            root.attach(msg)
        for alternative in self.alternatives:
            part = self._create_mime_attachment(alternative.content, alternative.mimetype)
            if self.inline_images and part.get_content_type() == "text/html":
                related = SafeMIMEMultipart(_subtype="related", boundary=_boundary(*texts), encoding=encoding)
                related.attach(part)
                for image in self.inline_images:
                    related.attach(_picture_part(image))
                part = related
            root.attach(part)
        return root


def _render(template_name: str, context: dict) -> str:
    template = get_template(template_name)
    # Numbers in an email are step numbers, minutes, pain scores and picture sizes (some
    # in HTML attributes): plain digits, never localised (a thousands separator in a
    # width would break it), which also saves a locale lookup for every number shown.
    autoescape = template.backend.engine.autoescape
    return template.template.render(Context(context, autoescape=autoescape, use_l10n=False))


def render_email(
    template_dir: str,
    context: dict,
    *,
    to: str,
    headers: dict[str, str] | None = None,
    reply_to: str = "",
    inline_images: list[InlineImage] | None = None,
) -> ClinicEmail:
    """Subject, text and HTML from `<template_dir>/subject.txt`, `body.txt`, `body.html`."""
    subject = " ".join(_render(f"{template_dir}/subject.txt", context).split())
    message = ClinicEmail(
        subject=subject,
        body=_render(f"{template_dir}/body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
        reply_to=[reply_to] if reply_to else None,
        inline_images=inline_images,
    )
    message.attach_alternative(_render(f"{template_dir}/body.html", context), "text/html")
    return message


def _recipient(client: Client) -> str:
    return formataddr((client.full_name, client.email))


def _reply_to(clinic) -> str:
    return formataddr((clinic.name, clinic.email)) if clinic.email else ""


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


@dataclass
class RoutineContent:
    steps: list[StepView] = field(default_factory=list)
    tips: list[RoutineStep] = field(default_factory=list)
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
            content.tips.append(step)
            continue
        view = StepView(
            number=len(content.steps) + 1,
            title=step.title,
            instruction=instruction_in_routine(step, steps),
            minutes=step.minutes,
            sides=side_order_in_words(step),
            sides_heading=sides_heading(step),
            pressure=step.pressure_in_words,  # rule 8
        )
        if step.zone is not None:
            side = step.first_side  # the picture shows the side worked first
            key = (step.zone.pk, side)
            if key not in images:
                images[key] = InlineImage(
                    cid=f"zone-{step.zone.pk}-{side}@{settings.EMAIL_MESSAGE_ID_DOMAIN}",
                    data=zone_picture_png(step.zone, side),
                    filename=f"{step.zone.code}-{side}.png",
                    alt=f"Where to press: {zone_label(step.zone, side)}",
                )
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


def _routine_message(routine: Routine, local_date: dt.date, delivery: Delivery | None) -> ClinicEmail:
    # A routine's row is made for the routine's client and clinic; reading them from the
    # row lets a batch load each client and clinic once, not a second time through the routine.
    client, clinic = (delivery.client, delivery.clinic) if delivery else (routine.client, routine.clinic)
    content = _routine_content(routine)
    links = _routine_links(delivery)
    context = {
        "client": client,
        "first_name": client.first_name,
        "clinic": clinic,
        "routine": routine,
        "local_date": local_date,
        "steps": content.steps,
        "tips": content.tips,
        "total_minutes": content.total_minutes,
        "hands_reason": routine.hands_reason,
        # Rule 9: in every routine email, read from the client's flag specs at sending time.
        "physician_advice": " ".join(client.email_advice),
        "links": links,
        "is_preview": delivery is None,
    }
    headers = {
        # RFC 2369 / 8058: mail providers show an unsubscribe button that POSTs to the stop link.
        "List-Unsubscribe": f"<{links.stop}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if delivery is not None:
        headers["Message-ID"] = delivery.message_id
    return render_email(
        "routines/email/routine",
        context,
        to=_recipient(client),
        headers=headers,
        reply_to=_reply_to(clinic),
        inline_images=content.images,
    )


def with_email_data(deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """What building many emails needs, loaded in a fixed number of queries for a batch."""
    return deliveries.select_related("client", "clinic", "routine").prefetch_related(
        "routine__steps__zone", "client__health_flags", "appointment__practitioner"
    )


def build_routine_email(delivery: Delivery) -> ClinicEmail:
    return _routine_message(delivery.routine, delivery.local_date, delivery)


def preview_routine_email(routine: Routine, local_date: dt.date) -> ClinicEmail:
    """Exactly what the client will get, with links that lead to a page recording nothing."""
    return _routine_message(routine, local_date, None)


# --- Appointment emails -----------------------------------------------------------


def appointment_ics(appointment, *, clinic) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//ReflexClinic//Appointments//EN")
    cal.add("version", "2.0")
    # PUBLISH, not REQUEST: the client is told about a booking, not asked to accept one.
    cal.add("method", "PUBLISH")
    event = Event()
    # Stable per appointment, so a reminder or a rescheduled time updates the same entry.
    event.add("uid", f"appointment-{appointment.pk}@{settings.EMAIL_MESSAGE_ID_DOMAIN}")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", f"Reflexology with {appointment.practitioner} at {clinic.name}")
    if clinic.address:
        event.add("location", ", ".join(line.strip() for line in clinic.address.splitlines() if line.strip()))
    event.add("status", "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()


def build_appointment_email(delivery: Delivery) -> ClinicEmail:
    """The booking confirmation or the 24-hour reminder, with the appointment as a calendar file."""
    appointment, clinic, client = delivery.appointment, delivery.clinic, delivery.client
    zone = ZoneInfo(clinic.timezone)
    context = {
        "first_name": client.first_name,
        "clinic": clinic,
        "appointment": appointment,
        "is_reminder": delivery.kind == Delivery.Kind.REMINDER,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "timezone_name": clinic.timezone.replace("_", " "),
        "address_lines": [line.strip() for line in clinic.address.splitlines() if line.strip()],
    }
    # Template filters show aware times in the active zone: make it the clinic's.
    with timezone.override(zone):
        message = render_email(
            "routines/email/appointment",
            context,
            to=_recipient(client),
            headers={"Message-ID": delivery.message_id},
            reply_to=_reply_to(clinic),
        )
    ics = MIMEText(appointment_ics(appointment, clinic=clinic).decode(), "calendar", "utf-8")
    ics.set_param("method", "PUBLISH")
    ics.add_header("Content-Disposition", "attachment", filename="appointment.ics")
    message.attach(ics)
    return message

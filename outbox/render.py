"""The one email renderer: a kind's templates, pictures inside the message, one Message-ID.

Every email is three templates in its kind's folder (subject.txt, body.txt and, for HTML
kinds, body.html), rendered the same way for every kind, in the healthchecks manner.

Pictures are PNGs attached inline (multipart/related, referenced by `cid:`): mail
clients block remote images and most do not show SVG, and an email must load nothing
from a remote host. A picture's MIME part is made once and its bytes copied into every
email that shows it, so a morning's 20,000 emails don't encode it 20,000 times.
"""

from __future__ import annotations

import re
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.mime.image import MIMEImage
from email.policy import compat32
from email.utils import formataddr, parseaddr
from functools import lru_cache
from io import BytesIO
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone

from . import kinds
from .kinds import EmailKind, EmailParts

if TYPE_CHECKING:
    from .models import Delivery


def _png_size(png: bytes) -> tuple[int, int]:
    # Width and height are the first two fields of the IHDR chunk.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


@dataclass(frozen=True)
class InlineImage:
    cid: str
    data: bytes
    filename: str
    alt: str
    # Drawn at `scale` times the size it is shown, so it stays sharp on high-density screens.
    scale: int = 1

    @property
    def width(self) -> int:
        return _png_size(self.data)[0] // self.scale

    @property
    def height(self) -> int:
        return _png_size(self.data)[1] // self.scale


class _PicturePart(MIMEImage):
    """A picture's MIME part, made once and shared by every email that shows it.

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
    # Keyed on the whole image (cid, the PNG itself, file name): a redrawn picture is a new part.
    return _PicturePart(image)


def _unfolded(name: str, value: object, max_line_length: int | None) -> bool:
    """A header that compat32's folding writes exactly as it is: a short line of plain ASCII."""
    return (
        isinstance(value, str)
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
        and (max_line_length is None or len(name) + 2 + len(value) <= max_line_length)
    )


class _Generator(BytesGenerator):
    """Django's generator for email bytes, but a shared picture part is copied, not written
    again, and a short plain header is written as it is rather than through the folding
    machinery (email.header.Header), which cost about half of writing an email."""

    def _write(self, msg):
        if isinstance(msg, _PicturePart):
            self._fp.write(msg.flattened(self))
            return
        super()._write(msg)

    def _write_headers(self, msg):
        if type(self.policy) is not type(compat32):
            return super()._write_headers(msg)
        limit = self.policy.max_line_length
        for name, value in msg.raw_items():
            if _unfolded(name, value, limit):
                self._fp.write(f"{name}: {value}{self._NL}".encode("ascii"))
            else:
                self._fp.write(self.policy.fold_binary(name, value))
        self.write(self._NL)


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


def render_email(kind: EmailKind, parts: EmailParts, *, to: str, clinic=None) -> ClinicEmail:
    """Subject, text and (for an HTML kind) HTML from the kind's template folder, sent as
    `clinic` (its name in From, its address in Reply-To) when one is given."""
    with timezone.override(ZoneInfo(parts.timezone)) if parts.timezone else nullcontext():
        subject, body, *html = (_render(name, parts.context) for name in kind.templates)
    message = ClinicEmail(
        subject=" ".join(subject.split()),
        body=body,
        from_email=sender(clinic),
        to=[to],
        headers=dict(parts.headers),
        reply_to=[answer_to] if (answer_to := parts.reply_to or (reply_to(clinic) if clinic else "")) else None,
        inline_images=parts.inline_images,
    )
    for alternative in html:
        message.attach_alternative(alternative, "text/html")
    for attachment in parts.attachments:
        message.attach(attachment)
    return message


# Control characters (and invisible direction overrides) in a stored name. Names are
# refused with them now (accounts.inputs), but a row stored before may still hold a line
# break, which no header takes: the email would fail with "Invalid address".
_NOT_IN_A_HEADER = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


def address(name: str, email: str) -> str:
    """`Name <email>` for a header, the name on one line whatever was stored."""
    return formataddr((_NOT_IN_A_HEADER.sub(" ", name).strip(), email))


def recipient(delivery: Delivery) -> str:
    return address(delivery.to_name, delivery.to_email)


def sender(clinic=None) -> str:
    """From: the clinic's name with the installation's address (DEFAULT_FROM_EMAIL's), so the
    client sees who writes while the address stays one the installation may send from."""
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address(clinic.name if clinic else name, email)


def reply_to(clinic) -> str:
    """The clinic's own address, so a client's reply reaches the clinic, not the sender."""
    return address(clinic.name, clinic.email) if clinic.email else ""


def render_delivery(delivery: Delivery) -> ClinicEmail:
    """The message for a row: its kind's builder and templates, to the row's recipient.
    (The mailer adds the row's Message-ID: outbox.mailer.message_for.)"""
    kind = kinds.get(delivery.kind)
    return render_email(kind, kind.build(delivery), to=recipient(delivery), clinic=delivery.clinic)


def preview(slug: str, parts: EmailParts, *, to: str, clinic=None) -> ClinicEmail:
    """A message for no row (a preview): the same templates and renderer, no Message-ID."""
    return render_email(kinds.get(slug), parts, to=to, clinic=clinic)

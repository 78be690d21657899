"""The one email renderer: a kind's templates, pictures inside the message, one Message-ID.

Every email is three templates in its kind's folder (subject.txt, body.txt and, for HTML
kinds, body.html), rendered the same way for every kind, in the healthchecks manner.

Pictures are PNGs attached inline (multipart/related, referenced by `cid:`): mail
clients block remote images and most do not show SVG, and an email must load nothing
from a remote host. A picture's MIME part is made once and its bytes copied into every
email that shows it, so a morning's 20,000 emails don't encode it 20,000 times.

Emails with the same words (a routine's steps on a day, for every client who has them)
are rendered once and filled in with each recipient's own strings (EmailParts.personal;
see "Many emails of one shape" below), and their bytes are written directly for the
mail server (ClinicEmail.wire_bytes), the same bytes as the standard library's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import re
import secrets
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from email.generator import BytesGenerator
from email.mime.image import MIMEImage
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import cache, lru_cache, partial
from io import BytesIO
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart, forbid_multi_line_headers
from django.core.mail.utils import DNS_NAME
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from . import kinds
from .kinds import EmailKind, EmailParts

if TYPE_CHECKING:
    from .models import Delivery

logger = logging.getLogger(__name__)


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

    def flattened(self, mangle_from: bool, policy, linesep: str) -> bytes:
        key = (mangle_from, repr(policy), linesep)
        flat = self._flattened.get(key)
        if flat is None:
            fp = BytesIO()
            BytesGenerator(fp, mangle_from, policy=policy).flatten(self, linesep=linesep)
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


def _header_line(policy, name: str, value: object) -> bytes:
    """A header as compat32 writes it (policy carries the line ending)."""
    if _unfolded(name, value, policy.max_line_length):
        return f"{name}: {value}{policy.linesep}".encode("ascii")
    if isinstance(value, str) and value.isascii() and value.isprintable() and not _FOLD_POINT.search(value):
        # One long word (a List-Unsubscribe link): compat32 breaks a header only at white space
        # and at ";" or ",", so where the lines go depends on its length alone.
        head, tail = _around_one_word(policy.linesep, policy.max_line_length, name, len(value))
        return head + value.encode("ascii") + tail
    return policy.fold_binary(name, value)


# Where compat32's folding (email.header.Header.encode) may break a line.
_FOLD_POINT = re.compile("[ \t;,]")


@lru_cache(maxsize=64)
def _around_one_word(linesep: str, max_line_length: int | None, name: str, length: int) -> tuple[bytes, bytes]:
    """What compat32 writes before and after a header value of `length` characters that it
    cannot break (a stand-in word of that length is folded once, to see)."""
    word = b":" * length  # ":" ends a header's name, so the last run of them is the word
    policy = compat32.clone(linesep=linesep, max_line_length=max_line_length)
    head, found, tail = policy.fold_binary(name, word.decode()).rpartition(word)
    assert found and head.endswith(b" "), "a word compat32 cannot break came out broken"
    return head, tail


class _Generator(BytesGenerator):
    """Django's generator for email bytes, but a shared picture part is copied, not written
    again, and a short plain header is written as it is rather than through the folding
    machinery (email.header.Header), which cost about half of writing an email."""

    def _write(self, msg):
        if isinstance(msg, _PicturePart):
            self._fp.write(msg.flattened(self._mangle_from_, self.policy, self._NL))
            return
        super()._write(msg)

    def _write_headers(self, msg):
        if type(self.policy) is not type(compat32):
            return super()._write_headers(msg)
        for name, value in msg.raw_items():
            self._fp.write(_header_line(self.policy, name, value))
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


# What the wire takes: CRLF line endings, compat32 (the policy Django's messages use).
_WIRE = compat32.clone(linesep="\r\n")
# RFC 5322's longest line: Django sends a text with a longer one quoted-printable.
_LONGEST_LINE = 998


@lru_cache(maxsize=8)
def _text_head(subtype: str, transfer_encoding: str) -> bytes:
    # The headers of Django's SafeMIMEText for UTF-8, in its order.
    return b"".join(
        _header_line(_WIRE, name, value)
        for name, value in (
            ("Content-Type", f'text/{subtype}; charset="utf-8"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", transfer_encoding),
        )
    )


def _text_part(text: str, subtype: str) -> bytes | None:
    """A text part as Django and the generator write it (7bit when ASCII, else 8bit), or
    None when they would write it otherwise (a line too long: quoted-printable)."""
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: the generator's business
        return None
    if b"\r" in data:
        data = re.sub(rb"\r\n?", b"\n", data)
    if max(map(len, data.split(b"\n"))) > _LONGEST_LINE:
        return None
    return _text_head(subtype, "7bit" if text.isascii() else "8bit") + b"\r\n" + data.replace(b"\n", b"\r\n")


@lru_cache(maxsize=64)
def _wire_header(name: str, value: str, encoding: str) -> bytes:
    """A header as EmailMessage.message() sets it and the generator writes it. Kept for the
    headers many emails share (Subject, From, Reply-To): compat32's Header encodes a subject
    even when it is plain ASCII."""
    return _header_line(_WIRE, *forbid_multi_line_headers(name, value, encoding))


# A boundary of _boundary()'s shape: its Content-Type header folds the same whatever the
# hex digits, so the header is folded once with this one and the digits put in after.
_ANY_BOUNDARY = "=_" + "0" * 32
_BOUNDARY_SHAPE = re.compile("=_[0-9a-f]{32}")


def _multipart(subtype: str, boundary: str, headers: list[tuple[str, object]], parts: list[bytes], encoding) -> bytes:
    """A multipart as the generator writes it: Content-Type, MIME-Version and `headers`, a
    blank line, the parts between boundaries."""
    mark = boundary.encode("ascii")
    if _BOUNDARY_SHAPE.fullmatch(boundary):
        content_type = f'multipart/{subtype}; boundary="{_ANY_BOUNDARY}"'
        head = _wire_header("Content-Type", content_type, encoding).replace(_ANY_BOUNDARY.encode(), mark)
    else:
        head = _wire_header("Content-Type", f'multipart/{subtype}; boundary="{boundary}"', encoding)
    head += b"".join(_wire_header(name, value, encoding) for name, value in [("MIME-Version", "1.0"), *headers])
    between = b"\r\n--" + mark + b"\r\n"
    return head + b"\r\n--" + mark + b"\r\n" + between.join(parts) + b"\r\n--" + mark + b"--\r\n"


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

    def wire_bytes(self) -> bytes:
        """The message as it goes to the mail server: `message().as_bytes(linesep="\\r\\n")`.

        For the usual layout (text, HTML and its pictures, UTF-8, no attachment) the bytes
        are written directly, without building the email.message tree and walking it with
        the generator, which cost about a third of making a routine email; anything else
        (an attachment, a line too long for 8bit) goes the generator's way.
        tests/test_emails.py holds the two ways to the same bytes."""
        return self._direct_bytes() or self.message().as_bytes(linesep="\r\n")

    def _direct_bytes(self) -> bytes | None:
        encoding = self.encoding or settings.DEFAULT_CHARSET
        if (
            encoding != "utf-8"
            or self.attachments
            or not self.body
            or self.content_subtype != "plain"
            or len(self.alternatives) != 1
            or self.alternatives[0].mimetype != "text/html"
            or not isinstance(self.alternatives[0].content, str)
        ):
            return None
        html = self.alternatives[0].content
        text_part, html_part = _text_part(self.body, "plain"), _text_part(html, "html")
        root_boundary = _boundary(self.body, html)
        if text_part is None or html_part is None or root_boundary is None:
            return None
        if self.inline_images:
            boundary = _boundary(self.body, html)
            if boundary is None:
                return None
            pictures = [_picture_part(image).flattened(False, _WIRE, _WIRE.linesep) for image in self.inline_images]
            html_part = _multipart("related", boundary, [], [html_part, *pictures], encoding)
        return _multipart(self.alternative_subtype, root_boundary, self._headers(), [text_part, html_part], encoding)

    def _headers(self) -> list[tuple[str, object]]:
        """The headers EmailMessage.message() sets after MIME-Version, in its order."""
        extra = self.extra_headers
        headers = [("Subject", self.subject), ("From", extra.get("From", self.from_email))]
        for name, values in (("To", self.to), ("Cc", self.cc), ("Reply-To", self.reply_to)):
            if name in extra:
                headers.append((name, extra[name]))
            elif values:
                headers.append((name, ", ".join(str(v) for v in values)))
        names = {name.lower() for name in extra}
        if "date" not in names:
            headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
        if "message-id" not in names:
            headers.append(("Message-ID", make_msgid(domain=DNS_NAME)))
        set_above = {"from", "to", "cc", "reply-to"}
        return headers + [(name, value) for name, value in extra.items() if name.lower() not in set_above]


def _render(template, context: dict) -> str:
    # Numbers in an email are step numbers, minutes, pain scores and picture sizes (some
    # in HTML attributes): plain digits, never localised (a thousands separator in a
    # width would break it), which also saves a locale lookup for every number shown.
    autoescape = template.backend.engine.autoescape
    return template.template.render(Context(context, autoescape=autoescape, use_l10n=False))


# --- Many emails of one shape -------------------------------------------------------
#
# A morning's routine emails differ from one client to the next in a few words (the
# first name, the signed links) and are otherwise the same for every client with the
# same steps on the same day. A kind says which context entries are personal
# (EmailParts.personal); the rest, made of plain values only (text, numbers, dates,
# tuples, dataclasses of them: never a model instance), is the shape. Its templates are
# rendered once with a stand-in for each personal string and cut there; each email of
# the shape is then the pieces joined with its own strings, HTML-escaped wherever the
# template escaped the stand-in. The shape's key is its whole content, so an edited step
# or a renamed clinic is a new shape, never a stale one. Most routines are new shapes made
# of steps other routines have: a new shape's rendering reuses the blocks its templates
# render once per value ({% once_per step %}, outbox/templatetags/email_fragments.py).

# "<" and ">" show in the output whether the template escaped the place ("&lt;" in HTML)
# or not (text); the random part never occurs in real content.
_MARK = secrets.token_hex(8)
_STAND_IN = re.compile(f"\x1a(<|&lt;){_MARK}-(\\d+)(?:>|&gt;)\x1a")
_SHAPES: dict[tuple, list[list[Any]] | None] = {}
_MAX_SHAPES = 256
# (templates, personal names) seen to fill exactly as a full rendering: their new shapes render once.
_PLAIN_USE: set[tuple] = set()


@cache
def _fields(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type (None for any other type), looked up once a type."""
    return tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None


_PLAIN = frozenset({bool, float, Decimal, dt.date, dt.datetime, dt.time, bytes, type(None)})
_A_STRING = ("a string",)


@cache
def _field_values(kind: type) -> Callable[[Any], tuple] | None:
    """For a dataclass type, what gives an instance's field values as a tuple, in one call
    (the keys of a shape and its blocks read a hundred fields or so an email); None for any other type."""
    names = _fields(kind)
    if names is None:
        return None
    if len(names) > 1:
        return attrgetter(*names)
    # attrgetter of one name gives the value itself, not a tuple (and of none, nothing)
    return partial(_field_tuple, names)


def _field_tuple(names: tuple[str, ...], value: Any) -> tuple:
    return tuple(getattr(value, name) for name in names)


def _key(value: Any, strings: list[str] | None = None) -> Any:
    """A hashable key that is the value's whole content; TypeError for anything else.
    With `strings`, each string counts as a place only: it is appended there instead."""
    kind = type(value)
    if kind is str:
        if strings is None:
            return value
        strings.append(value)
        return _A_STRING
    if kind is int:
        return value
    if kind in _PLAIN:
        return (kind, value)  # typed: True, 1 and 1.0 are equal keys but render differently
    if kind is list or kind is tuple:
        items = value
        kind = tuple
    else:
        getter = _field_values(kind)
        if getter is None:
            if isinstance(value, str):  # a SafeString renders unescaped: its own key
                return (kind, str(value)) if strings is None else _key(str(value), strings)
            raise TypeError(f"{kind.__name__} in the shared context of an email: only plain values make a shape's key")
        items = getter(value)
    # Most items are text and whole numbers: placed here rather than by a call each.
    if strings is None:
        return (kind, *[item if type(item) is str or type(item) is int else _key(item) for item in items])
    key: list[Any] = [kind]
    for item in items:
        if type(item) is str:
            strings.append(item)
            key.append(_A_STRING)
        else:
            key.append(item if type(item) is int else _key(item, strings))
    return tuple(key)


def _with_stand_ins(value: Any, strings: list[str]) -> Any:
    """`value` with every string in it replaced by a stand-in; the strings appended to `strings`
    (in the order `_key` finds them)."""
    if isinstance(value, str):
        strings.append(value)
        return f"\x1a<{_MARK}-{len(strings) - 1}>\x1a"
    if isinstance(value, (list, tuple)):
        return tuple(_with_stand_ins(item, strings) for item in value)
    names = _fields(type(value))
    if names is not None:
        return dataclasses.replace(value, **{name: _with_stand_ins(getattr(value, name), strings) for name in names})
    return value  # a number or a date: the same for every email of the shape (in its key)


def _cut(text: str) -> list[Any]:
    """The text in pieces: literal strings and, where a stand-in was, (string number, escaped)."""
    parts = _STAND_IN.split(text)  # literal, then each stand-in's two groups and the literal after it
    pieces: list[Any] = [parts[0]]
    for opening, number, literal in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        pieces += [(int(number), opening != "<"), literal]
    return pieces


def _intact(shape: list[list[Any]], count: int) -> bool:
    """Every personal string has its place and no stand-in came out broken (a filter on it)."""
    found = {place[0] for pieces in shape for place in pieces[1::2]}
    literal = "".join("".join(pieces[::2]) for pieces in shape)  # `_cut` alternates literal and place
    return found == set(range(count)) and _MARK not in literal and "\x1a" not in literal


def _stand_ins(personal: dict, layout: tuple) -> dict:
    """The personal values with a stand-in for each string. They depend only on the values'
    layout (names, types, numbers; `_key` with the strings as places), the same for every
    email of a kind: made once, not for each new shape."""
    stand_ins = _STAND_INS.get(layout)
    if stand_ins is None:
        numbered: list[str] = []  # the same strings in the same order as `_key` finds them
        stand_ins = {name: _with_stand_ins(value, numbered) for name, value in personal.items()}
        if len(_STAND_INS) >= _MAX_SHAPES:
            _STAND_INS.clear()
        _STAND_INS[layout] = stand_ins
    return stand_ins


_STAND_INS: dict[tuple, dict] = {}


def _escaped(strings: list[str]) -> list[str]:
    # html.escape is what conditional_escape does to a plain string, without its wrappers.
    return [html.escape(s) if type(s) is str else conditional_escape(s) for s in strings]


def _fill(pieces: list[Any], strings: list[str], escaped: list[str]) -> str:
    return "".join([p if type(p) is str else (escaped if p[1] else strings)[p[0]] for p in pieces])


def _render_texts(kind: EmailKind, parts: EmailParts) -> list[str]:
    templates = [get_template(name) for name in kind.templates]
    personal = parts.personal
    if not personal:
        return [_render(template, parts.context) for template in templates]
    strings: list[str] = []
    key = (
        tuple(template.template for template in templates),
        _key(tuple(parts.context.items())),
        tuple(personal),
        _key(tuple(personal.values()), strings),
        parts.timezone,
        get_language(),
    )
    shape = _SHAPES.get(key, False)
    if shape is False:
        stand_ins = _stand_ins(personal, key[2:4])
        shape = [_cut(_render(template, {**parts.context, **stand_ins})) for template in templates]
        texts = None
        if key[:1] + key[2:3] not in _PLAIN_USE or not _intact(shape, len(strings)):
            # The kind's first shape (or one whose stand-ins did not come out whole): rendered
            # in full as well, and kept only if filling it gives the very same texts (a template
            # that filters a personal value never fills right). Once a kind's templates are seen
            # to use its personal values plainly, a new shape costs one rendering, not two.
            texts = [_render(template, {**parts.context, **personal}) for template in templates]
            if [_fill(pieces, strings, _escaped(strings)) for pieces in shape] != texts:
                logger.warning("email kind %s: a personal value is not used plainly, rendered in full", kind.slug)
                shape = None
            else:
                _PLAIN_USE.add(key[:1] + key[2:3])
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        _SHAPES[key] = shape
        if texts is not None:
            return texts
    if shape is None:
        return [_render(template, {**parts.context, **personal}) for template in templates]
    escaped = _escaped(strings)
    return [_fill(pieces, strings, escaped) for pieces in shape]


def render_email(kind: EmailKind, parts: EmailParts, *, to: str, clinic=None) -> ClinicEmail:
    """Subject, text and (for an HTML kind) HTML from the kind's template folder, sent as
    `clinic` (its name in From, its address in Reply-To) when one is given."""
    with timezone.override(ZoneInfo(parts.timezone)) if parts.timezone else nullcontext():
        subject, body, *html = _render_texts(kind, parts)
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
    return _sender(clinic.name if clinic else None, settings.DEFAULT_FROM_EMAIL)


@lru_cache(maxsize=256)
def _sender(clinic_name: str | None, from_email: str) -> str:
    name, email = parseaddr(from_email)
    return address(name if clinic_name is None else clinic_name, email)


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

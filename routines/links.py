"""Signed one-click links in routine emails.

A link carries only the delivery id, what it is for (done, pain, pause, stop) and, for
pain links, the score: never a name or an address, so a forwarded email or a proxy log
gives nothing away. The salt keeps these tokens apart from any other signed value the
site makes, and the purpose inside the signature means a "done" link can never stop
the emails. Links expire, so an old email lying in an inbox stops working.

A link also names its clinic, in a path segment of its own before the token
(`/r/<clinic>/<token>/`) and signed apart from it, as every client link does
(accounts/links.py, which also holds the exceptions).
"""

from __future__ import annotations

import binascii
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.crypto import salted_hmac

from accounts import links
from accounts.links import LinkExpired, LinkInvalid
from outbox.models import Delivery
from routines.models import CheckIn

SALT = "routines.checkin"
MAX_AGE = dt.timedelta(days=14)
# Its clinic segments (salted "routines.checkin.clinic") and its problem pages are every link's.
CHECKIN_LINK = links.LinkKind(salt=SALT, max_age=MAX_AGE)
# What a link can be for; a replaced pain answer is history, never a link.
KINDS = frozenset(CheckIn.Kind.values) - {CheckIn.Kind.PAIN_REPLACED}
PAIN_SCORES = range(11)


@dataclass(frozen=True)
class LinkPayload:
    delivery_id: int | None  # None: a preview link, which records nothing
    kind: str
    pain: int | None

    @property
    def is_preview(self) -> bool:
        return self.delivery_id is None


def _payload(delivery: Delivery | None, kind: str, pain: int | None) -> dict:
    if kind not in KINDS:
        raise ValueError(f"Unknown check-in kind {kind!r}")
    if (kind == CheckIn.Kind.PAIN) != (pain is not None):
        raise ValueError("A pain score goes with pain links, and only with them")
    if pain is not None and pain not in PAIN_SCORES:
        raise ValueError("Pain is scored 0 to 10")
    return {"d": delivery.pk if delivery else None, "k": kind, "p": pain}


def _signer() -> Callable[[dict], str]:
    """What `signing.TimestampSigner(salt=SALT).sign_object(payload)` gives for a `_payload()`
    (so `signing.loads` reads it), for the many links of one email: the HMAC key is derived once (salted_hmac's
    derivation, a hash of its own) and each link copies the keyed HMAC rather than deriving it
    again. Not compressed: zlib adds 6 bytes to a payload of about 30 that it cannot shorten,
    so signing would keep the plain payload anyway, after a zlib call per link (14 an email)."""
    signer = signing.TimestampSigner(salt=SALT)
    keyed = salted_hmac(signer.salt + "signer", b"", signer.key, algorithm=signer.algorithm)
    sep = signer.sep
    second: list = [None, ""]  # the timestamp (base 62) of the second it was last made for

    def sign(payload: dict) -> str:
        now = int(time.time())
        if second[0] != now:
            second[:] = [now, signing.b62_encode(now)]
        value = f"{_b64(_json(payload)).decode()}{sep}{second[1]}"
        mac = keyed.copy()
        mac.update(value.encode())
        return f"{value}{sep}{_b64(mac.digest()).decode()}"

    return sign


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> bytes:
    # signing.b64_encode (urlsafe_b64encode, "=" stripped) in one call rather than three.
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


def _json(payload: dict) -> bytes:
    """The JSON the signer's serializer writes (keys in order, no spaces) for a `_payload()`:
    whole numbers or null and a kind from KINDS, nothing to escape, so written directly."""
    delivery_id, pain = payload["d"], payload["p"]
    d = "null" if delivery_id is None else delivery_id
    p = "null" if pain is None else pain
    return f'{{"d":{d},"k":"{str.__str__(payload["k"])}","p":{p}}}'.encode()


def clinic_segment(clinic_id: int) -> str:
    return CHECKIN_LINK.clinic_segment(clinic_id)


def clinic_from_segment(segment: str) -> int | None:
    """The clinic id a link's clinic segment names, or None if it was changed."""
    return CHECKIN_LINK.clinic_from_segment(segment)


def make_token(delivery: Delivery | None, kind: str, pain: int | None = None) -> str:
    return _signer()(_payload(delivery, kind, pain))


def checkin_url(delivery: Delivery | None, kind: str, pain: int | None = None) -> str:
    """The absolute link for an email; `delivery=None` gives a preview link that records nothing."""
    return checkin_url_maker()(delivery, kind, pain)


def checkin_url_maker() -> Callable[..., str]:
    """`checkin_url` for many links: the URL pattern is reversed, the signer made and each
    clinic's segment signed once for as long as the site, the secret key and the URL
    configuration stay the same, not once per link or per email. Tokens are URL-safe
    (base64url, ':' and '.'), which `reverse` leaves as they are, so the link is the reversed
    path around the token. A preview link (no delivery) has no clinic segment: it records
    nothing anyway."""
    return _url_maker(settings.SITE_URL, settings.SECRET_KEY, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=4)
def _url_maker(site_url: str, secret_key: str, script_prefix: str, urlconf: str | None) -> Callable[..., str]:
    site = site_url.rstrip("/")
    prefix, _, suffix = (site + reverse("checkin:page", kwargs={"token": "TOKEN"})).rpartition("TOKEN")
    # From the right: the site's own name may hold anything, "CLINIC" included.
    head, _, _ = (site + reverse("checkin:page", kwargs={"clinic": "CLINIC", "token": "TOKEN"})).rpartition("TOKEN")
    clinic_prefix, _, between = head.rpartition("CLINIC")
    sign = _signer()
    segments: dict[int, str] = {}  # an HMAC per clinic, not per link

    def url(delivery: Delivery | None, kind: str, pain: int | None = None) -> str:
        token = sign(_payload(delivery, kind, pain))
        if delivery is None:
            return prefix + token + suffix
        segment = segments.get(delivery.clinic_id) or segments.setdefault(
            delivery.clinic_id, clinic_segment(delivery.clinic_id)
        )
        return clinic_prefix + segment + between + token + suffix

    return url


def read_checkin_token(token: str, max_age: dt.timedelta | float = MAX_AGE) -> LinkPayload:
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    # SignatureExpired is a BadSignature: it has to be caught first.
    except signing.SignatureExpired as error:
        raise LinkExpired(str(error)) from error
    except signing.BadSignature as error:
        raise LinkInvalid(str(error)) from error
    # A genuine signature over a shape we never issue is still not a link we honour.
    if not isinstance(data, dict) or data.get("k") not in KINDS:
        raise LinkInvalid("Unexpected payload")
    delivery_id, pain = data.get("d"), data.get("p")
    if delivery_id is not None and not isinstance(delivery_id, int):
        raise LinkInvalid("Unexpected delivery")
    if data["k"] == CheckIn.Kind.PAIN and pain not in PAIN_SCORES:
        raise LinkInvalid("Unexpected pain score")
    return LinkPayload(delivery_id=delivery_id, kind=data["k"], pain=pain if data["k"] == CheckIn.Kind.PAIN else None)

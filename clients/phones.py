"""Phone numbers, with the phonenumbers library (Google's libphonenumber metadata).

A client's number is stored in E.164 (+447700900123), whoever writes it and however it was
typed ("07700 900 123", "+44 (0)7700 900123", "0044 7700 900123"), so one number is one
string and search finds it whatever its spacing or +44/0 prefix. A number written without
its country code is read in the clinic's region, which comes from the clinic's time zone
(tzdata's zone.tab: Europe/London is GB). Text that is not a phone number at all is kept as
it was typed rather than lost (the intake form refuses it with a message; older rows may
hold it).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import phonenumbers

# Characters a typed phone number may hold besides digits.
PHONE_LIKE = re.compile(r"^[+\d\s().\-/]*\d[+\d\s().\-/]*$")
# Shorter than this, a search word is too short to mean a number.
MIN_SEARCH_DIGITS = 3


@cache
def _regions_by_timezone() -> dict[str, str]:
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


def region_for_timezone(timezone_name: str) -> str | None:
    """The country (ISO 3166 code) of a time zone, e.g. "GB" for Europe/London; None if it has none."""
    return _regions_by_timezone().get(timezone_name)


def _parsed(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    if not text or not PHONE_LIKE.match(text):
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def phone_e164(text: str, region: str | None) -> str | None:
    """`text` as an E.164 number, or None if it cannot be one (in `region` when it has no +code)."""
    number = _parsed(text.strip(), region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


def stored_phone(text: str, region: str | None) -> str:
    """What a phone field stores: E.164 when the text is a number, else the text as typed."""
    text = (text or "").strip()
    return phone_e164(text, region) or text


def phone_for_people(stored: str, region: str | None) -> str:
    """A stored number as people in `region` read it: 07700 900123 in the clinic's own
    country, +353 85 123 4567 from elsewhere; text that is not E.164 as it is."""
    number = _parsed(stored, None) if stored.startswith("+") else None
    if number is None:
        return stored
    home = region is not None and number.country_code == phonenumbers.country_code_for_region(region)
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def phone_search_digits(text: str, region: str | None) -> str | None:
    """The digits a stored E.164 number contains when `text` is (part of) it: the national
    number without the +44 or 0 prefix, or the typed digits if it does not parse; None for
    text that is not a number."""
    text = text.strip()
    if not PHONE_LIKE.match(text):
        return None
    number = _parsed(text, region)
    digits = str(number.national_number) if number else re.sub(r"\D", "", text)
    return digits if len(digits) >= MIN_SEARCH_DIGITS else None

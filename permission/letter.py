"""The letter to the client's GP (docs/domain.md, rule 16): one context, two renderings.

The printable page (letter.html, with a print stylesheet) and the plain-text download
(letter.txt) read the same context, so they say the same thing. What reflexology is, in
honest words: complementary, relaxing, no diagnosis and no cure (docs/domain.md, "Client
emails"); the conditions in each flag's `gp_wording`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import slugify

from accounts.localtime import local_today

from .models import PermissionRequest

ABOUT_REFLEXOLOGY = (
    "Reflexology is a complementary therapy. The practitioner applies gentle, steady pressure with the "
    "thumbs and fingers to points on the feet, hands or ears. Most people find it relaxing. It does not "
    "diagnose, treat or cure any illness, and it is not a substitute for medical care: we always encourage "
    "clients to keep seeing their doctor. A session lasts about an hour, and we can use lighter pressure or "
    "leave out any area you advise against."
)


@dataclass(frozen=True)
class Letter:
    request: PermissionRequest
    clinic: object
    client: object
    conditions: list[str]
    written_on: object
    signed_by: str
    about: str = ABOUT_REFLEXOLOGY

    @property
    def gp(self) -> str:
        """The GP as the letter names them: "Dr Amara Okafor" (typed with or without the title)."""
        name = self.request.gp_name.strip()
        if not name:
            return ""
        return name if name.lower().startswith("dr") else f"Dr {name}"

    @property
    def greeting(self) -> str:
        return f"Dear {self.gp or 'Doctor'}"

    @property
    def return_to(self) -> list[str]:
        """Where the reply slip goes back to: the clinic's address lines, email and phone."""
        lines = [self.clinic.name, *(line.strip() for line in self.clinic.address.splitlines() if line.strip())]
        lines += [value for value in (self.clinic.email, self.clinic.phone) if value]
        return lines

    @property
    def filename(self) -> str:
        return f"gp-letter-{slugify(self.client.full_name) or 'client'}-{self.request.pk}.txt"


def gp_letter(request: PermissionRequest, *, by=None) -> Letter:
    """The letter for `request`, signed by `by` (the practitioner printing it) or the client's practitioner."""
    client = request.client
    clinic = client.clinic
    signer = by or client.practitioner or request.requested_by
    name = (signer.get_full_name() or signer.get_username()) if signer is not None else ""
    return Letter(
        request=request,
        clinic=clinic,
        client=client,
        conditions=[spec.gp_wording for spec in request.flag_specs],
        written_on=local_today(clinic),
        signed_by=name,
    )

"""What the client reads and signs: the consent statements, in plain, warm words that never
promise a cure (docs/domain.md, Client emails). The statement a client ticked is kept
word for word in their consent record, so it is built here, once, for the page and the record."""

from __future__ import annotations

import datetime as dt

from accounts.models import Clinic


def treatment_statement(clinic: Clinic) -> str:
    return (
        f"I agree to receive reflexology from {clinic.name}. I understand that reflexology is a complementary "
        "practice for comfort and relaxation: it does not diagnose or cure any illness and does not replace "
        "my doctor's care. I can stop a session, or withdraw my consent, at any time. The answers I have given "
        "about my health are true as far as I know, and I will tell the clinic if anything changes."
    )


def email_statement(clinic: Clinic, at: dt.time) -> str:
    return (
        f"I would like {clinic.name} to email me my home routine, at {at:%H:%M} on the days it is due. "
        "I can stop these emails at any time, from a link in any of them."
    )

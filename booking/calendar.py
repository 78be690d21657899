"""Free time on the staff's day calendar (appointments/free_time.py asks for it).

The same computation as online booking (slots.py), without the client's booking notice:
the staff can book any free time from now on, however soon or far ahead, at the clinic's
step between start times.
"""

from __future__ import annotations

import datetime as dt

from .models import BookingSettings
from .slots import free_slots


def calendar_free_slots(clinic, treatment_type, *, practitioner=None, start: dt.date, days: int, now: dt.datetime):
    clinic_settings = BookingSettings.for_clinic(clinic)
    weeks_ahead = ((start - now.date()).days + days) // 7 + 2
    staff_view = BookingSettings(
        clinic=clinic,
        min_notice_hours=0,
        horizon_weeks=max(1, weeks_ahead),
        slot_step_minutes=clinic_settings.slot_step_minutes,
    )
    return free_slots(
        clinic, treatment_type, practitioner=practitioner, start=start, days=days, now=now, settings=staff_view
    )

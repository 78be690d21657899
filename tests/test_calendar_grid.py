"""The day calendar as a time grid (issue 12, section 5) and the light clinic calendars
(issue 13, Wanted 2): a column per practitioner, working hours shaded, time off blocked,
free slots that open the booking form filled in, one line per appointment on the busy
clinic's pages with the details loaded on a click.

The clinic's timezone is Europe/London; `day` is a Tuesday a week or two ahead."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import grid
from appointments.models import Appointment
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    TimeOffFactory,
    TreatmentSessionFactory,
    TreatmentTypeFactory,
    WorkingHoursFactory,
)

LONDON = ZoneInfo("Europe/London")


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def visit(practitioner, day, hour, minute=0, minutes=60, **kwargs) -> Appointment:
    kwargs.setdefault("client", ClientFactory(clinic=practitioner.clinic))
    start = local(day, hour, minute)
    return AppointmentFactory(
        clinic=practitioner.clinic,
        practitioner=practitioner,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        **kwargs,
    )


def works(practitioner, day, starts="09:00", ends="17:00"):
    return WorkingHoursFactory(
        clinic=practitioner.clinic,
        practitioner=practitioner,
        weekday=day.weekday(),
        starts=dt.time.fromisoformat(starts),
        ends=dt.time.fromisoformat(ends),
    )


def day_page(http, day, who="all") -> str:
    return http.get(reverse("appointments:day") + f"?date={day.isoformat()}&practitioner={who}").content.decode()


def free_links(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<li class="rc-free[^"]*"><a href="([^"]+)"', page)]


def column_heads(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip()
        for h in re.findall(r'<h2 class="rc-colhead[^>]*>(.*?)</h2>', page)
    ]


# --- placing things on the grid ----------------------------------------------------------


def test_a_block_starts_on_the_row_of_its_start_and_spans_its_length():
    column = grid.Column(person=None, items=[grid.Block("appointment", 9 * 60 + 30, 10 * 60 + 15)])

    laid = grid.lay_out([column])

    assert (laid.first_hour, laid.last_hour) == grid.DEFAULT_HOURS
    block = column.items[0]
    # Row 2 is 08:00; 09:30 is 18 five-minute rows later, and 45 minutes are 9 rows.
    assert (block.row, block.span, block.place) == (20, 9, "rc-r20 rc-span9")
    assert laid.hours[0] == ("08:00", 2)
    assert column.index == 2


def test_a_block_off_the_five_minute_lines_covers_every_row_it_touches():
    column = grid.Column(person=None, items=[grid.Block("appointment", 10 * 60 + 2, 10 * 60 + 31)])
    grid.lay_out([column])

    assert (column.items[0].row, column.items[0].span) == (26, 7)  # 10:00 to 10:35


def test_the_grid_widens_to_whole_hours_around_an_early_or_late_visit():
    column = grid.Column(person=None, items=[grid.Block("appointment", 6 * 60 + 45, 7 * 60 + 30)])
    column.shading.append(grid.Block("work", 18 * 60, 20 * 60 + 10))

    laid = grid.lay_out([column])

    assert (laid.first_hour, laid.last_hour) == (6, 21)
    assert column.items[0].row == 2 + 9


def test_free_slot_starts_a_step_apart_become_back_to_back_slots():
    class Slot:
        def __init__(self, hhmm):
            self.starts_at = dt.datetime.combine(dt.date(2026, 3, 3), dt.time.fromisoformat(hhmm))

    starts = [Slot(t) for t in ("09:00", "09:30", "10:00", "10:30", "13:30", "14:00")]

    chosen = grid.free_runs(starts, 60)

    assert [s.starts_at.strftime("%H:%M") for s in chosen] == ["09:00", "10:00", "13:30"]


def test_the_placement_stylesheet_is_the_one_the_code_writes():
    css = Path(__file__).resolve().parent.parent / "appointments/static/appointments/grid.css"
    assert css.read_text() == grid.grid_css(), "regenerate: python -m appointments.grid > " + str(css)


# --- the day page ------------------------------------------------------------------------


def test_the_owner_sees_a_column_for_everyone_with_their_own_first(owner_client, owner, practitioner, clinic, day):
    visit(practitioner, day, 10, client=ClientFactory(clinic=clinic, first_name="Mina", last_name="Moss"))

    page = day_page(owner_client, day)

    assert column_heads(page) == ["Olivia Owner 0", "Priya Practitioner 1"]
    assert "rc-cols-2" in page
    assert re.search(
        r'<li class="rc-appt rc-st-booked rc-c3 rc-r26 rc-span12"><a href="/appointments/\d+/">10:00 Mina Moss</a>',
        page,
    )


def test_a_practitioner_sees_only_their_column_or_theirs_first_in_the_clinic(
    practitioner_client, practitioner, owner, clinic, day
):
    visit(owner, day, 11, client=ClientFactory(clinic=clinic, first_name="Theirs"))

    mine = day_page(practitioner_client, day, who=practitioner.pk)
    everyone = day_page(practitioner_client, day)

    assert column_heads(mine) == ["Priya Practitioner 0"]
    assert "Theirs" not in mine
    assert column_heads(everyone) == ["Priya Practitioner 0", "Olivia Owner 1"]
    assert "Theirs" in everyone


def test_working_hours_are_shaded_and_time_off_is_blocked(owner_client, owner, practitioner, day):
    works(practitioner, day, "09:00", "12:30")
    works(practitioner, day, "13:30", "17:00")
    TimeOffFactory(
        clinic=practitioner.clinic,
        practitioner=practitioner,
        starts_at=local(day, 15),
        ends_at=local(day, 17),
        reason="Dentist",
    )

    page = day_page(owner_client, day)

    # Priya is the second column (grid column 3): 09:00 is row 14, 3½ hours are 42 rows.
    assert '<div class="rc-work rc-c3 rc-r14 rc-span42"></div>' in page
    assert '<div class="rc-work rc-c3 rc-r68 rc-span42"></div>' in page
    assert '<div class="rc-off rc-c3 rc-r86 rc-span24">Time off: Dentist</div>' in page
    assert "rc-work rc-c2" not in page  # the owner set no hours for Tuesdays


def test_free_slots_fill_the_working_hours_around_visits_and_time_off(owner_client, owner, practitioner, clinic, day):
    TreatmentTypeFactory(clinic=clinic, name="Long", duration_minutes=90)
    shortest = TreatmentTypeFactory(clinic=clinic, name="Reflexology", duration_minutes=60)
    works(practitioner, day, "09:00", "14:00")
    visit(practitioner, day, 10)
    TimeOffFactory(clinic=clinic, practitioner=practitioner, starts_at=local(day, 12), ends_at=local(day, 13))

    links = free_links(day_page(owner_client, day))

    book = reverse("appointments:book")
    assert links == [
        f"{book}?practitioner={practitioner.pk}&start={day.isoformat()}T{hhmm}&type={shortest.pk}&duration=60"
        for hhmm in ("09:00", "11:00", "13:00")
    ]


def test_the_free_time_after_a_treatment_booked_at_the_desk_is_kept_free(
    practitioner_client, practitioner, clinic, day
):
    """docs/domain.md, "The desk": the buffer after a treatment is kept as online booking keeps it."""
    foot = TreatmentTypeFactory(clinic=clinic, name="Foot", duration_minutes=60, buffer_after_minutes=30)
    works(practitioner, day, "10:00", "14:00")
    jane = ClientFactory(clinic=clinic)
    practitioner_client.post(
        reverse("appointments:book"),
        {
            "client": jane.pk,
            "practitioner": practitioner.pk,
            "treatment_type": foot.pk,
            "date": day.isoformat(),
            "start_time": "10:00",
            "duration": "",
        },
    )

    links = free_links(day_page(practitioner_client, day))

    assert Appointment.objects.get().treatment_type == foot
    # 10:00 to 11:00, then half an hour kept free: the first free time is 11:30, not 11:00.
    assert re.search(r"T(\d\d:\d\d)", links[0]).group(1) == "11:30"


def test_a_free_slot_opens_the_booking_form_with_who_when_and_how_long(owner_client, owner, practitioner, clinic, day):
    treatment = TreatmentTypeFactory(clinic=clinic, duration_minutes=45)
    works(practitioner, day, "14:00", "15:00")
    (link,) = free_links(day_page(owner_client, day))

    form = owner_client.get(link).context["form"]

    assert form.initial["practitioner"] == practitioner.pk
    assert form.initial["date"] == day
    assert form.initial["start_time"] == dt.time(14, 0)
    assert form.initial["treatment_type"] == treatment.pk
    assert form.initial["duration"] == 45


def test_no_free_slots_in_the_past_nor_without_a_treatment_type(owner_client, practitioner, clinic, day):
    works(practitioner, day)
    assert free_links(day_page(owner_client, day)) == []  # no treatment type yet

    TreatmentTypeFactory(clinic=clinic)
    works(practitioner, day - dt.timedelta(days=14))
    assert free_links(day_page(owner_client, day - dt.timedelta(days=14))) == []
    assert len(free_links(day_page(owner_client, day))) == 8


def test_the_practitioners_own_day_keeps_flags_and_quick_actions_on_the_grid(
    practitioner_client, practitioner, clinic, day
):
    jane = ClientFactory(clinic=clinic, first_name="Jane", last_name="Doe")
    ClientHealthFlagFactory(client=jane, flag="feet_injured")
    appointment = visit(practitioner, day, 10, client=jane)

    page = day_page(practitioner_client, day, who=practitioner.pk)

    assert "rc-rich" in page
    assert "Feet injured or infected" in page
    assert reverse("sessions:record", kwargs={"appointment_id": appointment.pk}) in page
    assert reverse("appointments:mark", kwargs={"pk": appointment.pk}) in page


def test_the_clinic_day_shows_one_line_per_visit_and_a_mark_for_health_flags(owner_client, practitioner, clinic, day):
    jane = ClientFactory(clinic=clinic, first_name="Jane", last_name="Doe")
    ClientHealthFlagFactory(client=jane, flag="serious_back_injury")
    appointment = visit(practitioner, day, 10, client=jane)
    visit(
        practitioner, day, 12, status=Appointment.Status.ATTENDED, client=ClientFactory(clinic=clinic, first_name="Al")
    )

    page = day_page(owner_client, day)

    line = re.search(r'<li class="rc-appt[^"]*"><a href="([^"]+)">10:00 Jane Doe</a>(.*?)</li>', page)
    assert line.group(1) == reverse("appointments:detail", kwargs={"pk": appointment.pk})
    assert "health flags" in line.group(2)
    assert "Serious back injury" not in page  # the detail is one click away
    assert reverse("appointments:mark", kwargs={"pk": appointment.pk}) not in page
    assert re.search(r"12:00 Al [^<]*</a> ✓</li>", page)


def test_a_cancelled_visit_is_listed_under_the_grid_not_on_it(owner_client, practitioner, clinic, day):
    visit(
        practitioner, day, 10, status=Appointment.Status.CANCELLED, client=ClientFactory(clinic=clinic, first_name="Cy")
    )

    page = day_page(owner_client, day)

    assert "Cancelled" in page
    assert re.search(r'rc-cancelled"><a href="[^"]+">10:00 Cy ', page)
    assert "rc-appt" not in page


def test_the_card_shows_the_details_and_actions_and_returns_to_the_calendar(owner_client, practitioner, clinic, day):
    jane = ClientFactory(clinic=clinic, first_name="Jane", last_name="Doe")
    ClientHealthFlagFactory(client=jane, flag="serious_back_injury")
    appointment = visit(practitioner, day, 10, client=jane, notes="Prefers a light touch")
    back = reverse("appointments:day") + f"?date={day.isoformat()}&practitioner=all"

    response = owner_client.get(reverse("appointments:card", kwargs={"pk": appointment.pk}), {"next": back})

    card = response.content.decode()
    assert "<html" not in card
    for text in (
        "Jane Doe",
        "10:00",
        "Priya Practitioner",
        "Serious back injury",
        "Prefers a light touch",
        "Record session",
    ):
        assert text in card
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in card


def test_the_calendar_card_offers_no_show_only_once_the_appointment_has_started(
    owner_client, practitioner, clinic, day
):
    """docs/domain.md, "The desk": nobody has failed to come to a visit whose time has not come."""
    coming = visit(practitioner, day, 10, client=ClientFactory(clinic=clinic, first_name="Cora"))
    start = timezone.now() - dt.timedelta(minutes=10)
    begun = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )

    before = owner_client.get(reverse("appointments:card", kwargs={"pk": coming.pk})).content.decode()
    after = owner_client.get(reverse("appointments:card", kwargs={"pk": begun.pk})).content.decode()

    assert ">Attended</button>" in before and ">No-show</button>" not in before
    assert ">Attended</button>" in after and ">No-show</button>" in after


def test_the_card_never_returns_off_site(owner_client, practitioner, day):
    appointment = visit(practitioner, day, 10)

    card = owner_client.get(reverse("appointments:card", kwargs={"pk": appointment.pk}), {"next": "//evil.example/"})

    assert "evil.example" not in card.content.decode()


def test_another_clinics_card_is_a_404_and_their_staff_never_get_a_column(other_client, practitioner, day):
    appointment = visit(practitioner, day, 10)

    assert other_client.get(reverse("appointments:card", kwargs={"pk": appointment.pk})).status_code == 404
    page = day_page(other_client, day)
    assert column_heads(page) == ["Oscar Outsider 0"]
    assert "Priya" not in page


# --- the week ----------------------------------------------------------------------------


def test_the_week_shows_one_line_per_visit_with_whom_and_marks_today(owner_client, practitioner, clinic, day):
    visit(practitioner, day, 9, 30, client=ClientFactory(clinic=clinic, first_name="Jane", last_name="Doe"))
    today = dt.date.today()

    page = owner_client.get(reverse("appointments:week") + f"?date={day.isoformat()}&practitioner=all").content.decode()
    this_week = owner_client.get(reverse("appointments:week")).content.decode()

    assert re.search(
        r'<li class="rc-st-booked"><a href="/appointments/\d+/">09:30 Jane Doe</a> <small>Priya</small></li>', page
    )
    assert 'badge text-bg-primary">Today' not in page
    assert f'id="day-{today:%Y%m%d}"' in this_week
    assert 'badge text-bg-primary">Today' in this_week


# --- queries -----------------------------------------------------------------------------


def _busy(clinic, people, day, count):
    TreatmentTypeFactory(clinic=clinic, duration_minutes=30)
    for person in people:
        works(person, day, "07:00", "20:00")
        TimeOffFactory(clinic=clinic, practitioner=person, starts_at=local(day, 19), ends_at=local(day, 20))
    for n in range(count):
        who = people[n % len(people)]
        start = local(day, 7) + dt.timedelta(minutes=30 * (n // len(people)))
        appointment = visit(who, day, start.hour, start.minute, minutes=30)
        if n % 3 == 0:
            ClientHealthFlagFactory(client=appointment.client, flag="pregnancy")
        if n % 4 == 0:
            TreatmentSessionFactory(clinic=clinic, client=appointment.client, practitioner=who, appointment=appointment)


# session, user, clinic, staff, appointments (with client, practitioner, session id and a
# flag mark); then working hours, time off, the treatment type, and free slots' own five
# (booking settings, working hours, time off, appointments, holds).
CLINIC_DAY_QUERIES = 13
# The same with every client's flags and GP permission requests (the practitioner's own day
# shows them on the grid, with the clearance badge).
OWN_DAY_QUERIES = 15
# session, user, clinic, staff, appointments with a flag mark.
WEEK_QUERIES = 5


@pytest.mark.parametrize("count", [2, 20])
def test_the_calendars_take_the_same_queries_however_busy(
    owner_client, owner, practitioner, clinic, day, django_assert_num_queries, count
):
    _busy(clinic, [practitioner, owner], day, count)
    url = f"?date={day.isoformat()}"

    with django_assert_num_queries(CLINIC_DAY_QUERIES):
        page = owner_client.get(reverse("appointments:day") + url).content.decode()
    with django_assert_num_queries(OWN_DAY_QUERIES):
        owner_client.get(reverse("appointments:day") + url + f"&practitioner={practitioner.pk}")
    with django_assert_num_queries(WEEK_QUERIES):
        week = owner_client.get(reverse("appointments:week") + url).content.decode()
    with django_assert_num_queries(WEEK_QUERIES):
        owner_client.get(reverse("appointments:week") + url + f"&practitioner={practitioner.pk}")

    assert page.count('<li class="rc-appt') == count
    assert week.count('<li class="rc-st-') == count
    assert free_links(page)

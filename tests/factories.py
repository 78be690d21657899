"""factory_boy factories for every model. Tests build data through these."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from django.utils.timezone import now

from accounts.models import Clinic, User
from appointments.models import Appointment, Course, TimeOff, TreatmentType, WorkingHours
from booking.models import HOLD_MINUTES, BookingHold, BookingSettings
from clients.models import Client, ClientHealthFlag
from intake.models import IntakeLink, IntakeSubmission
from outbox.models import Delivery
from routines.models import Routine, RoutineStep
from sessions import rollups
from sessions.models import PressureNote, ReflexZone, SessionAmendment, TreatmentSession


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    clinic = factory.SubFactory(ClinicFactory)
    role = User.Role.PRACTITIONER
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OwnerFactory(UserFactory):
    role = User.Role.OWNER


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda c: f"{c.first_name}.{c.last_name}@example.org".lower())
    timezone = "Europe/London"
    consent_treatment = True
    consent_treatment_at = factory.LazyFunction(now)
    consent_email = True
    consent_email_at = factory.LazyFunction(now)


class ClientHealthFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientHealthFlag

    client = factory.SubFactory(ClientFactory)
    flag = "feet_injured"


def _next_hour():
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    return now + dt.timedelta(hours=1)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    clinic = factory.SubFactory(ClinicFactory)
    client = factory.SubFactory(ClientFactory, clinic=factory.SelfAttribute("..clinic"))
    practitioner = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..clinic"))
    starts_at = factory.LazyFunction(_next_hour)
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + dt.timedelta(minutes=60))
    status = Appointment.Status.BOOKED


class TreatmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentType

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Reflexology {n}")
    duration_minutes = 60


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    clinic = factory.SubFactory(ClinicFactory)
    practitioner = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..clinic"))
    weekday = 0
    starts = dt.time(9)
    ends = dt.time(17)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    clinic = factory.SubFactory(ClinicFactory)
    practitioner = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..clinic"))
    starts_at = factory.LazyFunction(_next_hour)
    ends_at = factory.LazyAttribute(lambda t: t.starts_at + dt.timedelta(hours=4))
    reason = "Holiday"


class BookingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingSettings
        django_get_or_create = ("clinic",)

    clinic = factory.SubFactory(ClinicFactory)
    online = True
    min_notice_hours = 0


class BookingHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingHold

    clinic = factory.SubFactory(ClinicFactory)
    practitioner = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..clinic"))
    treatment_type = factory.SubFactory(TreatmentTypeFactory, clinic=factory.SelfAttribute("..clinic"))
    starts_at = factory.LazyFunction(_next_hour)
    ends_at = factory.LazyAttribute(lambda h: h.starts_at + dt.timedelta(minutes=h.treatment_type.duration_minutes))
    first_name = "Ada"
    last_name = "Client"
    email = "ada@example.org"
    phone = "07700 900123"
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=HOLD_MINUTES))


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    clinic = factory.SubFactory(ClinicFactory)
    client = factory.SubFactory(ClientFactory, clinic=factory.SelfAttribute("..clinic"))
    practitioner = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..clinic"))
    planned_sessions = 6
    interval_days = 7


class ReflexZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReflexZone
        django_get_or_create = ("clinic", "code")

    clinic = factory.SubFactory(ClinicFactory)
    code = factory.Sequence(lambda n: f"zone-{n}")
    name = factory.Sequence(lambda n: f"Zone {n}")
    reflex_map = "foot_sole"
    body_area = "spine"
    x = 50
    y = 50


class TreatmentSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentSession

    clinic = factory.SubFactory(ClinicFactory)
    client = factory.SubFactory(ClientFactory, clinic=factory.SelfAttribute("..clinic"))
    practitioner = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..clinic"))
    started_at = factory.LazyFunction(now)
    pain_before = 6
    pain_after = 3
    focus = "Lower back"


class SignedSessionFactory(TreatmentSessionFactory):
    """A session signed when it was held: what reports and pain charts count (a draft is not)."""

    class Meta:
        skip_postgeneration_save = True

    signed_at = factory.LazyAttribute(lambda s: s.started_at)
    signed_by = factory.SelfAttribute("practitioner")

    @factory.post_generation
    def report_copies(obj, create, extracted, **kwargs):
        # What signing does (sessions.services.treatment_session_sign): the reports' copies follow.
        if create:
            rollups.session_changed(obj)


class PressureNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PressureNote
        skip_postgeneration_save = True

    session = factory.SubFactory(TreatmentSessionFactory)
    zone = factory.SubFactory(ReflexZoneFactory, clinic=factory.SelfAttribute("..session.clinic"))
    side = "right"
    pressure = 3
    response = "none"
    minutes = 2

    @factory.post_generation
    def report_copies(obj, create, extracted, **kwargs):
        # A note added to a signed session stands for an amendment: the reports' copies follow.
        if create and obj.session.signed_at is not None:
            rollups.session_changed(obj.session)


class SessionAmendmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionAmendment

    session = factory.SubFactory(TreatmentSessionFactory)
    by = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..session.clinic"))
    reason = "Corrected pain score"
    before = factory.LazyFunction(dict)
    after = factory.LazyFunction(dict)


class RoutineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Routine

    clinic = factory.SubFactory(ClinicFactory)
    client = factory.SubFactory(ClientFactory, clinic=factory.SelfAttribute("..clinic"))
    created_by = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..clinic"))
    status = Routine.Status.ACTIVE
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    assigned_at = factory.LazyFunction(now)


class RoutineStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutineStep

    routine = factory.SubFactory(RoutineFactory)
    position = factory.Sequence(lambda n: n)
    kind = "reflex"
    title = factory.Sequence(lambda n: f"Step {n}")
    instruction = "Walk your thumb slowly along the zone."
    minutes = 2


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    routine = factory.SubFactory(RoutineFactory)
    clinic = factory.SelfAttribute("routine.clinic")
    client = factory.SelfAttribute("routine.client")
    to_email = factory.SelfAttribute("client.email")
    to_name = factory.SelfAttribute("client.full_name")
    kind = Delivery.Kind.ROUTINE
    local_date = factory.LazyFunction(timezone.localdate)
    status = Delivery.Status.SENT


class IntakeLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntakeLink

    client = factory.SubFactory(ClientFactory)
    clinic = factory.SelfAttribute("client.clinic")


class IntakeSubmissionFactory(factory.django.DjangoModelFactory):
    """What a client sent through a link, waiting for review (answers as intake/review.py keeps them)."""

    class Meta:
        model = IntakeSubmission

    link = factory.SubFactory(IntakeLinkFactory, used_at=factory.LazyFunction(now))
    client = factory.SelfAttribute("link.client")
    clinic = factory.SelfAttribute("link.clinic")
    submitted_at = factory.LazyFunction(now)
    answers = factory.LazyFunction(lambda: {"gp_name": "Dr Ama Mensah", "flags": ["pregnancy"]})

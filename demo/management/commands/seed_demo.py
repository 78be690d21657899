"""`python manage.py seed_demo`: a believable clinic to click through.

Idempotent: a clinic whose slug already exists is left alone, so running it twice
changes nothing. Deterministic: one fixed random seed, every time relative to now
(today's appointments land today, history lies in the last ten weeks).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.localtime import local_now, local_to_utc, local_today, local_zone
from accounts.models import Clinic, User
from appointments.models import Appointment, Course, TreatmentType, WorkingHours
from booking.models import BookingSettings
from clients.models import Client, ClientHealthFlag, ConsentKind, ConsentSource, HealthFlag, flag_spec
from clients.services import consent_record
from demo.data import (
    CANCEL_REASONS,
    DEMO,
    DEMO_PASSWORD,
    FOCUS_KEYWORDS,
    HARBOUR,
    SEED,
    SESSION_NOTES,
    START_HOURS,
    TREATMENTS,
    WORKING_HOURS,
    ClientSpec,
    ClinicSpec,
    StaffSpec,
)
from outbox.models import Delivery
from routines.models import CheckIn, Routine
from routines.proposal import RoutineNotProposable, routine_propose
from routines.services import RoutineCannotBeAssigned, routine_assign
from sessions import rollups
from sessions.catalogue import install_standard_zones
from sessions.models import FOOT_MAPS, HAND_MAPS, PressureNote, ReflexZone, Response, TreatmentSession
from sessions.reflex_maps import MAP_SPECS, MapGroup


class Command(BaseCommand):
    help = "Load the demo clinics (Demo Reflexology and Harbour Reflexology). Safe to run again: nothing changes."

    def handle(self, *args, **options):
        created = []
        for spec in (DEMO, HARBOUR):
            if Clinic.objects.filter(slug=spec.slug).exists():
                continue
            ClinicSeeder(spec, random.Random(f"{SEED}-{spec.slug}"), timezone.now()).seed()
            created.append(spec.name)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created demo data: {', '.join(created)}."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(
            f"\n  ReflexClinic: {settings.SITE_URL.rstrip('/')}/\n"
            f"  Logins: owner / {DEMO_PASSWORD} (clinic owner), demo / {DEMO_PASSWORD} (practitioner)\n"
        )
        if not settings.DEBUG:
            self.stdout.write(self.style.WARNING("  DEBUG is off, so the demo logins are refused."))


class ClinicSeeder:
    def __init__(self, spec: ClinicSpec, rng: random.Random, now: dt.datetime):
        self.spec = spec
        self.rng = rng
        self.now = now
        self.tz = local_zone(spec.timezone)
        self.today = local_today(spec.timezone, now)
        self.taken: set[tuple[int, dt.date, int]] = set()

    @transaction.atomic
    def seed(self) -> Clinic:
        spec = self.spec
        self.clinic = Clinic.objects.create(
            slug=spec.slug,
            name=spec.name,
            timezone=spec.timezone,
            email=spec.email,
            phone=spec.phone,
            address=spec.address,
        )
        # A post_save signal installs the catalogue too; calling it here keeps the seed
        # correct even where the signal is disconnected.
        install_standard_zones(self.clinic)
        self.zones = list(ReflexZone.objects.filter(clinic=self.clinic, is_active=True))
        self.staff = {s.username: self._staff(s) for s in spec.staff}
        self.owner = next(u for u in self.staff.values() if u.is_owner)
        for number, client_spec in enumerate(spec.clients):
            self._client(number, client_spec)
        self._routine_history()
        self._routines()
        self._online_booking()
        # The sessions and notes above went in directly: the reports' copies of them too.
        rollups.clinic_rebuilt(self.clinic)
        return self.clinic

    def _online_booking(self) -> None:
        """Treatments and everyone's working hours, so the booking page has free times to offer."""
        for order, t in enumerate(TREATMENTS):
            TreatmentType.objects.create(
                clinic=self.clinic,
                name=t.name,
                duration_minutes=t.minutes,
                buffer_after_minutes=t.buffer_after,
                order=order,
            )
        WorkingHours.objects.bulk_create(
            WorkingHours(clinic=self.clinic, practitioner=member, weekday=weekday, starts=starts, ends=ends)
            for member in self.staff.values()
            for weekday, starts, ends in WORKING_HOURS
        )
        BookingSettings.objects.create(clinic=self.clinic, online=self.spec.online_booking)

    def _routine_history(self) -> None:
        """Past home routines between each consenting client's signed sessions, with the
        emails sent on each day and the client's answers, so the reports show adherence
        and at-home pain. Each client keeps one habit (most days, about half, rarely or
        never), as real clients do. These routines are over: dispatch never sends them."""
        deliveries: list[Delivery] = []
        answers: list[tuple[int, str, int | None]] = []  # (index in deliveries, kind, pain)
        clients = Client.objects.filter(clinic=self.clinic, consent_email=True).exclude(email="")
        for client in clients.order_by("pk"):
            habit = self.rng.choice((0.9, 0.9, 0.6, 0.3, 0.0))
            signed = list(client.treatment_sessions.filter(signed_at__isnull=False).order_by("started_at"))
            for session, following in itertools.pairwise(signed):
                first_day = session.started_at.astimezone(self.tz).date() + dt.timedelta(days=1)
                last_day = following.started_at.astimezone(self.tz).date() - dt.timedelta(days=1)
                if last_day < first_day or last_day >= self.today:
                    continue
                try:
                    routine = routine_propose(session=session, by=session.practitioner, now=session.started_at)
                except RoutineNotProposable:
                    continue
                Routine.objects.filter(pk=routine.pk).update(
                    status=Routine.Status.ENDED,
                    starts_on=first_day,
                    ends_on=last_day,
                    assigned_at=session.started_at + dt.timedelta(hours=1),
                    stopped_at=following.started_at,
                    stop_reason="Next session recorded",
                )
                pain_from, pain_to = session.pain_after or 0, following.pain_before or 0
                days = (last_day - first_day).days + 1
                for offset in range(days):
                    day = first_day + dt.timedelta(days=offset)
                    sent_at = local_to_utc(day, client.routine_time, local_zone(client))
                    failed = self.rng.random() < 0.02
                    deliveries.append(
                        Delivery(
                            clinic=self.clinic,
                            client=client,
                            **client.as_recipient,
                            kind=Delivery.Kind.ROUTINE,
                            routine=routine,
                            local_date=day,
                            status=Delivery.Status.FAILED if failed else Delivery.Status.SENT,
                            attempts=1,
                            sent_at=None if failed else sent_at,
                            last_error="550 Mailbox unavailable" if failed else "",
                        )
                    )
                    if failed:
                        continue
                    if self.rng.random() < habit:
                        answers.append((len(deliveries) - 1, CheckIn.Kind.DONE, None))
                    if offset % 3 == 1 and habit > 0:
                        pain = round(pain_from + (pain_to - pain_from) * offset / days + self.rng.uniform(-1, 1))
                        answers.append((len(deliveries) - 1, CheckIn.Kind.PAIN, max(0, min(10, pain))))
        Delivery.objects.bulk_create(deliveries)
        CheckIn.objects.bulk_create(
            CheckIn(
                clinic=self.clinic,
                client=deliveries[index].client,
                delivery=deliveries[index],
                kind=kind,
                pain=pain,
                local_date=deliveries[index].local_date,
            )
            for index, kind, pain in answers
        )

    def _routines(self) -> None:
        """Home routines from each consenting client's latest signed session, as a
        practitioner would assign them. The first one is due at the time of seeding, so
        `make run` shows a routine email in var/mail/ on the first beat tick."""
        clients = Client.objects.filter(clinic=self.clinic, consent_email=True).exclude(email="")
        due_now = True  # the first client who gets a routine, not the first client (who may get none)
        for client in clients.order_by("pk"):
            # From the latest signed session: today's finished visit waits unsigned, so the number of
            # routines (README) does not depend on the hour the demo is loaded.
            latest = client.treatment_sessions.filter(signed_at__isnull=False).order_by("-started_at").first()
            if latest is None:
                continue
            client_now = local_now(client, self.now)
            if due_now:
                due_now = False
                client.routine_time = client_now.time().replace(second=0, microsecond=0)
                client.save(update_fields=["routine_time"])
            try:
                routine = routine_propose(session=latest, by=latest.practitioner, now=self.now)
                routine.starts_on = client_now.date()
                routine.save(update_fields=["starts_on"])
                routine_assign(routine=routine, by=latest.practitioner, now=self.now)
            except (RoutineNotProposable, RoutineCannotBeAssigned):
                continue

    def _staff(self, s: StaffSpec) -> User:
        if User.objects.filter(username=s.username).exists():
            raise CommandError(f"A user named {s.username!r} already exists outside the demo clinics; rename it first.")
        user = User(
            clinic=self.clinic,
            username=s.username,
            first_name=s.first_name,
            last_name=s.last_name,
            email=f"{s.first_name.lower()}@{self.spec.slug}-reflexology.example.com",
            role=s.role,
            is_demo=s.demo_login,
        )
        if s.demo_login:
            user.set_password(DEMO_PASSWORD)
        else:
            # A random unusable password: these people exist to be seen, not to log in as.
            user.set_unusable_password()
        user.save()
        return user

    def _at(self, day: dt.date, hour: int) -> dt.datetime:
        return local_to_utc(day, dt.time(hour), self.tz)

    def _slot(self, practitioner: User, day: dt.date, hour: int) -> dt.datetime:
        """The first free hour for the practitioner on `day` (or the next working day):
        demo appointments never overlap, which PostgreSQL would refuse anyway."""
        while True:
            if day.weekday() == 6 and day != self.today:  # closed on Sundays, but keep Today populated
                day += dt.timedelta(days=1)
                continue
            for h in sorted(START_HOURS, key=lambda h: (abs(h - hour), h)):
                if (practitioner.pk, day, h) not in self.taken:
                    self.taken.add((practitioner.pk, day, h))
                    return self._at(day, h)
            day += dt.timedelta(days=1)

    def _client(self, number: int, s: ClientSpec) -> Client:
        rng = self.rng
        practitioner = self.staff[s.practitioner]
        anchor = self.today + dt.timedelta(days=s.next_in_days if s.next_in_days is not None else 0)
        if s.next_in_days is None:
            anchor -= dt.timedelta(days=rng.randint(3, 9))
        visit_days = [anchor - dt.timedelta(days=s.interval_days * k) for k in range(s.past_visits, 0, -1)]
        if s.next_in_days is not None:
            visit_days.append(anchor)
            if s.next_in_days + s.interval_days <= 13:
                visit_days.append(anchor + dt.timedelta(days=s.interval_days))
        starts = [self._slot(practitioner, day, s.hour) for day in visit_days]
        first_seen = (starts[0] if starts else self.now) - dt.timedelta(days=rng.randint(1, 6))

        client = Client.objects.create(
            clinic=self.clinic,
            first_name=s.first_name,
            last_name=s.last_name,
            email=f"{s.first_name}.{s.last_name}@example.org".lower().replace("'", ""),
            phone=f"07700 900{100 + number * 37 % 900:03d}",
            date_of_birth=dt.date(rng.randint(1952, 1996), rng.randint(1, 12), rng.randint(1, 28)),
            timezone=s.timezone,
            routine_time=s.routine_time,
            prefers_hands=s.prefers_hands,
            practitioner=practitioner,
            medical_notes=s.medical_notes,
            physician_clearance=s.clearance,
            physician_clearance_date=(first_seen - dt.timedelta(days=10)).date() if s.clearance else None,
        )
        Client.objects.filter(pk=client.pk).update(created_at=first_seen)
        # Consents as the intake records them: a history row each, the client's fields in step.
        for kind, given in ((ConsentKind.TREATMENT, True), (ConsentKind.ROUTINE_EMAILS, s.consent_email)):
            if given:
                consent_record(
                    client=client, kind=kind, given=True, source=ConsentSource.INTAKE, by=practitioner, at=first_seen
                )
        for flag in s.flags:
            ClientHealthFlag.objects.create(client=client, flag=flag)

        course = None
        if s.on_course:
            course = Course.objects.create(
                clinic=self.clinic,
                client=client,
                practitioner=practitioner,
                planned_sessions=max(6, len(starts)),
                interval_days=s.interval_days,
            )
        attended = 0
        booked_at = first_seen
        for start in starts:
            appointment = self._appointment(client, practitioner, course, start)
            # A course is booked in one go; otherwise the next visit is booked at the end of this one.
            Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
            if course is None:
                booked_at = min(appointment.ends_at, self.now)
            if appointment.status == Appointment.Status.ATTENDED:
                attended += 1
                self._session(s, client, appointment, attended)
        return client

    def _appointment(self, client: Client, practitioner: User, course, start: dt.datetime) -> Appointment:
        end = start + dt.timedelta(minutes=60)
        status, reason = Appointment.Status.BOOKED, ""
        if end <= self.now:
            roll = self.rng.random()
            if start.date() == self.today or roll < 0.84:
                status = Appointment.Status.ATTENDED
            elif roll < 0.92:
                status = Appointment.Status.NO_SHOW
            else:
                status, reason = Appointment.Status.CANCELLED, self.rng.choice(CANCEL_REASONS)
        return Appointment.objects.create(
            clinic=self.clinic,
            client=client,
            practitioner=practitioner,
            course=course,
            starts_at=start,
            ends_at=end,
            status=status,
            cancel_reason=reason,
            created_by=self.owner,
        )

    def _session(self, s: ClientSpec, client: Client, appointment: Appointment, number: int) -> TreatmentSession:
        rng = self.rng
        # Pain eases over a course, unevenly: about one point per session with some noise.
        eased = (number - 1) * rng.uniform(0.5, 1.2)
        before = max(1, min(10, round(s.starting_pain - eased + rng.choice((-1, 0, 0, 1)))))
        after = max(0, before - rng.randint(1, 3))
        note = rng.choice(SESSION_NOTES)
        if HealthFlag.FEET_INJURED in s.flags:
            note = "Hands only while the feet heal. " + note
        if HealthFlag.PREGNANCY in s.flags:
            note = "Light pressure throughout, as agreed with the midwife. " + note
        # Today's finished session is left unsigned, so the demo shows one waiting to be signed.
        signed = appointment.starts_at.astimezone(self.tz).date() != self.today
        session = TreatmentSession.objects.create(
            clinic=self.clinic,
            appointment=appointment,
            client=client,
            practitioner=appointment.practitioner,
            started_at=appointment.starts_at,
            pain_before=before,
            pain_after=after,
            focus=s.focus,
            notes=note,
            signed_at=appointment.ends_at + dt.timedelta(minutes=5) if signed else None,
            signed_by=appointment.practitioner if signed else None,
        )
        PressureNote.objects.bulk_create(self._pressure_notes(s, session, number))
        return session

    def _zones_for(self, s: ClientSpec) -> tuple[list[ReflexZone], list[ReflexZone]]:
        """Zones on the maps this client is worked on: those matching the focus, and all of them."""
        ruled_out = {group for flag in s.flags for group in flag_spec(flag).rules_out}
        if MapGroup.FEET in ruled_out:  # docs/domain.md, rule 1: the maps the flags leave (hands and ears)
            maps = {m for m, spec in MAP_SPECS.items() if spec.group not in ruled_out}
        elif s.prefers_hands:
            maps = set(HAND_MAPS)
        else:
            maps = set(FOOT_MAPS)
        on_map = [z for z in self.zones if z.reflex_map in maps] or self.zones
        words = FOCUS_KEYWORDS.get(s.focus, ())
        focused = [z for z in on_map if any(w in f"{z.body_area} {z.code} {z.name}".lower() for w in words)]
        return focused, on_map

    def _pressure_notes(self, s: ClientSpec, session: TreatmentSession, number: int) -> list[PressureNote]:
        rng = self.rng
        focused, on_map = self._zones_for(s)
        if not on_map:
            return []
        chosen = rng.sample(focused, min(len(focused), 3)) if focused else []
        extras = [z for z in on_map if z not in chosen]
        chosen += rng.sample(extras, min(len(extras), rng.randint(1, 2)))
        gentle = HealthFlag.PREGNANCY in s.flags or HealthFlag.SERIOUS_BACK_INJURY in s.flags
        # Early sessions find more tenderness; it settles as the course goes on.
        responses = (
            [Response.TENDER, Response.GRITTY, Response.VERY_TENDER, Response.SENSITIVE]
            if number <= 2
            else [Response.SENSITIVE, Response.NONE, Response.NONE, Response.TENDER]
        )
        notes = []
        for zone in chosen:
            for side in zone.side_values:
                notes.append(
                    PressureNote(
                        session=session,
                        clinic_id=session.clinic_id,
                        started_at=session.started_at,
                        zone=zone,
                        side=side,
                        pressure=rng.randint(1, 2) if gentle else rng.randint(2, 4),
                        response=rng.choice(responses),
                        minutes=rng.randint(1, 4),
                        note="" if rng.random() < 0.7 else "Eased after a minute of slow circles.",
                        position=len(notes),
                    )
                )
        return notes

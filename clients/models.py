from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.localtime import local_today
from accounts.models import TIMEZONE_CHOICES, Clinic

# The flags and their specs live in health_flags.py; re-exported for the modules that know them from here.
from .health_flags import FlagSpec, FlagTier, HealthFlag, flag_spec  # noqa: F401
from .phones import phone_search_digits, region_for_timezone, stored_phone


class ClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def consent_due_again(self):
        """Clients whose consent to treatment is due again: Client.consent_due_again, as a filter."""
        # A NULL on either side compares as unknown, so a client who never consented, or whose
        # health never changed, is not matched (as the property's None checks say).
        return self.filter(consent_treatment=True, health_changed_at__gt=F("consent_treatment_at"))

    def search(self, text: str, *, region: str | None = None):
        """Every word in a name, the email or the phone; or, for text that is (part of) a phone
        number, the number whatever its spacing or +44/0 prefix (read in `region`)."""
        text = (text or "").strip()
        if not text:
            return self
        q = Q()
        for word in text.split():
            q &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
            )
        if digits := phone_search_digits(text, region):
            q |= Q(phone__contains=digits)
        return self.filter(q)


def full_name(first_name: str, last_name: str) -> str:
    """How a client is named on screen and on their emails (also for rows read without the model)."""
    return f"{first_name} {last_name}".strip()


# A client as an email's recipient, read through a `client` relation in bulk:
# values_list(..., *RECIPIENT_FIELDS) gives the three values `recipient` takes.
RECIPIENT_FIELDS = ("client__email", "client__first_name", "client__last_name")


def recipient(email: str, first_name: str, last_name: str) -> dict[str, str]:
    """An outbox row's recipient fields for a client (outbox Delivery.to_email / to_name)."""
    return {"to_email": email, "to_name": full_name(first_name, last_name)}


class Client(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, default="Europe/London")
    routine_time = models.TimeField(default=dt.time(8, 0), help_text="Local time at which home-routine emails arrive.")
    prefers_hands = models.BooleanField(
        default=False, help_text="The client prefers hand reflexology to foot reflexology at home."
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients",
        help_text="The practitioner who usually treats this client.",
    )
    consent_treatment = models.BooleanField(default=False)
    consent_treatment_at = models.DateTimeField(null=True, blank=True)
    consent_email = models.BooleanField(default=False)
    consent_email_at = models.DateTimeField(null=True, blank=True)
    medical_notes = models.TextField(
        blank=True, help_text="Medication, conditions, anything the practitioner should know."
    )
    medications = models.TextField(blank=True, help_text="The medicines the client takes, in their words.")
    gp_name = models.CharField(max_length=200, blank=True, help_text="The client's GP (family doctor).")
    gp_practice = models.CharField(max_length=300, blank=True, help_text="The GP's practice: its name and town.")
    physician_clearance = models.TextField(
        blank=True, help_text="Physician's referral or clearance: who, when, and what they said."
    )
    physician_clearance_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # When the health flags or the treatment plan last changed: a consent to treatment given
    # before then is due again (docs/domain.md, rule 14).
    health_changed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        # E.164 whoever writes the row (intake, admin, demo data), so search finds the number
        # however it is typed; read in the clinic's region (clients/phones.py).
        update_fields = kwargs.get("update_fields")
        if self.phone and (update_fields is None or "phone" in update_fields):
            self.phone = stored_phone(self.phone, region_for_timezone(self.clinic.timezone))
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def as_recipient(self) -> dict[str, str]:
        return recipient(self.email, self.first_name, self.last_name)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def age(self) -> int | None:
        return self.age_on(dt.date.today())

    @property
    def email_consent_withdrawal(self) -> ConsentRecord | None:
        """Item "stop means stop": the client's own withdrawal of routine emails, while it stands.

        Assigning a routine is refused until the practitioner records renewed consent. A client
        whose current consent is given has none standing (consent_record keeps the two in step)."""
        if self.consent_email:
            return None
        latest = self.consent_records.filter(kind=ConsentKind.ROUTINE_EMAILS).first()
        return latest if latest is not None and not latest.given and latest.by_client else None

    @property
    def consent_due_again(self) -> bool:
        """docs/domain.md, rule 14: consent to treatment was given, then the health flags or the
        treatment plan changed; no session is signed until the client consents again."""
        given, changed = self.consent_treatment_at, self.health_changed_at
        return bool(self.consent_treatment and given and changed and changed > given)

    @property
    def consent_renewal_due(self) -> bool:
        """docs/domain.md, rule 14: the client consented to treatment before their health or plan
        last changed, and not since, whether that consent still stands (due again) or was
        withdrawn after. Only their renewed say-so gives it back: recorded by the practitioner
        with what they said, or signed through a link; never the intake's checkbox."""
        if self.consent_due_again:
            return True
        if self.consent_treatment or self.health_changed_at is None:
            return False
        given = self.consent_records.filter(kind=ConsentKind.TREATMENT, given=True).first()
        return given is not None and given.at < self.health_changed_at

    @property
    def flag_codes(self) -> set[str]:
        # Uses the prefetched rows when the list view prefetched them.
        return {f.flag for f in self.health_flags.all()}

    def has_flag(self, flag: str) -> bool:
        return flag in self.flag_codes

    @property
    def flag_specs(self) -> list[FlagSpec]:
        """The specs of the client's flags, in the intake's order: what each one asks of the practitioner."""
        codes = self.flag_codes
        return [flag_spec(flag) for flag in HealthFlag if flag in codes]

    def _uncleared(self, specs: list[FlagSpec]) -> list[tuple[FlagSpec, str]]:
        """The flags among `specs` without a doctor's word that lets treatment go ahead today,
        each with why not, in words (docs/domain.md, rules 9 and 13).

        The newest GP reply covering a flag decides: permitted and not expired clears it; not
        permitted, or expired, does not. The replies are the permission app's rows, read through
        the reverse relation (prefetch `permission_requests`); clients never imports that app.
        A clearance typed on the intake clears every flag of a client with no GP reply on record;
        once there is one, it is the summary the permission app writes, and the replies decide."""
        if not specs:
            return []
        replies = sorted(
            (r for r in self.permission_requests.all() if r.is_answered),
            key=lambda r: (r.received_on, r.pk),
            reverse=True,
        )
        typed = bool(self.physician_clearance.strip()) and not replies
        today = local_today(self)
        uncleared = []
        for spec in specs:
            reply = next((r for r in replies if r.covers(spec.value)), None)
            if reply is None:
                if not typed:
                    uncleared.append((spec, "no physician clearance is recorded"))
            elif why := reply.refusal(today):
                uncleared.append((spec, why))
        return uncleared

    @property
    def needs_clearance(self) -> bool:
        """docs/domain.md, rule 9: a flag asks for a physician's referral or clearance, and none holds today."""
        return bool(self._uncleared([s for s in self.flag_specs if s.asks_clearance]))

    @property
    def uncleared_medical(self) -> list[tuple[FlagSpec, str]]:
        """Flags of the tier "needs medical permission" without a clearance or GP permission that holds
        today, each with why: recording a session waits for it, or for the practitioner's override
        with a reason (docs/domain.md, rule 16)."""
        return self._uncleared([s for s in self.flag_specs if s.is_medical])

    @property
    def uncleared_medical_flags(self) -> list[FlagSpec]:
        return [spec for spec, _ in self.uncleared_medical]

    @property
    def email_advice(self) -> list[str]:
        """docs/domain.md, rule 9: what every routine email to this client advises, from the client's flags."""
        return [s.email_advice for s in self.flag_specs if s.email_advice]

    @property
    def feet_ruled_out_by(self) -> FlagSpec | None:
        """docs/domain.md, rule 1: the flag that rules out the feet (its spec says why the routine uses the hands)."""
        return next((s for s in self.flag_specs if s.rules_out_feet), None)

    @property
    def ruled_out_maps(self) -> dict:
        """The groups of reflex maps the client's flags rule out, each with the flag's warning (why)."""
        return {group: s.treatment for s in self.flag_specs for group in s.rules_out}

    @property
    def uses_hands_at_home(self) -> bool:
        """docs/domain.md, rule 1: hands when a flag rules out the feet, or by preference unless one rules out hands."""
        specs = self.flag_specs
        if any(s.rules_out_feet for s in specs):
            return True
        return self.prefers_hands and not any(s.rules_out_hands for s in specs)


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Consent to treatment"
    ROUTINE_EMAILS = "routine_emails", "Consent to routine emails"


class ConsentSource(models.TextChoices):
    INTAKE = "intake", "the intake form"
    EMAIL_LINK = "email_link", "the stop link in a routine email"
    ONE_CLICK = "one_click", "the one-click unsubscribe of their mail program"
    RENEWED = "renewed", "the client's renewed consent, recorded by the practitioner"
    MIGRATED = "migrated", "the intake, before consent history was kept"
    CLIENT_LINK = "client_link", "given by the client through a link"


class ConsentRecord(models.Model):
    """One consent given or withdrawn: the history of a client's consents, never edited.

    The client's `consent_treatment`/`consent_email` fields (and their `_at`) are the
    latest record of each kind, written by clients.services.consent_record in the same
    transaction as the row, so list filters and the routine dispatcher read one column.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consent_records")
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    given = models.BooleanField()
    at = models.DateTimeField(help_text="When the client gave or withdrew it.")
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True, help_text="The client's say-so, in their words or the practitioner's.")
    # Given through a link: the exact statement the client saw and ticked, the name they typed,
    # and which link it came through (e.g. "intake link 12").
    statement = models.TextField(blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    link_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Latest recorded first: that one is current, even when its `at` is backdated to when the client said so.
        ordering = ["-id"]
        indexes = [models.Index(fields=["client", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {'given' if self.given else 'withdrawn'} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def by_client(self) -> bool:
        """The client withdrew it themselves (from an email); only their renewed say-so undoes that."""
        return self.source in (ConsentSource.EMAIL_LINK, ConsentSource.ONE_CLICK)


class ClientHealthFlag(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="health_flags")
    flag = models.CharField(max_length=40, choices=HealthFlag.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "flag"], name="unique_client_flag")]
        ordering = ["flag"]

    def __str__(self) -> str:
        return self.get_flag_display()

    @property
    def spec(self) -> FlagSpec:
        return flag_spec(self.flag)

    @property
    def tier(self) -> str:
        return self.spec.tier

    @property
    def tier_label(self) -> str:
        return self.spec.tier.label

    @property
    def advice(self) -> str:
        return self.spec.treatment

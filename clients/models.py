from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import TIMEZONE_CHOICES, Clinic


class FlagTier(models.TextChoices):
    MEDICAL = "medical", "Needs medical permission"
    LOCAL = "local", "Work locally around"


class HealthFlag(models.TextChoices):
    """What a reflexology intake asks about, in two tiers (see FLAG_TIERS)."""

    # Needs the client's doctor's permission before treatment.
    SERIOUS_BACK_INJURY = "serious_back_injury", "Serious back injury"
    PREGNANCY = "pregnancy", "Pregnancy"
    THROMBOSIS = "thrombosis", "Deep vein thrombosis or blood clots"
    HEART_CONDITION = "heart_condition", "Heart condition or pacemaker"
    EPILEPSY = "epilepsy", "Epilepsy"
    CANCER_TREATMENT = "cancer_treatment", "Cancer under treatment"
    RECENT_SURGERY = "recent_surgery", "Recent surgery (last 3 months)"
    DIABETES = "diabetes", "Diabetes"
    BLOOD_PRESSURE = "blood_pressure", "High or low blood pressure"
    # Can be treated; work around the area.
    FEET_INJURED = "feet_injured", "Feet injured or infected"
    HANDS_INJURED = "hands_injured", "Hands injured or infected"
    VARICOSE_VEINS = "varicose_veins", "Varicose veins"
    ARTHRITIS = "arthritis", "Arthritis or gout in feet or hands"
    SKIN_CONDITION = "skin_condition", "Skin condition (eczema, psoriasis)"
    SWELLING = "swelling", "Swelling or oedema in feet or legs"


FLAG_TIERS: dict[str, str] = {
    HealthFlag.SERIOUS_BACK_INJURY: FlagTier.MEDICAL,
    HealthFlag.PREGNANCY: FlagTier.MEDICAL,
    HealthFlag.THROMBOSIS: FlagTier.MEDICAL,
    HealthFlag.HEART_CONDITION: FlagTier.MEDICAL,
    HealthFlag.EPILEPSY: FlagTier.MEDICAL,
    HealthFlag.CANCER_TREATMENT: FlagTier.MEDICAL,
    HealthFlag.RECENT_SURGERY: FlagTier.MEDICAL,
    HealthFlag.DIABETES: FlagTier.MEDICAL,
    HealthFlag.BLOOD_PRESSURE: FlagTier.MEDICAL,
    HealthFlag.FEET_INJURED: FlagTier.LOCAL,
    HealthFlag.HANDS_INJURED: FlagTier.LOCAL,
    HealthFlag.VARICOSE_VEINS: FlagTier.LOCAL,
    HealthFlag.ARTHRITIS: FlagTier.LOCAL,
    HealthFlag.SKIN_CONDITION: FlagTier.LOCAL,
    HealthFlag.SWELLING: FlagTier.LOCAL,
}

# What the warning says where the practitioner acts on the client.
FLAG_ADVICE: dict[str, str] = {
    HealthFlag.SERIOUS_BACK_INJURY: (
        "Serious back injury: treat only with a physician's referral or clearance on record; "
        "home-routine emails advise the client to consult their physician."
    ),
    HealthFlag.PREGNANCY: "Pregnancy: treat only with the midwife's or doctor's agreement; use light pressure.",
    HealthFlag.FEET_INJURED: "Feet injured or infected: do not work the feet; use hand reflexology instead.",
    HealthFlag.HANDS_INJURED: "Hands injured or infected: avoid the hands; work the feet or ears.",
}


class ClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def search(self, text: str):
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
    physician_clearance = models.TextField(
        blank=True, help_text="Physician's referral or clearance: who, when, and what they said."
    )
    physician_clearance_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

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
    def flag_codes(self) -> set[str]:
        # Uses the prefetched rows when the list view prefetched them.
        return {f.flag for f in self.health_flags.all()}

    def has_flag(self, flag: str) -> bool:
        return flag in self.flag_codes

    @property
    def needs_clearance(self) -> bool:
        """A serious back injury with no physician referral or clearance recorded yet."""
        return self.has_flag(HealthFlag.SERIOUS_BACK_INJURY) and not self.physician_clearance.strip()

    @property
    def uses_hands_at_home(self) -> bool:
        return self.prefers_hands or self.has_flag(HealthFlag.FEET_INJURED)


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
    def tier(self) -> str:
        return FLAG_TIERS[self.flag]

    @property
    def tier_label(self) -> str:
        return FlagTier(self.tier).label

    @property
    def advice(self) -> str:
        return FLAG_ADVICE.get(self.flag, f"{self.get_flag_display()}: {self.tier_label.lower()}.")

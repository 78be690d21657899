"""Online booking: each clinic's booking settings, and the holds a client makes before verifying.

The clinic's treatment types, working hours and time off live in the appointments app,
next to the appointments they shape (appointments/models.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import Clinic
from appointments.models import Appointment, TreatmentType
from clients.models import Client
from outbox.models import Delivery

# docs/domain.md, "Online booking": an unverified hold keeps its slot this long.
HOLD_MINUTES = 15


class BookingSettings(models.Model):
    """One per clinic. A clinic without a row has online booking off and the defaults below."""

    class Mode(models.TextChoices):
        DIRECT = "direct", "Book directly"
        REQUEST = "request", "Request, the clinic accepts"

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="booking_settings")
    online = models.BooleanField("Take bookings online", default=False)
    mode = models.CharField("How online bookings are made", max_length=10, choices=Mode.choices, default=Mode.DIRECT)
    min_notice_hours = models.PositiveSmallIntegerField(
        "Earliest booking ahead (hours)",
        default=12,
        validators=[MaxValueValidator(24 * 14, "Choose at most 336 hours (two weeks).")],
        help_text="A client can book a time at least this many hours from now.",
    )
    horizon_weeks = models.PositiveSmallIntegerField(
        "Latest booking ahead (weeks)",
        default=8,
        validators=[
            MinValueValidator(1, "Choose at least 1 week."),
            MaxValueValidator(52, "Choose at most 52 weeks."),
        ],
        help_text="A client can book up to this many weeks ahead.",
    )
    cancellation_notice_hours = models.PositiveSmallIntegerField(
        "Cancellation notice (hours)",
        default=24,
        validators=[MaxValueValidator(24 * 14, "Choose at most 336 hours (two weeks).")],
        help_text="Clients can cancel or move an appointment from their email up to this many hours before it; "
        "later, the page gives them the clinic's phone number.",
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        "Start times every (minutes)",
        default=30,
        choices=[(15, "15 minutes"), (30, "30 minutes"), (60, "60 minutes")],
        help_text="How far apart the start times offered to clients are.",
    )

    class Meta:
        verbose_name_plural = "booking settings"

    def __str__(self) -> str:
        return f"Booking settings of {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic: Clinic) -> BookingSettings:
        """The clinic's settings, or unsaved defaults (online booking off): reading never writes."""
        try:
            return cls.objects.get(clinic=clinic)
        except cls.DoesNotExist:
            return cls(clinic=clinic)


class BookingHold(models.Model):
    """A slot a client chose online, kept from others while they follow the emailed link.

    HELD blocks the slot until `expires_at`; following the link makes the appointment
    (BOOKED) or, where the clinic accepts requests, a REQUESTED hold that blocks the slot
    until the clinic accepts (BOOKED) or declines (DECLINED).
    """

    class Status(models.TextChoices):
        HELD = "held", "Waiting for the client to verify"
        REQUESTED = "requested", "Requested, waiting for the clinic"
        BOOKED = "booked", "Booked"
        DECLINED = "declined", "Declined by the clinic"
        EXPIRED = "expired", "Expired"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="booking_holds")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_holds")
    treatment_type = models.ForeignKey(TreatmentType, on_delete=models.PROTECT, related_name="booking_holds")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.HELD)
    expires_at = models.DateTimeField()
    client = models.ForeignKey(Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking_holds")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking_hold"
    )
    # The emails about it: the link to confirm the address, and the clinic's "no" to a request.
    verify_delivery = models.OneToOneField(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking_hold"
    )
    decline_delivery = models.OneToOneField(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="declined_booking"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["practitioner", "starts_at"]), models.Index(fields=["clinic", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_hold_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} for {self.starts_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def blocking(cls, now):
        """Holds that keep their slot from others at `now`: unexpired unverified ones, and open requests."""
        return Q(status=cls.Status.HELD, expires_at__gt=now) | Q(status=cls.Status.REQUESTED)

"""Writes for clinics and staff."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from outbox.models import Delivery
from outbox.services import delivery_create

from .models import Clinic, User


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def _check_clinic_keeps_an_owner(*, user: User, role: str, is_active: bool, by: User | None) -> None:
    """Refuse a change that would leave the clinic with nobody who can manage staff.

    The clinic's active owners are locked first, so two owners demoting each other at
    the same moment cannot both succeed (on PostgreSQL; SQLite serialises writes anyway).
    """
    if by is not None and by.pk == user.pk and not is_active:
        raise ValidationError({"is_active": "You cannot deactivate your own account. Ask another owner to do it."})
    stays_owner = role == User.Role.OWNER and is_active
    if not user.is_owner or not user.is_active or stays_owner:
        return
    owners = list(
        User.objects.select_for_update()
        .filter(clinic_id=user.clinic_id, role=User.Role.OWNER, is_active=True)
        .values_list("pk", flat=True)
    )
    if not [pk for pk in owners if pk != user.pk]:
        field = "role" if is_active else "is_active"
        message = f"{user} is the clinic's only owner. Make someone else an owner first, so staff can still be managed."
        raise ValidationError({field: message})


@transaction.atomic
def clinic_create_with_owner(
    *,
    name: str,
    slug: str,
    timezone: str,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
) -> User:
    """A new clinic and its first owner, who adds everyone else from the Staff page. The
    clinic gets its zone catalogue and routine library from the post_save signals."""
    clinic = Clinic.objects.create(name=name, slug=slug, timezone=timezone)
    return staff_create(
        clinic=clinic,
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=User.Role.OWNER,
        password=password,
    )


@transaction.atomic
def staff_create(
    *,
    clinic: Clinic,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    password: str | None = None,
) -> User:
    """Add a staff member. Without a password the account gets an unusable one and
    the person sets their own from `password_email_create`'s email."""
    user = User(
        clinic=clinic,
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def staff_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    is_active: bool,
    by: User | None = None,
) -> User:
    """Change a staff member's details. Raises ValidationError (keyed by field) when the
    change would lock the clinic out of staff management."""
    # Decide on the stored row, not on `user`, which a ModelForm may already have changed in memory.
    stored = User.objects.select_for_update().get(pk=user.pk)
    _check_clinic_keeps_an_owner(user=stored, role=role, is_active=is_active, by=by)
    user.first_name = first_name
    user.last_name = last_name
    user.email = email
    user.role = role
    user.is_active = is_active
    user.save(update_fields=["first_name", "last_name", "email", "role", "is_active"])
    return user


def password_reset_recipients(*, email: str):
    """The accounts a reset for `email` reaches. Also staff added with "email them a link"
    who never chose a password: there is no external sign-in here, so an unusable password
    only means "not set yet". Demo accounts are left out: their password is public and must
    stay `demo`."""
    return User.objects.filter(email__iexact=email, is_active=True, is_demo=False).exclude(clinic=None)


def password_reset_emails_create(*, email: str) -> int:
    """A reset email in the outbox for each account of `email` (none for an unknown one)."""
    users = list(password_reset_recipients(email=email).select_related("clinic"))
    for user in users:
        password_email_create(user=user, kind=Delivery.Kind.PASSWORD_RESET)
    return len(users)


def password_email_create(*, user: User, kind: str) -> Delivery:
    """Email `user` a link to choose a password (kind: Delivery.Kind.STAFF_INVITATION or
    PASSWORD_RESET), through the outbox: a row in the delivery log, sent by the workers
    once the caller's transaction commits (a rolled-back staff member gets no email).
    The link is the password-reset machinery's, made at sending (accounts/email_kinds.py),
    so it expires and stops working once used, exactly like a reset link."""
    return delivery_create(
        kind=kind,
        clinic_id=user.clinic_id,
        to_email=user.email,
        # Staff emails have always gone to the bare address (as Django's own reset emails do).
        to_name="",
        local_date=timezone.localdate(timezone=ZoneInfo(user.clinic.timezone)),  # the clinic's today
        user=user,
    )


def account_unlock(*, user: User) -> int:
    """Forget the failed log-ins on this account, from every address; returns how many records went."""
    return axes_reset(username=user.username)


def clinic_set_routine_minutes(*, clinic: Clinic, minutes: int) -> None:
    """How many minutes a day a proposed home routine may take (docs/domain.md, rule 7).
    Routines already proposed keep theirs: the editor warns when one is longer."""
    # The field's own bounds (3 to 20) and messages; a ValidationError changes nothing.
    clinic.routine_minutes = Clinic._meta.get_field("routine_minutes").clean(minutes, clinic)
    clinic.save(update_fields=["routine_minutes"])

"""Reads for the clients app. Every function starts from the clinic."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Clinic, User
from accounts.tenancy import clinic_get
from clients import panels
from clients.models import Client
from clients.phones import region_for_timezone


def client_list(*, clinic: Clinic, query: str = "", archived: bool = False) -> QuerySet[Client]:
    """The clinic's clients for the list page, with everything a row shows in a fixed
        number of queries whatever the page size: the next booked appointment and the last
        session come as subqueries (clients/panels.py list columns), the flags as one prefetch and the
    GP's permission replies (the "no clearance yet" badge reads them) as another.
        Subqueries rather than Min/Max over joins: joining appointments and sessions together
        would multiply rows per client before the aggregate."""
    clients = Client.objects.filter(clinic=clinic)
    clients = clients.filter(archived_at__isnull=not archived)
    return panels.with_list_columns(
        clients.search(query, region=region_for_timezone(clinic.timezone))
        .select_related("practitioner")
        .prefetch_related("health_flags", "permission_requests")
    ).order_by("last_name", "first_name", "id")


def client_for_page(*, clinic: Clinic, pk: int) -> Client:
    """One client of the clinic (404 otherwise) with its practitioner and flags loaded."""
    return clinic_get(Client.objects.select_related("practitioner").prefetch_related("health_flags"), clinic, pk=pk)


def possible_duplicates(*, clinic: Clinic, email: str, first_name: str, last_name: str, date_of_birth) -> list[Client]:
    """Clients of the clinic, archived or not, with the same email, or the same name and date of birth."""
    same = Q()
    if email:
        same |= Q(email__iexact=email)
    if date_of_birth and first_name and last_name:
        same |= Q(first_name__iexact=first_name, last_name__iexact=last_name, date_of_birth=date_of_birth)
    if not same:
        return []
    return list(Client.objects.filter(same, clinic=clinic).order_by("last_name", "first_name", "pk")[:5])


def practitioner_choices(*, clinic: Clinic, keep: int | None = None) -> QuerySet[User]:
    """Who may be a client's usual practitioner: the clinic's active staff, plus `keep`
    (the one already chosen, who may have left since) so that re-saving a client works."""
    return User.objects.filter(Q(is_active=True) | Q(pk=keep), clinic=clinic).order_by(
        "first_name", "last_name", "username"
    )

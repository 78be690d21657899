from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from clients.models import Client, ClientHealthFlag, ConsentRecord
from reflexclinic.admin_mixins import ReadOnlyAdminMixin


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Active"), ("yes", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class ClientHealthFlagInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Read only: a change of flags is a change of health, which makes consent due again and may
    hold sessions for a GP's permission (docs/domain.md, rules 14 and 16); the intake does both."""

    model = ClientHealthFlag
    extra = 0
    fields = ["flag", "created_at"]
    readonly_fields = ["created_at"]


class ConsentRecordInline(admin.TabularInline):
    """The client's consent history, read only: a record is never edited (clients.services.consent_record)."""

    model = ConsentRecord
    extra = 0
    fields = ["kind", "given", "at", "source", "recorded_by", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["full_name", "clinic", "email", "phone", "practitioner", "consent_treatment", "archived_at"]
    list_filter = ["clinic", ArchivedFilter, "health_flags__flag", "consent_treatment", "consent_email"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    list_select_related = ["clinic", "practitioner"]
    raw_id_fields = ["practitioner"]
    # What gates a session (docs/domain.md, rules 14 and 16) and the routine emails (rule 12) is
    # written by the app with its history: consents (consent_record), the moment health changed,
    # and the physician's clearance (the intake, or the GP's reply). The admin only shows them.
    readonly_fields = [
        "consent_treatment",
        "consent_treatment_at",
        "consent_email",
        "consent_email_at",
        "health_changed_at",
        "physician_clearance",
        "physician_clearance_date",
        "archived_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ClientHealthFlagInline, ConsentRecordInline]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Clients are archived, never deleted: their clinical records must stay.
        return False


@admin.register(ClientHealthFlag)
class ClientHealthFlagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["client", "flag", "tier", "created_at"]
    list_filter = ["flag", "client__clinic"]
    search_fields = ["client__first_name", "client__last_name", "client__email"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]

    @admin.display(description="Tier")
    def tier(self, obj: ClientHealthFlag) -> str:
        return obj.tier_label

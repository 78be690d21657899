from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from clients.models import Client, ClientHealthFlag, ConsentRecord


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


class ClientHealthFlagInline(admin.TabularInline):
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
    readonly_fields = ["consent_treatment_at", "consent_email_at", "archived_at", "created_at", "updated_at"]
    inlines = [ClientHealthFlagInline, ConsentRecordInline]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Clients are archived, never deleted: their clinical records must stay.
        return False


@admin.register(ClientHealthFlag)
class ClientHealthFlagAdmin(admin.ModelAdmin):
    list_display = ["client", "flag", "tier", "created_at"]
    list_filter = ["flag", "client__clinic"]
    search_fields = ["client__first_name", "client__last_name", "client__email"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]

    @admin.display(description="Tier")
    def tier(self, obj: ClientHealthFlag) -> str:
        return obj.tier_label

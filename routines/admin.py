from django.contrib import admin

from outbox.admin import DeliveryAdmin
from reflexclinic.admin_mixins import ReadOnlyAdminMixin

from .models import CheckIn, LibraryStep, Routine, RoutineStep


@admin.register(LibraryStep)
class LibraryStepAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "kind", "body_area", "clinic", "minutes", "sort_order", "is_active")
    list_filter = ("kind", "is_active", "clinic", "body_area")
    list_editable = ("sort_order", "is_active")
    search_fields = ("title", "code", "body_area", "instruction", "clinic__name")
    list_select_related = ("clinic",)
    filter_horizontal = ("zones",)
    ordering = ("clinic", "kind", "sort_order", "title")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "zones" in form.base_fields:
            # A step may only point at its own clinic's zones; other clinics' are not offered.
            form.base_fields["zones"].queryset = obj.clinic.reflex_zones.order_by("reflex_map", "sort_order", "name")
        return form


class RoutineStepInline(admin.TabularInline):
    model = RoutineStep
    extra = 0
    fields = ("position", "kind", "title", "zone", "side_order", "pressure", "minutes", "instruction", "replaces_zone")
    raw_id_fields = ("zone", "replaces_zone", "library_step")


@admin.register(Routine)
class RoutineAdmin(admin.ModelAdmin):
    list_display = ("client", "clinic", "status", "frequency", "starts_on", "ends_on", "assigned_at")
    list_filter = ("status", "frequency", "clinic")
    search_fields = ("client__first_name", "client__last_name", "client__email")
    list_select_related = ("client", "clinic")
    raw_id_fields = ("client", "session", "created_by")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = (RoutineStepInline,)


# --- What clients answered from their routine emails. ----------------------------------------
# Written by the clients' links; the admin only reads them.


class CheckInInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CheckIn
    extra = 0
    fields = ("local_date", "kind", "pain", "created_at")
    readonly_fields = fields


# A routine email's row in the outbox's delivery log shows the answers it got.
DeliveryAdmin.inlines = (*DeliveryAdmin.inlines, CheckInInline)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("local_date", "client", "kind", "pain", "clinic", "created_at")
    list_filter = ("kind", "local_date", "clinic")
    date_hierarchy = "local_date"
    search_fields = ("client__first_name", "client__last_name", "client__email")
    list_select_related = ("client", "clinic")
    raw_id_fields = ("delivery",)

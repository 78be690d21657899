from django.contrib import admin

from reflexclinic.admin_mixins import ReadOnlyAdminMixin

from .models import PressureNote, ReflexZone, SessionAmendment, TreatmentSession


@admin.register(ReflexZone)
class ReflexZoneAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "reflex_map", "body_area", "clinic", "sort_order", "is_active")
    list_filter = ("reflex_map", "is_active", "clinic", "body_area")
    search_fields = ("name", "code", "body_area", "description", "clinic__name")
    list_select_related = ("clinic",)
    list_editable = ("sort_order", "is_active")
    ordering = ("clinic", "reflex_map", "sort_order", "name")


class PressureNoteInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PressureNote
    extra = 0
    fields = ("zone", "side", "pressure", "response", "minutes", "note", "position")
    readonly_fields = fields


class SessionAmendmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SessionAmendment
    extra = 0
    fields = ("at", "by", "reason")
    readonly_fields = fields
    show_change_link = True


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("started_at", "client", "practitioner", "clinic", "pain_before", "pain_after", "signed_at")
    list_filter = ("clinic", ("signed_at", admin.EmptyFieldListFilter), "started_at", "practitioner")
    search_fields = ("client__first_name", "client__last_name", "focus", "notes", "practitioner__username")
    date_hierarchy = "started_at"
    list_select_related = ("client", "practitioner", "clinic")
    inlines = (PressureNoteInline, SessionAmendmentInline)


@admin.register(PressureNote)
class PressureNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("session", "zone", "side", "pressure", "response", "minutes")
    list_filter = ("side", "pressure", "response", "zone__reflex_map", "session__clinic")
    search_fields = ("zone__name", "zone__code", "note", "session__client__last_name")
    list_select_related = ("session__client", "zone")


# Amendments are the audit trail: written by the app, never edited or deleted.
@admin.register(SessionAmendment)
class SessionAmendmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("session", "by", "at", "reason")
    list_filter = ("at", "session__clinic")
    search_fields = ("reason", "session__client__last_name", "by__username")
    list_select_related = ("session__client", "by")
    readonly_fields = ("session", "by", "at", "reason", "before", "after")

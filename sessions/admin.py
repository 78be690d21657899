from django.contrib import admin

from .models import PressureNote, ReflexZone, SessionAmendment, TreatmentSession


@admin.register(ReflexZone)
class ReflexZoneAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "reflex_map", "body_area", "clinic", "sort_order", "is_active")
    list_filter = ("reflex_map", "is_active", "clinic", "body_area")
    search_fields = ("name", "code", "body_area", "description", "clinic__name")
    list_select_related = ("clinic",)
    ordering = ("clinic", "reflex_map", "sort_order", "name")


def _signed(obj) -> bool:
    return bool(obj and obj.signed_at)


class PressureNoteInline(admin.TabularInline):
    model = PressureNote
    extra = 0
    autocomplete_fields = ("zone",)
    fields = ("zone", "side", "pressure", "response", "minutes", "note", "position")

    # A signed record changes only through an amendment (in the app), never silently here.
    def has_add_permission(self, request, obj=None):
        return not _signed(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _signed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _signed(obj) and super().has_delete_permission(request, obj)


class SessionAmendmentInline(admin.TabularInline):
    model = SessionAmendment
    extra = 0
    fields = ("at", "by", "reason")
    readonly_fields = ("at", "by", "reason")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(admin.ModelAdmin):
    list_display = ("started_at", "client", "practitioner", "clinic", "pain_before", "pain_after", "signed_at")
    list_filter = ("clinic", ("signed_at", admin.EmptyFieldListFilter), "started_at", "practitioner")
    search_fields = ("client__first_name", "client__last_name", "focus", "notes", "practitioner__username")
    date_hierarchy = "started_at"
    list_select_related = ("client", "practitioner", "clinic")
    raw_id_fields = ("appointment", "client", "practitioner", "signed_by")
    readonly_fields = ("created_at", "updated_at")
    inlines = (PressureNoteInline, SessionAmendmentInline)

    def has_change_permission(self, request, obj=None):
        # Signed sessions are view-only here, so the amendment trail stays complete.
        return not _signed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _signed(obj) and super().has_delete_permission(request, obj)


@admin.register(PressureNote)
class PressureNoteAdmin(admin.ModelAdmin):
    list_display = ("session", "zone", "side", "pressure", "response", "minutes")
    list_filter = ("side", "pressure", "response", "zone__reflex_map", "session__clinic")
    search_fields = ("zone__name", "zone__code", "note", "session__client__last_name")
    list_select_related = ("session__client", "zone")
    raw_id_fields = ("session", "zone")

    def has_change_permission(self, request, obj=None):
        return not (obj and _signed(obj.session)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and _signed(obj.session)) and super().has_delete_permission(request, obj)


@admin.register(SessionAmendment)
class SessionAmendmentAdmin(admin.ModelAdmin):
    list_display = ("session", "by", "at", "reason")
    list_filter = ("at", "session__clinic")
    search_fields = ("reason", "session__client__last_name", "by__username")
    list_select_related = ("session__client", "by")
    readonly_fields = ("session", "by", "at", "reason", "before", "after")

    # Amendments are the audit trail: written by the app, never edited or deleted.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

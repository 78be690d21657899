from django.contrib import admin

from .models import LibraryStep, Routine, RoutineStep


@admin.register(LibraryStep)
class LibraryStepAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "kind", "body_area", "clinic", "minutes", "sort_order", "is_active")
    list_filter = ("kind", "is_active", "clinic", "body_area")
    search_fields = ("title", "code", "body_area", "instruction", "clinic__name")
    list_select_related = ("clinic",)
    filter_horizontal = ("zones",)
    ordering = ("clinic", "kind", "sort_order", "title")


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

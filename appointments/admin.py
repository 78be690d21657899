from django.contrib import admin

from reflexclinic.admin_mixins import ReadOnlyAdminMixin

from .models import Appointment, Course


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "ends_at", "client", "practitioner", "status", "clinic", "course")
    list_filter = ("status", "practitioner", "clinic")
    date_hierarchy = "starts_at"
    search_fields = (
        "client__first_name",
        "client__last_name",
        "client__email",
        "practitioner__username",
        "practitioner__first_name",
        "practitioner__last_name",
        "notes",
        "cancel_reason",
    )
    list_select_related = ("client", "practitioner", "clinic", "course__client")
    raw_id_fields = ("client", "practitioner", "course", "created_by")
    readonly_fields = ("created_at", "updated_at")


class CourseAppointmentInline(admin.TabularInline):
    model = Appointment
    fields = ("starts_at", "ends_at", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # Courses are booked through the clinic's course form, which checks every slot for clashes.
        return False


@admin.register(Course)
class CourseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: a course is booked through the clinic's course form, which checks every slot
    and marks a new course after an earlier one as a change of plan (docs/domain.md, rule 14)."""

    list_display = ("client", "practitioner", "planned_sessions", "interval_days", "clinic", "created_at")
    list_filter = ("practitioner", "clinic")
    date_hierarchy = "created_at"
    search_fields = ("client__first_name", "client__last_name", "practitioner__username", "practitioner__last_name")
    list_select_related = ("client", "practitioner", "clinic")
    raw_id_fields = ("client", "practitioner")
    readonly_fields = ("created_at",)
    inlines = [CourseAppointmentInline]

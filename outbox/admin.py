from django.contrib import admin
from django.utils.text import Truncator

from reflexclinic.admin_mixins import ReadOnlyAdminMixin

from .models import Delivery, DeliveryAttempt

# --- The delivery log: every email owed, to a client or to staff, and what became of it. ---
# Rows are written by the sending pipeline; the admin only reads them, so the log stays
# the true record of what happened. An app adds what its emails got back (routines: the
# client's answers) by appending an inline to DeliveryAdmin.inlines in its own admin.py.


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ("at", "outcome", "smtp_code", "error")
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("local_date", "recipient", "kind", "status", "attempts", "sent_at", "clinic", "error")
    list_filter = ("status", "kind", "local_date", "clinic")
    date_hierarchy = "local_date"
    search_fields = ("to_name", "to_email", "client__first_name", "client__last_name", "last_error")
    list_select_related = ("clinic",)
    ordering = ("-local_date", "-id")
    inlines = (DeliveryAttemptInline,)
    show_full_result_count = False  # the log grows daily; skip the extra COUNT(*)

    @admin.display(description="To", ordering="to_name")
    def recipient(self, obj: Delivery) -> str:
        return f"{obj.to_name} <{obj.to_email}>" if obj.to_name else obj.to_email

    @admin.display(description="Last error")
    def error(self, obj: Delivery) -> str:
        return Truncator(obj.last_error).chars(80)

from django.contrib import admin

from reflexclinic.admin_mixins import ReadOnlyAdminMixin

from .models import PermissionRequest


@admin.register(PermissionRequest)
class PermissionRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: requests are opened and answered in the app, which keeps who and when."""

    list_display = ["client", "clinic", "status", "requested_at", "received_on", "expires_on", "recorded_by"]
    list_filter = ["status", "clinic"]
    list_select_related = ["client", "clinic", "recorded_by"]
    search_fields = ["client__last_name", "gp_name", "gp_practice"]

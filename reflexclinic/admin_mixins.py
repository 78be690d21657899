"""Admin pieces every app shares (the project package, so no app imports another for them)."""


class ReadOnlyAdminMixin:
    """For records the app writes and the admin only reads: clinical history (recorded,
    signed and amended in the app, which keeps the amendment trail complete) and the
    delivery log (written by the sending pipeline and the clients' links)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

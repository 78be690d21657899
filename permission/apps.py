from django.apps import AppConfig


class PermissionConfig(AppConfig):
    name = "permission"
    verbose_name = "Medical permission"

    def ready(self) -> None:
        from . import client_page

        client_page.register()

"""The client's intake page, mounted at /i/: no login, the signed token is the permission."""

from django.urls import path

from .public_views import intake_page

app_name = "intake_public"

urlpatterns = [
    path("<str:clinic>/<str:token>/", intake_page, name="page"),
]

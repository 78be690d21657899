"""Public pages for the "move" and "cancel" links of appointment emails, mounted at /c/
(short, so the links stay readable in a plain-text email). No login: the signed token is
the permission (booking/change_links.py)."""

from django.urls import path

from .change_views import change_page

app_name = "change"

urlpatterns = [
    path("<str:clinic>/<str:token>/", change_page, name="page"),
]

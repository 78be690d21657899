"""Public pages for the links in routine emails, mounted at /r/ (short, so the links stay
readable in a plain-text email). No login: the signed token is the permission."""

from django.urls import path

from routines.checkin_views import checkin_page

app_name = "checkin"

urlpatterns = [
    # Links name their clinic (routines/links.py); preview links and links sent before
    # that carry the token alone.
    path("<str:clinic>/<str:token>/", checkin_page, name="page"),
    path("<str:token>/", checkin_page, name="page"),
]

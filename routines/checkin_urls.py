"""Public pages for the links in routine emails, mounted at /r/ (short, so the links stay
readable in a plain-text email). No login: the signed token is the permission."""

from django.urls import path

from routines.checkin_views import checkin_page

app_name = "checkin"

urlpatterns = [
    path("<str:token>/", checkin_page, name="page"),
]

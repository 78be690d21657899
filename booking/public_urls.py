"""Public pages of online booking, mounted at /book/. No login: a clinic's page is open to
everyone while the clinic takes bookings online, and the emailed link's signed token is
the permission to confirm one booking (booking/links.py)."""

from django.urls import path

from . import public_views

app_name = "booking_public"

urlpatterns = [
    path("v/<str:clinic>/<str:token>/", public_views.verify, name="verify"),
    path("<slug:slug>/", public_views.booking_page, name="page"),
    path("<slug:slug>/details/", public_views.booking_details, name="details"),
    path("<slug:slug>/sent/", public_views.booking_sent, name="sent"),
]

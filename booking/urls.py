"""The clinic's pages of online booking, mounted at /booking/ (booking/views.py)."""

from django.urls import path

from . import views

app_name = "booking"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("requests/<int:pk>/accept/", views.request_accept, name="request_accept"),
    path("requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("settings/", views.settings_edit, name="settings"),
    path("treatments/", views.type_list, name="types"),
    path("treatments/add/", views.type_edit, name="type_add"),
    path("treatments/<int:pk>/", views.type_edit, name="type_edit"),
    path("hours/<int:pk>/", views.hours_edit, name="hours"),
    path("hours/<int:pk>/time-off/", views.time_off_add, name="time_off_add"),
    path("time-off/<int:pk>/delete/", views.time_off_delete, name="time_off_delete"),
]

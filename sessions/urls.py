from django.urls import path

from . import views, zone_views

app_name = "sessions"
urlpatterns = [
    # Reflex-zone catalogue (owner edits): zone_views.py
    path("zones/", zone_views.zone_list, name="zone_list"),
    # Treatment sessions: views.py
]

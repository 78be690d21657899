from django.urls import path

from accounts.views import not_built

app_name = "sessions"
urlpatterns = [
    # Reflex-zone catalogue (owner edits): zone_views.py
    path("zones/", not_built, name="zone_list"),
    path("zones/add/", not_built, name="zone_add"),
    path("zones/<int:pk>/", not_built, name="zone_edit"),
    # Treatment sessions: views.py
    path("from-appointment/<int:appointment_id>/", not_built, name="record"),
    path("<int:pk>/", not_built, name="detail"),
    path("<int:pk>/edit/", not_built, name="edit"),
    path("<int:pk>/sign/", not_built, name="sign"),
    path("<int:pk>/amend/", not_built, name="amend"),
]

from django.urls import path

from accounts.views import not_built

from . import views

app_name = "sessions"
urlpatterns = [
    # Reflex-zone catalogue (owner edits): zone_views.py
    path("zones/", not_built, name="zone_list"),
    path("zones/add/", not_built, name="zone_add"),
    path("zones/<int:pk>/", not_built, name="zone_edit"),
    # Treatment sessions: views.py
    path("from-appointment/<int:appointment_id>/", views.session_record, name="record"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/edit/", views.session_edit, name="edit"),
    path("<int:pk>/sign/", views.session_sign, name="sign"),
    path("<int:pk>/amend/", views.session_amend, name="amend"),
]

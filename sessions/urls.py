from django.urls import path

from . import views, zone_views

app_name = "sessions"
urlpatterns = [
    # Reflex-zone catalogue (owner edits): zone_views.py
    path("zones/", zone_views.zone_list, name="zone_list"),
    path("zones/add/", zone_views.zone_add, name="zone_add"),
    path("zones/<int:pk>/", zone_views.zone_edit, name="zone_edit"),
    # Treatment sessions: views.py
    path("from-appointment/<int:appointment_id>/", views.session_record, name="record"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/edit/", views.session_edit, name="edit"),
    path("<int:pk>/sign/", views.session_sign, name="sign"),
    path("<int:pk>/amend/", views.session_amend, name="amend"),
    # The client page's older timeline, a page at a time.
    path("clients/<int:pk>/history/", views.client_history, name="client_history"),
]

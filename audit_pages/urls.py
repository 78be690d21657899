from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("clients/<int:pk>/", views.audit_client, name="client"),
    path("staff/<int:pk>/", views.audit_staff, name="staff"),
    path("export.csv", views.audit_export, name="export"),
]

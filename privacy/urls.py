from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("", views.retention_report, name="retention"),
    path("clients/<int:pk>/record/", views.subject_access_page, name="subject_access"),
    path("clients/<int:pk>/record.json", views.subject_access_json, name="subject_access_json"),
    path("clients/<int:pk>/anonymise/", views.anonymise, name="anonymise"),
    path("exports/", views.export_list, name="exports"),
    path("exports/<int:pk>/", views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]

from django.urls import path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("add/", views.client_add, name="add"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/consent/emails/", views.client_consent_renew, name="consent_renew"),
    path("<int:pk>/consent/treatment/", views.client_treatment_consent_renew, name="treatment_consent_renew"),
    path("<int:pk>/archive/", views.client_archive, name="archive"),
    path("<int:pk>/archive/confirm/", views.client_archive_confirm, name="archive_confirm"),
    path("<int:pk>/unarchive/", views.client_unarchive, name="unarchive"),
]

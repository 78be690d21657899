from django.urls import path

from accounts.views import not_built

app_name = "clients"
urlpatterns = [
    path("", not_built, name="list"),
    path("add/", not_built, name="add"),
    path("<int:pk>/", not_built, name="detail"),
    path("<int:pk>/edit/", not_built, name="edit"),
    path("<int:pk>/archive/", not_built, name="archive"),
    path("<int:pk>/unarchive/", not_built, name="unarchive"),
]

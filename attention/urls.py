from django.urls import path

from . import views

app_name = "attention"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("clinic/", views.clinic, name="clinic"),
    path("count/", views.count, name="count"),
]

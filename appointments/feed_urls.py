"""The public address of a practitioner's calendar feed: the secret in it is the permission."""

from django.urls import path

from . import views

app_name = "feeds"
urlpatterns = [path("<str:token>.ics", views.feed, name="ics")]

from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("clients/<int:pk>/send/", views.intake_send, name="send"),
    path("<int:pk>/", views.intake_review, name="review"),
]

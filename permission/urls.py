from django.urls import path

from . import views

app_name = "permission"
urlpatterns = [
    path("clients/<int:pk>/", views.client_permission, name="client"),
    path("clients/<int:pk>/ask/", views.permission_open, name="open"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/gp/", views.request_gp, name="gp"),
    path("<int:pk>/reply/", views.request_reply, name="reply"),
    path("<int:pk>/letter/", views.letter_page, name="letter"),
    path("<int:pk>/letter.txt", views.letter_download, name="letter_download"),
]

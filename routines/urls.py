from django.urls import path

from . import views

app_name = "routines"
urlpatterns = [
    path("from-session/<int:session_pk>/", views.routine_propose_view, name="propose"),
    path("<int:pk>/", views.routine_edit, name="edit"),
    path("<int:pk>/preview/", views.routine_preview, name="preview"),
    path("<int:pk>/preview/email.html", views.routine_preview_html, name="preview_html"),
    path("<int:pk>/assign/", views.routine_assign_view, name="assign"),
    path("<int:pk>/stop/", views.routine_stop_view, name="stop"),
    # The owner's routine library.
    path("library/", views.library_list, name="library"),
    path("library/add/", views.library_add, name="library_add"),
    path("library/<int:pk>/", views.library_edit, name="library_edit"),
]

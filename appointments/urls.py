from django.urls import path

from accounts.views import not_built

app_name = "appointments"
urlpatterns = [
    path("", not_built, name="day"),
    path("week/", not_built, name="week"),
    path("book/", not_built, name="book"),
    path("course/", not_built, name="course_book"),
    path("<int:pk>/", not_built, name="detail"),
    path("<int:pk>/reschedule/", not_built, name="reschedule"),
    path("<int:pk>/cancel/", not_built, name="cancel"),
    path("<int:pk>/mark/", not_built, name="mark"),
]

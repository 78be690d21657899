from django.urls import path

from . import views

app_name = "appointments"
urlpatterns = [
    path("", views.day_view, name="day"),
    path("week/", views.week_view, name="week"),
    path("book/", views.book, name="book"),
    path("course/", views.course_book, name="course_book"),
    path("feed/", views.feed_settings, name="feed_settings"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/card/", views.card, name="card"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/mark/", views.mark, name="mark"),
    path("<int:pk>/unmark/", views.unmark, name="unmark"),
]

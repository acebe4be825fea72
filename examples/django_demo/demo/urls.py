from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("state.json", views.state, name="state"),
    path("sample/", views.sample, name="sample"),
    path("words/", views.words, name="words"),
    path("long/", views.long, name="long"),
    path("cancel/<str:job_id>/", views.cancel, name="cancel"),
    path("photo/", views.photo, name="photo"),
    path("mail/", views.mail, name="mail"),
]

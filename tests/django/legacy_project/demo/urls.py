from django.urls import path

from . import views

urlpatterns = [
    path("enqueue/", views.enqueue),
    path("schedule/", views.schedule),
    path("job/<str:job_id>/", views.job_status),
]

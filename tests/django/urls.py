"""URLs of the test project: the views the tests call, and the legacy demo's."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/jobq/", include("jobq.django_integration.urls")),
    path("admin/", admin.site.urls),
    path("django-rq/", include("jobq.django_integration.urls_django_rq")),
    path("enqueue/add/", views.enqueue_add),
    path("enqueue/fail/", views.enqueue_fail),
    path("enqueue/and-wait/", views.enqueue_and_wait),
    path("enqueue/in-rollback/", views.enqueue_in_rollback),
    path("enqueue/standard-task/", views.enqueue_standard_task),
    path("legacy/", include("tests.django.legacy_project.demo.urls")),
]

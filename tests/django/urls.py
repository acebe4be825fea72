"""URLs of the test project: the views the tests call, and the legacy demo's."""

from __future__ import annotations

from django.urls import include, path

from . import views

urlpatterns = [
    path("enqueue/add/", views.enqueue_add),
    path("enqueue/fail/", views.enqueue_fail),
    path("enqueue/in-rollback/", views.enqueue_in_rollback),
    path("legacy/", include("tests.django.legacy_project.demo.urls")),
]

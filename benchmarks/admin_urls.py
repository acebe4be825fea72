"""URLs of benchmarks/admin_pages.py: the queue pages and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/jobq/", include("jobq.django_integration.urls")),
    path("admin/", admin.site.urls),
]

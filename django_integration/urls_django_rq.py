"""django-rq's URL names under its own namespace: ``django_rq:home``,
``django_rq:jobs``, ``django_rq:job_detail``, ...

A django-rq project mounts ``include("django_rq.urls")`` and its templates and
code reverse ``django_rq:<name>``. ``include("jobq.django_integration.urls")``
keeps jobq's ``jobq:`` namespace (a module names one namespace), so such a
project mounts this module instead::

    path("django-rq/", include("jobq.django_integration.urls_django_rq")),

The pages are the ones the admin serves as ``admin:django_rq_<name>`` (queues by
index, jobq's permissions), made by the same URL factory.
"""

from __future__ import annotations

from django.urls import URLPattern

from .urls import _admin_view
from .views import django_rq

app_name = "django_rq"

urlpatterns: list[URLPattern] = django_rq.get_api_urlpatterns(
    name_prefix=""
) + django_rq.get_admin_urlpatterns(name_prefix="", view_wrapper=_admin_view)

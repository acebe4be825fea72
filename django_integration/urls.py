"""URLs of the queue pages, django-rq style: ``get_admin_urlpatterns()`` for the
staff pages (wrapped by the admin site: login, CSRF, never cached) and
``get_api_urlpatterns()`` for the stats, which also accept a bearer token.

``path("admin/jobq/", include("jobq.django_integration.urls"))`` (before the
admin's own URLs) mounts both under the namespace ``jobq``. Queues are
addressed by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path

from .views import cron, jobs, limits, registry, results, stats, workers

app_name = "jobq"

ViewWrapper = Callable[[Callable[..., Any]], Callable[..., Any]]


def _admin_view(view: Callable[..., Any]) -> Callable[..., Any]:
    from django.contrib import admin

    return admin.site.admin_view(view)


def get_admin_urlpatterns(view_wrapper: ViewWrapper | None = None) -> list[URLPattern]:
    wrap = view_wrapper or _admin_view
    return [
        path("", wrap(stats.dashboard), name="dashboard"),
        path(
            "cron-schedulers/<int:connection_index>/<str:scheduler_name>/",
            wrap(cron.cron_scheduler),
            name="cron_scheduler",
        ),
        path("queues/<str:queue_name>/actions/", wrap(jobs.job_action), name="job_action"),
        path("queues/<str:queue_name>/empty/", wrap(jobs.empty_queue), name="empty_queue"),
        path(
            "queues/<str:queue_name>/requeue-failed/",
            wrap(jobs.requeue_failed),
            name="requeue_failed",
        ),
        path("queues/<str:queue_name>/limits/", wrap(limits.queue_limits), name="queue_limits"),
        path("queues/<str:queue_name>/jobs/<str:job_id>/", wrap(jobs.job_detail), name="job"),
        path(
            "queues/<str:queue_name>/jobs/<str:job_id>/results/<str:result_id>/",
            wrap(results.result_detail),
            name="result",
        ),
        path("queues/<str:queue_name>/workers/", wrap(workers.workers_page), name="workers"),
        path(
            "queues/<str:queue_name>/workers/<str:key>/",
            wrap(workers.worker_page),
            name="worker",
        ),
        path(
            "queues/<str:queue_name>/<str:registry>/",
            wrap(registry.registry_list),
            name="registry",
        ),
    ]


def get_api_urlpatterns() -> list[URLPattern]:
    return [
        path("stats.json", stats.stats_json, name="stats_json"),
        path("metrics", stats.stats_prometheus, name="stats_prometheus"),
    ]


urlpatterns = get_api_urlpatterns() + get_admin_urlpatterns()

"""django-rq's URLs and URL names, beside jobq's own.

django-rq addresses a queue by its index in ``RQ_QUEUES`` sorted by name
(``queues/0/finished/``) and names its admin pages ``admin:django_rq_*``; links
and ``reverse()`` calls in a project's templates use those. Each page here maps
the index to the queue's name and serves jobq's page for it, with jobq's
permissions. New links should use jobq's name-addressed pages (``jobq:registry``).

The pages render under django-rq's template names (``django_rq/jobs.html``, ...),
thin templates extending jobq's, so a project's template that extends or
overrides one of those names is used here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, URLPattern, path, re_path, reverse
from django.utils.translation import gettext as _

from ..queues import queue_names
from ..urlnames import page_url
from . import cron, jobs, registry, results, stats, workers
from .access import queue_or_404, require
from .actions import ACTIONS, run_many

ViewWrapper = Callable[[Callable[..., Any]], Callable[..., Any]]

#: django-rq's registry page names → jobq's registry names
_REGISTRIES = {
    "jobs": "queued",
    "finished_jobs": "finished",
    "failed_jobs": "failed",
    "scheduled_jobs": "scheduled",
    "started_jobs": "started",
    "deferred_jobs": "deferred",
}
#: jobq's registry → django-rq's template of its page
_REGISTRY_TEMPLATES = {
    "queued": "django_rq/jobs.html",
    "finished": "django_rq/finished_jobs.html",
    "failed": "django_rq/failed_jobs.html",
    "scheduled": "django_rq/scheduled_jobs.html",
    "started": "django_rq/started_job_registry.html",
    "deferred": "django_rq/deferred_jobs.html",
}
#: django-rq's per-job action pages → jobq's actions
_JOB_ACTIONS = {
    "delete_job": "delete",
    "requeue_job": "requeue",
    "enqueue_job": "enqueue_now",
    "stop_job": "stop",
}


def queue_name_at(queue_index: int) -> str:
    names = queue_names()
    if not 0 <= queue_index < len(names):
        raise Http404(f"no queue at index {queue_index} of settings.RQ_QUEUES")
    return names[queue_index]


def _registry_page(name: str) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, queue_index: int) -> HttpResponse:
        name_at = queue_name_at(queue_index)
        return registry.registry_list(request, name_at, name, _REGISTRY_TEMPLATES[name])

    return view


def _job_page(request: HttpRequest, queue_index: int, job_id: str) -> HttpResponse:
    """Links to results go to django-rq's result pages, under the namespace and
    prefix this page was reached by (``admin:django_rq_`` or ``django_rq:``)."""
    name = queue_name_at(queue_index)
    match = request.resolver_match
    view_name = match.view_name if match is not None else "admin:django_rq_job_detail"
    result_name = view_name.removesuffix("job_detail") + "result_detail"

    def result_url(result_id: str) -> str:
        return reverse(result_name, args=[queue_index, job_id, result_id])

    return jobs.job_detail(request, name, job_id, "django_rq/job_detail.html", result_url)


def _result_page(
    request: HttpRequest, queue_index: int, job_id: str, result_id: str
) -> HttpResponse:
    name = queue_name_at(queue_index)
    return results.result_detail(request, name, job_id, result_id, "django_rq/result_detail.html")


def _job_action(action_name: str) -> Callable[..., HttpResponse]:
    """GET: the confirmation page; POST: the action, then back to the queue's page."""
    action = ACTIONS[action_name]

    def view(request: HttpRequest, queue_index: int, job_id: str) -> HttpResponse:
        require(request, action.permission)
        queue = queue_or_404(queue_name_at(queue_index))
        if request.method != "POST":
            title = _("%(action)s job %(id)s?") % {"action": action.label, "id": job_id}
            post = {"action": action.name, "job_ids": [job_id]}
            return jobs.confirm(request, queue, title, post, "django_rq/delete_job.html")
        run_many(action, queue, [job_id])
        return HttpResponseRedirect(page_url("registry", queue.name, "queued"))

    return view


def _bulk_actions(request: HttpRequest, queue_index: int) -> HttpResponse:
    """django-rq's list actions (POST ``action`` and ``job_ids``)."""
    name = queue_name_at(queue_index)
    if request.method != "POST":
        return HttpResponseRedirect(page_url("registry", name, "queued"))
    return jobs.job_action(request, name)


def _clear(request: HttpRequest, queue_index: int) -> HttpResponse:
    if request.method != "POST":
        queue = queue_or_404(queue_name_at(queue_index))
        require(request, "empty_queue")
        title = _("Empty queue %s?") % queue.name
        return jobs.confirm(request, queue, title, {}, "django_rq/clear_queue.html")
    return jobs.empty_queue(request, queue_name_at(queue_index))


def _requeue_all(request: HttpRequest, queue_index: int) -> HttpResponse:
    name = queue_name_at(queue_index)
    if request.method != "POST":
        queue = queue_or_404(name)
        require(request, "requeue_job")
        title = _("Requeue all failed jobs of %s?") % name
        return jobs.confirm(request, queue, title, {}, "django_rq/requeue_all.html")
    return jobs.requeue_failed(request, name)


def _workers(request: HttpRequest, queue_index: int, key: str | None = None) -> HttpResponse:
    name = queue_name_at(queue_index)
    if key is None:
        return workers.workers_page(request, name, "django_rq/workers.html")
    return workers.worker_page(request, name, key, "django_rq/worker_details.html")


def _cron_page(request: HttpRequest, connection_index: int, scheduler_name: str) -> HttpResponse:
    template = "django_rq/cron_scheduler_detail.html"
    return cron.cron_scheduler(request, connection_index, scheduler_name, template)


def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: served here, or a redirect to jobq's own URL when the project
    includes ``jobq.django_integration.urls``."""
    try:
        return HttpResponseRedirect(reverse("jobq:dashboard"))
    except NoReverseMatch:
        return stats.dashboard(request, "django_rq/stats.html")


def get_api_urlpatterns(name_prefix: str = "django_rq_") -> list[URLPattern]:
    return [
        re_path(r"^stats.json/?$", stats.stats_json, name=f"{name_prefix}home_json"),
        re_path(r"^metrics/?$", stats.stats_prometheus, name=f"{name_prefix}metrics"),
    ]


def get_admin_urlpatterns(
    name_prefix: str = "django_rq_", view_wrapper: ViewWrapper | None = None
) -> list[URLPattern]:
    wrap = view_wrapper or (lambda view: view)
    q = "queues/<int:queue_index>"
    patterns = [
        path("", wrap(home), name=f"{name_prefix}home"),
        path(f"{q}/", wrap(_registry_page("queued")), name=f"{name_prefix}jobs"),
    ]
    patterns += [
        path(
            f"{q}/{page.removesuffix('_jobs')}/", wrap(_registry_page(reg)), name=name_prefix + page
        )
        for page, reg in _REGISTRIES.items()
        if page != "jobs"
    ]
    patterns += [
        path(f"{q}/empty/", wrap(_clear), name=f"{name_prefix}clear"),
        path(f"{q}/requeue-all/", wrap(_requeue_all), name=f"{name_prefix}requeue_all"),
        path(
            "queues/actions/<int:queue_index>/", wrap(_bulk_actions), name=f"{name_prefix}actions"
        ),
        path(f"{q}/<str:job_id>/", wrap(_job_page), name=f"{name_prefix}job_detail"),
        path(
            f"{q}/<str:job_id>/results/<str:result_id>/",
            wrap(_result_page),
            name=f"{name_prefix}result_detail",
        ),
    ]
    patterns += [
        path(
            f"{q}/<str:job_id>/{page.removesuffix('_job')}/",
            wrap(_job_action(action)),
            name=name_prefix + page,
        )
        for page, action in _JOB_ACTIONS.items()
    ]
    patterns += [
        path(
            "cron-schedulers/<int:connection_index>/<str:scheduler_name>/",
            wrap(_cron_page),
            name=f"{name_prefix}cron_scheduler_detail",
        ),
        path("workers/<int:queue_index>/", wrap(_workers), name=f"{name_prefix}workers"),
        path(
            "workers/<int:queue_index>/<str:key>/",
            wrap(_workers),
            name=f"{name_prefix}worker_details",
        ),
    ]
    return patterns

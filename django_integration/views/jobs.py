"""A job's page, and the POST-only actions on jobs and queues.

Destructive actions answer their first POST with a confirmation page whose
form posts again with ``confirmed``; only that second POST changes anything.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jobq.job import Job
from jobq.registry import registry_for

from ..models import Schedule, schedule_pk_from
from ..queues import DjangoQueue
from ..urlnames import page_url
from .access import VIEW_PERMISSION, page_context, queue_or_404, require
from .actions import ACTIONS, Action, run_many
from .registry import allowed_actions


def _result(job: Job) -> Any:
    """The stored result, or why it cannot be shown (e.g. an unloadable pickle)."""
    try:
        return job.return_value()
    except Exception as e:  # a result this process cannot load must not break the page
        return f"<cannot load the result: {e}>"


def _schedule(job: Job) -> Schedule | None:
    pk = schedule_pk_from(job.schedule_id)
    return None if pk is None else Schedule.objects.filter(pk=pk).first()


@require_GET
def job_detail(request: HttpRequest, queue_name: str, job_id: str) -> HttpResponse:
    require(request, VIEW_PERMISSION)
    queue = queue_or_404(queue_name)
    job = queue.fetch_job(job_id)
    if job is None:
        raise Http404(f"no job {job_id!r} in queue {queue_name!r} (it may have expired)")
    status = job.get_status(refresh=False)
    progress = job.progress
    context = page_context(
        request,
        _("Job %(id)s") % {"id": job.id},
        queue=queue,
        job=job,
        status=status,
        result=_result(job),
        progress=progress,
        progress_percent=int(100 * progress[0] / progress[1]) if progress and progress[1] else 0,
        schedule=_schedule(job),
        actions=allowed_actions(request, status),
        refresh=status == "started",
    )
    return render(request, "jobq/job.html", context)


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _confirm(
    request: HttpRequest, queue: DjangoQueue, title: str, post: dict[str, Any]
) -> HttpResponse:
    context = page_context(request, title, queue=queue, post=post, next=request.POST.get("next"))
    return render(request, "jobq/confirm.html", context)


@require_POST
def job_action(request: HttpRequest, queue_name: str) -> HttpResponse:
    """Run one action on the posted ``job_ids`` (one from a job's page, many from a list)."""
    action: Action | None = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404("unknown action")
    require(request, action.permission)
    queue = queue_or_404(queue_name)
    job_ids = [i for i in request.POST.getlist("job_ids") if i]
    back = _next_url(request, page_url("dashboard"))
    if not job_ids:
        messages.warning(request, _("No job selected."))
        return HttpResponseRedirect(back)
    if action.confirm and not request.POST.get("confirmed"):
        title = _("%(action)s %(n)d job(s)?") % {"action": action.label, "n": len(job_ids)}
        return _confirm(request, queue, title, {"action": action.name, "job_ids": job_ids})
    done, errors = run_many(action, queue, job_ids)
    messages.success(request, _("%(action)s: %(n)d job(s).") % {"action": action.label, "n": done})
    for error in errors:
        messages.error(request, error)
    return HttpResponseRedirect(back)


@require_POST
def empty_queue(request: HttpRequest, queue_name: str) -> HttpResponse:
    require(request, "empty_queue")
    queue = queue_or_404(queue_name)
    if not request.POST.get("confirmed"):
        title = _("Empty queue %(name)s (%(n)d queued jobs)?") % {
            "name": queue.name,
            "n": queue.count,
        }
        return _confirm(request, queue, title, {})
    n = queue.empty()
    messages.success(request, _("Deleted %(n)d queued job(s).") % {"n": n})
    return HttpResponseRedirect(_next_url(request, page_url("dashboard")))


@require_POST
def requeue_failed(request: HttpRequest, queue_name: str) -> HttpResponse:
    require(request, "requeue_job")
    queue = queue_or_404(queue_name)
    n = registry_for(queue, "failed").requeue_all()
    messages.success(request, _("Requeued %(n)d failed job(s).") % {"n": n})
    return HttpResponseRedirect(_next_url(request, page_url("dashboard")))

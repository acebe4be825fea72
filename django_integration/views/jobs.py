"""A job's page, and the POST-only actions on jobs and queues.

Destructive actions answer their first POST with a confirmation page whose
form posts again with ``confirmed``; only that second POST changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jobq.job import Job
from jobq.registry import registry_for
from jobq.status import JobStatus
from jobq.timeutil import from_ms
from jobq.worker.maintenance import describe_workers

from ..models import JobAttempt, JobRecord, Schedule, schedule_pk_from
from ..queues import DjangoQueue
from ..records import failure_applies
from ..stats import error_text
from ..urlnames import page_url
from .access import VIEW_PERMISSION, page_context, queue_or_404, require, require_action
from .actions import ACTIONS, Action, done_message, run_many
from .registry import allowed_actions
from .results import job_results
from .untrusted import READ_ERRORS, dependency_ids, status_of


def _result(job: Job) -> Any:
    """The stored result, or why it cannot be shown (e.g. an unloadable pickle)."""
    try:
        return job.return_value()
    except Exception as e:  # a result this process cannot load must not break the page
        return f"<cannot load the result: {e}>"


def _loaded(job: Job) -> dict[str, Any]:
    """Arguments and meta, or ``payload_error``: a payload that cannot be read (corrupt,
    or refused by its signature) is shown as such, never trusted nor fatal to the page."""
    try:
        return {"args": job.args, "kwargs": job.kwargs, "meta": job.meta, "payload_error": ""}
    except READ_ERRORS as e:
        return {"args": None, "kwargs": None, "meta": None, "payload_error": error_text(e)}


def _dependents(queue: DjangoQueue, job: Job) -> list[tuple[str, bool]]:
    """Each dependent's id and whether it still exists (one pipelined read)."""
    ids = job.dependent_ids
    pipe = queue.connection.pipeline(transaction=False)
    for i in ids:
        pipe.exists(queue.keys.job(i))
    return list(zip(ids, (bool(n) for n in pipe.execute()), strict=True))


def _schedule(job: Job) -> Schedule | None:
    pk = schedule_pk_from(job.schedule_id)
    return None if pk is None else Schedule.objects.filter(pk=pk).first()


def _worker(job: Job, status: JobStatus | None) -> dict[str, Any] | None:
    """The worker running ``job`` as the workers' records say: alive or dead, and
    when a dead worker's job goes back to its queue (its lease's end)."""
    if status != JobStatus.STARTED or not job.worker_name:
        return None
    for w in describe_workers(job.connection):
        if w["name"] == job.worker_name:
            lease = next((h["lease_until"] for h in w["held"] if h["id"] == job.id), None)
            return {**w, "retry_at": from_ms(lease) if lease else None}
    return {"name": job.worker_name, "alive": False, "silent_seconds": None, "retry_at": None}


def _attempts(job: Job, status: JobStatus | None) -> list[dict[str, Any]]:
    """Each attempt with its worker and outcome: the recorded ones, then the current
    one (the record of a single attempt that worked is the job itself)."""
    rows: list[dict[str, Any]] = [
        {
            "number": a.number,
            "worker": a.worker,
            "started_at": a.started_at,
            "ended_at": a.ended_at,
            "outcome": a.outcome,
            "error": a.error,
        }
        for a in JobAttempt.objects.filter(job_id=job.id).order_by("number")
    ]
    numbers = {r["number"] for r in rows}
    if job.attempts >= 1 and job.attempts not in numbers and job.started_at is not None:
        outcome = str(status) if status != JobStatus.STARTED else _("running")
        rows.append(
            {
                "number": job.attempts,
                "worker": job.worker_name or "",
                "started_at": job.started_at,
                "ended_at": job.ended_at if status is not None and status.is_terminal else None,
                "outcome": outcome,
                "error": job.reason if status and failure_applies(job, status) else "",
            }
        )
    return rows


@require_GET
def job_detail(
    request: HttpRequest,
    queue_name: str,
    job_id: str,
    template: str = "jobq/job.html",
    result_url: Callable[[str], str] | None = None,
) -> HttpResponse:
    """``template``: another name for the page (django-rq's, extending jobq's);
    ``result_url``: a result id's page (default: jobq's)."""
    require(request, VIEW_PERMISSION)
    queue = queue_or_404(queue_name)
    job = queue.fetch_job(job_id)
    if job is None:
        return _gone(request, queue_name, job_id)
    status, status_error = status_of(job)
    dependencies, dependencies_error = dependency_ids(job)
    progress = job.progress
    failed = status is not None and failure_applies(job, status)
    results, results_error = job_results(job)
    context = page_context(
        request,
        _("Job %(id)s") % {"id": job.id},
        queue=queue,
        job=job,
        status=status,
        status_error=status_error,
        dependencies=dependencies,
        dependencies_error=dependencies_error,
        result=_result(job),
        **_loaded(job),
        dependents=_dependents(queue, job),
        results=[
            (r, (result_url or partial(page_url, "result", queue.name, job.id))(r.id))
            for r in results
        ],
        results_error=results_error,
        progress=progress,
        progress_percent=int(100 * progress[0] / progress[1]) if progress and progress[1] else 0,
        schedule=_schedule(job),
        actions=allowed_actions(request, status),
        # a page of a job that may still change follows it (every second)
        refresh=status is not None and not status.is_terminal,
        reason=_reason(job) if failed else "",
        traceback=job.exc_info if failed else "",
        worker=_worker(job, status),
        attempts=_attempts(job, status),
    )
    return render(request, template, context)


def _gone(request: HttpRequest, queue_name: str, job_id: str) -> HttpResponse:
    """A job Redis no longer holds (deleted, expired, past its result's TTL): its record,
    when there is one and the user may read it."""
    record = JobRecord.objects.filter(job_id=job_id).only("pk").first()
    if record is not None and request.user.has_perm("jobq.view_jobrecord"):
        messages.info(
            request, _("Job %(id)s is no longer in Redis; this is its record.") % {"id": job_id}
        )
        return HttpResponseRedirect(reverse("admin:jobq_jobrecord_change", args=[record.pk]))
    raise Http404(f"no job {job_id!r} in queue {queue_name!r} (it may have expired)")


def _reason(job: Job) -> str:
    """Why it failed, in one line: the short reason and the error's last line."""
    lines = [line for line in (job.exc_info or "").strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    short = job.reason or ""
    return f"{short}: {last}" if short and last and short not in last else (last or short)


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def confirm(
    request: HttpRequest,
    queue: DjangoQueue,
    title: str,
    post: dict[str, Any],
    template: str = "jobq/confirm.html",
) -> HttpResponse:
    context = page_context(request, title, queue=queue, post=post, next=request.POST.get("next"))
    return render(request, template, context)


@require_POST
def job_action(request: HttpRequest, queue_name: str) -> HttpResponse:
    """Run one action on the posted ``job_ids`` (one from a job's page, many from a list)."""
    action: Action | None = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404("unknown action")
    require_action(request, action.permission)
    queue = queue_or_404(queue_name)
    job_ids = [i for i in request.POST.getlist("job_ids") if i]
    back = _next_url(request, page_url("dashboard"))
    if not job_ids:
        messages.warning(request, _("No job selected."))
        return HttpResponseRedirect(back)
    if action.confirm and not request.POST.get("confirmed"):
        title = _("%(action)s %(n)d job(s)?") % {"action": action.label, "n": len(job_ids)}
        return confirm(request, queue, title, {"action": action.name, "job_ids": job_ids})
    done, errors = run_many(action, queue, job_ids)
    messages.success(request, done_message(action.done, done))
    for error in errors:
        messages.error(request, error)
    return HttpResponseRedirect(back)


@require_POST
def empty_queue(request: HttpRequest, queue_name: str) -> HttpResponse:
    require_action(request, "empty_queue")
    queue = queue_or_404(queue_name)
    if not request.POST.get("confirmed"):
        title = _("Empty queue %(name)s (%(n)d queued jobs)?") % {
            "name": queue.name,
            "n": queue.count,
        }
        return confirm(request, queue, title, {})
    n = queue.empty()
    messages.success(request, done_message(_("Deleted"), n))
    return HttpResponseRedirect(_next_url(request, page_url("dashboard")))


@require_POST
def requeue_failed(request: HttpRequest, queue_name: str) -> HttpResponse:
    require_action(request, "requeue_job")
    queue = queue_or_404(queue_name)
    n = registry_for(queue, "failed").requeue_all()
    messages.success(request, done_message(_("Requeued"), n))
    return HttpResponseRedirect(_next_url(request, page_url("dashboard")))

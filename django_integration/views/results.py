"""A job's results: the table on its page and a page per result (django-rq's result page).

jobq keeps a job's latest outcome (``job.results()`` holds at most one, see
:mod:`jobq.results`); its id is the job's id. Nothing read is trusted: a result
that cannot be loaded shows why instead of failing the page.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jobq.job import Job
from jobq.results import Result

from ..stats import error_text
from .access import VIEW_PERMISSION, page_context, queue_or_404, require
from .untrusted import READ_ERRORS


def job_results(job: Job) -> tuple[list[Result], str]:
    """The job's results, and the error that kept them from being read ("" when none)."""
    try:
        return job.results(), ""
    except READ_ERRORS as e:
        return [], error_text(e)


def _shown_value(result: Result) -> Any:
    return result.exc_string if result.exc_string is not None else result.return_value


@require_GET
def result_detail(
    request: HttpRequest,
    queue_name: str,
    job_id: str,
    result_id: str,
    template: str = "jobq/result.html",
) -> HttpResponse:
    require(request, VIEW_PERMISSION)
    queue = queue_or_404(queue_name)
    job = queue.fetch_job(job_id)
    if job is None:
        raise Http404(f"no job {job_id!r} in queue {queue_name!r} (it may have expired)")
    results, error = job_results(job)
    result = next((r for r in results if r.id == result_id), None)
    if result is None and not error:
        raise Http404(f"no result {result_id!r} of job {job_id!r} (jobq keeps the latest)")
    title = _("Result %(id)s") % {"id": result_id}
    context = page_context(
        request,
        title,
        queue=queue,
        job=job,
        result=result,
        result_id=result_id,
        value=_shown_value(result) if result is not None else None,
        error=error,
    )
    return render(request, template, context)

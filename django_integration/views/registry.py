"""One generic job list for every registry of a queue, driven by :data:`LISTS`.

Pages are windows read from Redis (LRANGE / ZRANGE with offsets) plus one
HGETALL per shown job, so a page costs the same with ten jobs or a million.
Search by job id is one lookup of that id, never a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from jobq.job import Job
from jobq.registry import SPECS, registry_for
from jobq.status import JobStatus

from ..queues import DjangoQueue
from .access import VIEW_PERMISSION, has_perm, page_context, queue_or_404, require
from .actions import ACTIONS, BY_STATUS
from .untrusted import status_of

PAGE_SIZE = 25

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


@dataclass(frozen=True)
class JobList:
    name: str
    title: StrOrPromise
    status: JobStatus
    #: what the score of an entry means (sorted-set registries), for the column title
    score: str | None


LISTS: dict[str, JobList] = {
    "queued": JobList("queued", _("Queued"), JobStatus.QUEUED, None),
    **{
        spec.name: JobList(spec.name, _(spec.name.capitalize()), spec.status, spec.score)
        for spec in SPECS.values()
    },
}

#: the dashboard's column order
ORDER = ("queued", "scheduled", "started", "deferred", "finished", "failed", "canceled")


def count(queue: DjangoQueue, name: str) -> int:
    return queue.count if name == "queued" else registry_for(queue, name).count


def window(queue: DjangoQueue, name: str, offset: int, limit: int) -> list[Job]:
    """The jobs of one page, in the registry's order."""
    if name == "queued":
        return queue.get_jobs(offset, limit)
    return registry_for(queue, name).get_jobs(offset, limit)


def _find(queue: DjangoQueue, job_list: JobList, job_id: str) -> list[Job]:
    job = queue.fetch_job(job_id)
    return [job] if job is not None and status_of(job)[0] == job_list.status else []


def _page_number(raw: str | None, pages: int) -> int:
    try:
        number = int(raw or 1)
    except ValueError:
        number = 1
    return min(max(number, 1), pages)


def allowed_actions(request: HttpRequest, status: JobStatus | None) -> list[Any]:
    """The actions a user may run on jobs of ``status`` (buttons not shown otherwise)."""
    names = BY_STATUS.get(status, ()) if status is not None else ()
    return [ACTIONS[n] for n in names if has_perm(request, ACTIONS[n].permission)]


@require_GET
def registry_list(
    request: HttpRequest, queue_name: str, registry: str, template: str = "jobq/registry.html"
) -> HttpResponse:
    """``template``: another name for the page (django-rq's, extending jobq's)."""
    require(request, VIEW_PERMISSION)
    job_list = LISTS.get(registry)
    if job_list is None:
        raise Http404(f"no registry named {registry!r}; known: {', '.join(LISTS)}")
    queue = queue_or_404(queue_name)
    search = request.GET.get("q", "").strip()
    total = count(queue, registry)
    pages = max(1, -(-total // PAGE_SIZE))
    number = _page_number(request.GET.get("page"), pages)
    if search:
        jobs = _find(queue, job_list, search)
    else:
        jobs = window(queue, registry, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    context = page_context(
        request,
        f"{queue.name}: {job_list.title}",
        queue=queue,
        job_list=job_list,
        jobs=jobs,
        total=total,
        page=number,
        pages=pages,
        previous_page=number - 1 if number > 1 else None,
        next_page=number + 1 if number < pages else None,
        search=search,
        actions=allowed_actions(request, job_list.status),
        can_empty=registry == "queued" and has_perm(request, "empty_queue"),
        can_requeue_all=registry == "failed" and has_perm(request, "requeue_job"),
    )
    return render(request, template, context)

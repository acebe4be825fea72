"""A queue's workers, and one worker's page (django-rq's workers pages).

Both read only the Redis of the queue asked for: another configured Redis being down
changes nothing here. When this queue's own Redis cannot be reached, the page says so
with the error (200), as the dashboard does, rather than failing.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jobq import keys
from jobq.worker import BaseWorker
from jobq.worker.maintenance import describe_workers

from ..stats import UNREACHABLE, error_text
from ..workers import get_worker_class
from .access import VIEW_PERMISSION, page_context, queue_or_404, require
from .stats import worker_row


def _serves(row: dict[str, Any], queue_name: str) -> bool:
    return queue_name in str(row.get("queues", "")).split(",")


def _handle(row: dict[str, Any], connection: Any) -> BaseWorker | None:
    return get_worker_class().find_by_key(row["key"], connection)


def _row(w: dict[str, Any]) -> dict[str, Any]:
    return {**worker_row(w), "key": keys.worker(w["name"])}


@require_GET
def workers_page(
    request: HttpRequest, queue_name: str, template: str = "jobq/workers.html"
) -> HttpResponse:
    """``context["workers"]``: worker handles (rq's ``Worker``), ``rows``: what each reports."""
    require(request, VIEW_PERMISSION)
    queue = queue_or_404(queue_name)
    rows: list[dict[str, Any]] = []
    handles: list[BaseWorker] = []
    error = ""
    try:
        for w in describe_workers(queue.connection):
            if not _serves(w, queue.name):
                continue
            row = _row(w)
            handle = _handle(row, queue.connection)
            if handle is not None:  # None: its record expired meanwhile
                rows.append(row)
                handles.append(handle)
    except UNREACHABLE as e:
        error = error_text(e)
    title = _("Workers of %(queue)s") % {"queue": queue.name}
    context = page_context(request, title, queue=queue, workers=handles, rows=rows, error=error)
    return render(request, template, context)


@require_GET
def worker_page(
    request: HttpRequest, queue_name: str, key: str, template: str = "jobq/worker.html"
) -> HttpResponse:
    """``key``: the worker's record key (rq's ``worker.key``)."""
    require(request, VIEW_PERMISSION)
    queue = queue_or_404(queue_name)
    try:
        worker = get_worker_class().find_by_key(key, queue.connection)
        row = next(
            (_row(w) for w in describe_workers(queue.connection) if keys.worker(w["name"]) == key),
            None,
        )
    except UNREACHABLE as e:
        context = page_context(request, key, queue=queue, error=error_text(e))
        return render(request, template, context)
    if worker is None or row is None:
        raise Http404(f"no worker record at {key!r} (a worker's record expires once it stops)")
    title = _("Worker %(name)s") % {"name": worker.name}
    context = page_context(request, title, queue=queue, worker=worker, row=row)
    return render(request, template, context)

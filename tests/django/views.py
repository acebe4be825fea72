"""Views the tests call: each enqueues from inside a request, as an app would."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse

from . import standard_tasks, tasks


def enqueue_add(request: HttpRequest) -> JsonResponse:
    with transaction.atomic():
        job = tasks.slow_add.delay(int(request.GET["a"]), int(request.GET["b"]))
    return JsonResponse({"job_id": job.id})


def enqueue_fail(request: HttpRequest) -> JsonResponse:
    job = tasks.explode.delay(request.GET.get("message", "boom"))
    return JsonResponse({"job_id": job.id})


class Rollback(Exception):
    pass


def enqueue_in_rollback(request: HttpRequest) -> JsonResponse:
    job_id = None
    try:
        with transaction.atomic():
            job_id = tasks.mark.delay(request.GET["path"]).id
            raise Rollback
    except Rollback:
        pass
    return JsonResponse({"job_id": job_id})


def enqueue_standard_task(request: HttpRequest) -> JsonResponse:
    """Django's standard Tasks API, as a view written for it would call it."""
    with transaction.atomic():
        result = standard_tasks.add.enqueue(int(request.GET["a"]), int(request.GET["b"]))
    return JsonResponse({"result_id": result.id, "status": str(result.status)})

"""Views the tests call: each enqueues from inside a request, as an app would."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse

from jobq.django_integration import get_async_queue

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


async def enqueue_and_wait(request: HttpRequest) -> JsonResponse:
    """An async view: enqueues without blocking the event loop and awaits the result."""
    a, b = int(request.GET["a"]), int(request.GET["b"])
    job = await get_async_queue("default").enqueue(tasks.slow_add, a, b, seconds=0)
    value = await job.wait(float(request.GET.get("timeout", 30)))
    return JsonResponse({"job_id": job.id, "result": value})

"""The demo's views, as written for django-rq (imports changed only)."""

from datetime import datetime

from django.http import JsonResponse

from jobq import Job  # was: from rq.job import Job
from jobq.django_integration import get_connection, get_scheduler  # was: from django_rq import ...

from .tasks import count_words, long_running_task, scheduled_get_url_words


def enqueue(request):
    job = long_running_task.delay()
    words = count_words.delay(request.GET.get("text", "a few words here"))
    return JsonResponse({"job_id": job.get_id(), "words_job_id": words.id})


def schedule(request):
    scheduler = get_scheduler("default")
    job = scheduler.schedule(
        scheduled_time=datetime.now(),
        func=scheduled_get_url_words,
        args=[request.GET.get("url", "http://example.com/some/page")],
        interval=int(request.GET.get("interval", 1)),
        repeat=int(request.GET.get("repeat", 2)),
    )
    return JsonResponse({"job_id": job.id})


def job_status(request, job_id):
    job = Job.fetch(job_id, connection=get_connection("default"))
    return JsonResponse({"id": job.id, "status": job.get_status(), "result": job.result})

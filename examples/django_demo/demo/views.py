"""The demo's pages: forms that enqueue or schedule jobs, and a JSON view the
index page polls to show tasks, schedules, progress and thumbnails live."""

import uuid

from django import forms
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jobq import Job
from jobq.django_integration import get_connection
from jobq.django_integration.models import JobRecord, Schedule
from jobq.exceptions import NoSuchJobError

from .models import Photo
from .tasks import get_url_words, long_task, send_demo_mail

SAMPLE_TEXT = (
    "jobq is a Redis-backed job queue for Python. This page is part of the demo: "
    "the machine may be offline, so the word counter reads it instead of the web."
)


class WordsForm(forms.Form):
    url = forms.URLField(label="URL")
    times = forms.IntegerField(label="Number of times", min_value=1, initial=1)
    interval = forms.IntegerField(label="Interval (seconds)", min_value=1, initial=5)


class PhotoForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = ["image"]


class MailForm(forms.Form):
    to = forms.EmailField(initial="someone@example.com")


def index(request):
    words_form = WordsForm(initial={"url": request.build_absolute_uri("/sample/")})
    return render(
        request,
        "demo/index.html",
        {"words_form": words_form, "photo_form": PhotoForm(), "mail_form": MailForm()},
    )


def sample(request):
    return HttpResponse(f"<html><body><p>{SAMPLE_TEXT}</p></body></html>")


@require_POST
def words(request):
    form = WordsForm(request.POST)
    if not form.is_valid():
        return HttpResponse(f"Invalid: {form.errors.as_text()}", status=400)
    url, times = form.cleaned_data["url"], form.cleaned_data["times"]
    if times == 1:
        get_url_words.delay(url)
    else:  # a Schedule row: the scheduler picks it up when this transaction commits
        Schedule.objects.create(
            name=f"words-{uuid.uuid4().hex[:8]}",
            func="demo.tasks.get_url_words",
            args=[url],
            queue="default",
            interval=form.cleaned_data["interval"],
            repeat=times,
            first_run=timezone.now(),
        )
    return redirect("index")


@require_POST
def long(request):
    long_task.delay()
    return redirect("index")


@require_POST
def photo(request):
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return HttpResponse(f"Invalid: {form.errors.as_text()}", status=400)
    form.save()  # post_save enqueues the thumbnail
    return redirect("index")


@require_POST
def mail(request):
    form = MailForm(request.POST)
    if not form.is_valid():
        return HttpResponse(f"Invalid: {form.errors.as_text()}", status=400)
    send_demo_mail.delay(form.cleaned_data["to"])
    return redirect("index")


def _progress(record):
    """Percent done: from Redis while the job runs, from the record once it ended."""
    progress = record.progress
    if record.status in ("queued", "started"):
        try:
            job = Job.fetch(record.job_id, connection=get_connection(record.queue))
            progress = job.progress
        except NoSuchJobError:
            pass
    return round(100 * progress[0] / progress[1]) if progress else None


def _task(record):
    return {
        "id": record.job_id,
        "func": record.func.rpartition(".")[2],
        "args": record.args,
        "queue": record.queue,
        "status": record.status,
        "result": record.result,
        "error": record.error,
        "progress": _progress(record),
    }


def state(request):
    tasks = JobRecord.objects.filter(schedule=None)[:20]
    schedules = Schedule.objects.order_by("-created_at")[:10]
    mail_dir = settings.EMAIL_FILE_PATH
    return JsonResponse(
        {
            "tasks": [_task(r) for r in tasks],
            "schedules": [
                {
                    "name": s.name,
                    "interval": s.interval,
                    "repeat": s.repeat,
                    "runs": [_task(r) for r in s.job_records.order_by("enqueued_at", "id")],
                }
                for s in schedules
            ],
            "photos": [
                {"image": p.image.url, "thumbnail": p.thumbnail.url if p.thumbnail else None}
                for p in Photo.objects.all()[:10]
            ],
            "mails": len(list(mail_dir.glob("*.log"))) if mail_dir.exists() else 0,
        }
    )

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
from jobq.django_integration import get_connection, get_queue
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


def index(request, status=200, **bound):
    """The page; after a refused form, the same page with that form's errors (400)."""
    forms_ = {
        "words_form": WordsForm(initial={"url": request.build_absolute_uri("/sample/")}),
        "photo_form": PhotoForm(),
        "mail_form": MailForm(),
        **bound,
    }
    return render(request, "demo/index.html", {**forms_, "mail_dir": _shown(settings.EMAIL_FILE_PATH)}, status=status)


def _shown(path):
    """A folder as the reader finds it: relative to the repository when inside it."""
    try:
        return str(path.relative_to(settings.ROOT))
    except ValueError:
        return str(path)


def sample(request):
    return HttpResponse(f"<html><body><p>{SAMPLE_TEXT}</p></body></html>")


@require_POST
def words(request):
    form = WordsForm(request.POST)
    if not form.is_valid():
        return index(request, status=400, words_form=form)
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
def cancel(request, job_id):
    """Cancel a task from the page (the long task notices and stops)."""
    record = JobRecord.objects.filter(job_id=job_id).first()
    if record is not None:
        job = get_queue(record.queue).fetch_job(job_id)
        if job is not None and job.get_status() in ("queued", "started", "scheduled"):
            job.cancel()  # its row follows through jobq's change hooks
    return redirect("index")


@require_POST
def photo(request):
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return index(request, status=400, photo_form=form)
    form.save()  # post_save enqueues the thumbnail
    return redirect("index")


@require_POST
def mail(request):
    form = MailForm(request.POST)
    if not form.is_valid():
        return index(request, status=400, mail_form=form)
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
        "reason": record.reason,
        "func": record.func.rpartition(".")[2],
        "args": record.args,
        "queue": record.queue,
        "status": record.status,
        "result": record.result,
        "error": record.error,
        "progress": _progress(record),
    }


def _photos(photos):
    """Each photo with its thumbnail, or how its thumbnail job stands (with the reason
    when it failed): the job record of ``make_thumbnail(photo.pk)`` says."""
    photos = list(photos)
    jobs = {}
    for r in JobRecord.objects.filter(func="demo.tasks.make_thumbnail").order_by("enqueued_at"):
        if r.args:
            jobs[r.args[0]] = r  # the latest job of each photo
    out = []
    for p in photos:
        record = jobs.get(p.pk)
        out.append(
            {
                "image": p.image.url,
                "thumbnail": p.thumbnail.url if p.thumbnail else None,
                "status": record.status if record else "queued",
                "error": (record.error or record.reason) if record else "",
            }
        )
    return out


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
                    "state": str(s.state),
                    "interval": s.interval,
                    "repeat": s.repeat,
                    "runs": [_task(r) for r in s.job_records.order_by("enqueued_at", "id")],
                }
                for s in schedules
            ],
            "photos": _photos(Photo.objects.all()[:10]),
            "mails": len(list(mail_dir.glob("*.log"))) if mail_dir.exists() else 0,
        }
    )

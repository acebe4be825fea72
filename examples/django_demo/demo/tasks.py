"""The demo's jobs, routed to the three queues by priority."""

import html
import io
import re
import time
import urllib.request
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.mail import send_mail

from jobq import get_current_job
from jobq.django_integration import job
from jobq.status import JobStatus


@job("default")
def get_url_words(url):
    """Fetch ``url`` and count the words of its text (the classic django-rq demo task)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        page = response.read().decode("utf-8", "replace")
    text = re.sub(r"(?s)<(script|style).*?</\1>|<[^>]+>", " ", page)
    return len(html.unescape(text).split())


@job("low", timeout=300)
def long_task(steps=60, pause=0.5):
    """Works for about 30 s, long enough to watch (or to try ``kill -9`` on its worker),
    and reports its progress (shown as a bar). Canceled from the page, it stops at its
    next step."""
    current = get_current_job()
    for done in range(1, steps + 1):
        time.sleep(pause)
        if current.get_status() == JobStatus.CANCELED:
            return f"canceled after {done} of {steps} steps"
        current.set_progress(done, steps)
    return f"{steps} steps done"


@job("low")
def make_thumbnail(photo_id, size=128):
    from PIL import Image

    from .models import Photo

    photo = Photo.objects.get(pk=photo_id)
    with photo.image.open("rb") as f, Image.open(f) as image:
        image.thumbnail((size, size))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG")
    name = f"{Path(photo.image.name).stem}-{size}.png"
    photo.thumbnail.save(name, ContentFile(out.getvalue()), save=False)
    photo.save(update_fields=["thumbnail"])
    return photo.thumbnail.url


@job("high")
def send_demo_mail(to, subject="Hello from jobq"):
    sent = send_mail(subject, "This e-mail was sent by a jobq worker.", None, [to])
    return f"{sent} e-mail sent to {to}"

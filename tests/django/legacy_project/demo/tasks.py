"""The demo's tasks, as written for django-rq (imports changed only)."""

import time

from jobq import get_current_job  # was: from rq import get_current_job
from jobq.django_integration import job  # was: from django_rq import job


@job
def long_running_task(job_id_holder=None):
    job = get_current_job()
    time.sleep(0.2)
    return f"job id: {job.get_id()}"


@job
def count_words(text):
    return len(text.split())


@job
def scheduled_get_url_words(url):
    """The demo fetched ``url`` with requests; here the "page" is the URL itself
    (no network in tests), so the count is of its words."""
    job = get_current_job()
    return {"job": job.get_id(), "words": len(url.replace("/", " ").split())}

"""Tasks written against Django's standard Tasks API only (``@task``), run by jobq
workers through ``JobqBackend`` (settings.TASKS). The second half is the
framework's own documentation examples, with their bodies as the docs give them.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from django.core.mail import send_mail

from jobq import get_current_job

try:  # Django >= 6.0
    from django.tasks import task
except ImportError:  # the django-tasks backport
    from django_tasks import task

logger = logging.getLogger(__name__)


class Boom(Exception):
    pass


@task
def add(a: int, b: int) -> int:
    return a + b


@task()
def explode(message: str) -> None:
    raise ValueError(message)


@task
def explode_custom(message: str) -> None:
    raise Boom(message)


@task
async def async_add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


@task(takes_context=True)
def whoami(context: Any) -> dict[str, Any]:
    return {
        "id": context.task_result.id,
        "attempt": context.attempt,
        "status": str(context.task_result.status),
    }


@task
def flaky(path: str) -> int:
    """Fails on its first run, succeeds on the next (a file counts the runs)."""
    marker = Path(path)
    runs = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(runs))
    if runs == 1:
        raise RuntimeError("first run fails")
    return runs


@task
def progress(steps: int) -> int:
    """jobq's progress reporting, from inside a standard task."""
    job = get_current_job()
    assert job is not None
    for i in range(steps):
        job.set_progress(i + 1, steps)
    return steps


@task
def returns_a_set() -> Any:
    return {1, 2}


def plain(x: int) -> int:
    return x


#: a task whose dotted path (``...plain``) leads to the function, not to the task
renamed = task(plain)


# -- the examples of Django's Tasks documentation (topics/tasks) --------------------


@task
def email_users(emails, subject, message):
    return send_mail(subject=subject, message=message, from_email=None, recipient_list=emails)


@task(priority=2, queue_name="emails")
def email_users_on_emails_queue(emails, subject, message):
    return send_mail(subject=subject, message=message, from_email=None, recipient_list=emails)


@task(takes_context=True)
def email_users_with_context(context, emails, subject, message):
    logger.debug(
        f"Attempt {context.attempt} to send user email. Task result id: {context.task_result.id}."
    )
    return send_mail(subject=subject, message=message, from_email=None, recipient_list=emails)


@task()
def double_dictionary(key):
    return {key: key * 2}


@task
def process_data(data):
    return data


@task
def my_task(thing_num):
    # the docs' Thing model; a user stands for it here
    from django.contrib.auth.models import User

    return User.objects.get(username=f"thing-{thing_num}").username

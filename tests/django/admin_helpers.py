"""Helpers of the admin tests: users with chosen permissions, jobs put in a registry
through the real transitions (no worker needed)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission, User

from jobq import transitions
from jobq.django_integration import get_queue
from jobq.job import Job


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    perms = Permission.objects.filter(content_type__app_label="jobq", codename__in=codenames)
    assert perms.count() == len(codenames), codenames
    user.user_permissions.add(*perms)
    return user


def superuser(username: str = "root") -> User:
    return User.objects.create_superuser(username, password="pw")


def failed_job(queue: str = "default", message: str = "ZeroDivisionError: boom") -> Job:
    """A job that ran once on a (pretend) worker and failed with a traceback."""
    q = get_queue(queue, commit_mode="immediate")
    job = take(q.enqueue("tests.fixtures.jobs.fail", message))
    tb = f"Traceback (most recent call last):\n  ...\n{message}"
    transitions.fail(q.connection, q.keys, "w1", [(job.id, tb, message)])
    return job


def started_job(queue: str = "default", **kwargs: Any) -> Job:
    q = get_queue(queue, commit_mode="immediate")
    return take(q.enqueue("tests.fixtures.jobs.noop", **kwargs))


def take(job: Job) -> Job:
    """Dequeue ``job`` as worker "w1" would; other queued jobs go back where they were."""
    q = get_queue(job.origin, commit_mode="immediate")
    taken = [t[0] for t in transitions.dequeue(q.connection, q.keys, "w1", 1000, 60_000)]
    assert job.id in taken
    transitions.release(q.connection, q.keys, "w1", [i for i in taken if i != job.id])
    return job

"""Job functions of the test project (importable by worker processes)."""

from __future__ import annotations

import time
from typing import Any

from jobq import get_current_job
from jobq.django_integration import job


@job
def slow_add(a: int, b: int, seconds: float = 1.0) -> int:
    time.sleep(seconds)
    return a + b


@job("high")
def explode(message: str) -> None:
    raise ValueError(message)


@job
def mark(path: str) -> str:
    current = get_current_job()
    assert current is not None
    with open(path, "a") as f:
        f.write(current.id + "\n")
    return current.id


@job("low")
def add(a: int, b: int) -> int:
    return a + b


def count_users() -> int:
    from django.contrib.auth.models import User

    return User.objects.count()


def progress(steps: int) -> int:
    current = get_current_job()
    assert current is not None
    for i in range(steps):
        current.set_progress(i + 1, steps)
    return steps


def echo(*args: Any, **kwargs: Any) -> list[Any]:
    return [list(args), kwargs]


not_a_function = 42


def _private() -> None:
    return None


@job("high", timeout=1)
def hang(seconds: float) -> None:
    """Deaf to the in-job timeout alarm, so only the supervisor's kill stops it."""
    import signal

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(seconds)


def job_class_name() -> str:
    """The class of the handle this job runs with (``RQ['JOB_CLASS']``, ``job_class=``)."""
    from jobq import get_current_job

    current = get_current_job()
    return type(current).__name__ if current is not None else ""

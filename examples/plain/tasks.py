"""Job functions of the plain-Python example; a worker imports them by path."""

from __future__ import annotations

import time

from jobq import get_current_job, job


@job("default")
def count_words(text: str) -> int:
    return len(text.split())


def slow_square(n: int) -> int:
    job_ = get_current_job()
    for step in range(1, 4):
        time.sleep(0.05)
        if job_ is not None:
            job_.set_progress(step, 3)
    return n * n


def flaky(counter_key: str) -> str:
    """Fails on its first attempt, then succeeds (to show retries)."""
    job_ = get_current_job()
    assert job_ is not None
    if job_.attempts < 2:
        raise RuntimeError("first attempt fails on purpose")
    return f"succeeded on attempt {job_.attempts}"

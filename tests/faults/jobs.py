"""Job functions for the fault suite: each run leaves a line, so a test can count
how many times every job really ran."""

from __future__ import annotations

import os
import resource
import time

from jobq import get_current_job


def work(runs: str, seconds: float = 0.0) -> str:
    """Append this job's id to ``runs`` as it starts (one ``write`` on an O_APPEND file:
    whole lines even when an executor is killed), then sleep ``seconds``."""
    job = get_current_job()
    assert job is not None
    fd = os.open(runs, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{job.id}\n".encode())
    finally:
        os.close(fd)
    if seconds:
        time.sleep(seconds)
    return job.id


def exhaust_memory(headroom_mb: int = 200) -> None:
    """Allocate until MemoryError under an address-space limit this job sets on its own
    executor (the limit is lifted again before the error leaves the job)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        size = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + headroom_mb * 2**20, hard))
    hog: list[bytearray] = []
    try:
        while True:
            hog.append(bytearray(2**20))
    except MemoryError:
        hog.clear()
        raise
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def recurse(depth: int = 0) -> int:
    return recurse(depth + 1) + 1


def never_returns() -> None:
    while True:
        time.sleep(0.01)

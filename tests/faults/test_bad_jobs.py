"""Jobs that exhaust memory or recursion, never return, or take their executor down,
mixed into a flow of ordinary jobs: each fails with its reason, the others finish,
the worker goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from jobq import Job, Queue
from jobq.status import JobStatus
from tests.conftest import Processes
from tests.fixtures import jobs as fixtures

from .conftest import Flow

pytestmark = pytest.mark.slow


def test_jobs_that_exhaust_memory_recursion_or_time(
    procs: Processes, conn: redis.Redis, flow: Flow, tmp_path: Path
) -> None:
    q = Queue(connection=conn)
    bad: dict[str, tuple[Job, str]] = {}

    def bad_job(name: str, reason: str, func: object, *args: object, **options: object) -> None:
        bad[name] = (q.enqueue(func, *args, **options), reason)  # type: ignore[arg-type]
        flow.ids.append(bad[name][0].id)
        flow.faults += 1

    worker = procs.worker("--lease", "1", "--concurrency", "2")
    flow.enqueue(100, seconds=0.002)
    bad_job("memory", "MemoryError", "tests.faults.jobs.exhaust_memory")
    flow.enqueue(100, seconds=0.002)
    bad_job("recursion", "RecursionError", "tests.faults.jobs.recurse")
    bad_job("never returns", "timeout", "tests.faults.jobs.never_returns", job_timeout=1)
    bad_job("busy loop", "timeout", fixtures.busy_loop, 60, job_timeout=1)
    bad_job(
        "stuck in C", "timeout", fixtures.ignore_alarm_sleep, str(tmp_path / "x"), 60,
        job_timeout=1,
    )  # fmt: skip
    bad_job("exits", "worker child died", fixtures.kill_self)
    flow.enqueue(100, seconds=0.002)
    flow.wait_all_ended(timeout=60)
    for name, (job, reason) in bad.items():
        job.refresh()
        assert job.get_status() == JobStatus.FAILED, name
        assert job.reason == reason, (name, job.reason)
    assert worker.poll() is None
    figures = flow.account("bad_jobs", max_duplicates=0, bad_jobs=len(bad))
    assert figures["finished"] == 300 and figures["failed"] == len(bad)

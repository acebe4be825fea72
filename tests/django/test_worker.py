"""A real worker process (``manage.py rqworker``) and the rows it leaves."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.test import Client

from jobq import defaults
from jobq.django_integration import get_queue
from jobq.django_integration.models import JobRecord
from jobq.status import JobStatus
from tests.conftest import wait_until

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)


def _status(job_id: str) -> str:
    return JobRecord.objects.values_list("status", flat=True).get(job_id=job_id)


def test_view_delay_row_goes_queued_started_finished(client: Client, manage: Manage) -> None:
    job_id = client.get("/enqueue/add/", {"a": 2, "b": 3}).json()["job_id"]
    record = JobRecord.objects.get(job_id=job_id)
    assert record.status == JobStatus.QUEUED
    assert (record.func, record.args, record.queue) == (
        "tests.django.tasks.slow_add",
        [2, 3],
        "default",
    )
    assert record.enqueued_at is not None

    worker = manage.start("rqworker", "--burst", "default")
    seen = []

    def observe() -> bool:
        status = _status(job_id)
        if not seen or seen[-1] != status:
            seen.append(status)
        return status == JobStatus.FINISHED

    wait_until(observe, timeout=30, interval=0.02)
    assert seen[:1] == ["queued"] and "started" in seen and seen[-1] == "finished", seen
    assert worker.wait(30) == 0, manage.log(worker)
    record.refresh_from_db()
    assert record.result == 5
    assert record.attempts == 1
    assert record.worker
    assert record.started_at and record.ended_at and record.duration and record.duration >= 0.9
    assert get_queue().fetch_job(job_id).result == 5  # type: ignore[union-attr]


def test_failing_job_leaves_its_traceback(client: Client, manage: Manage) -> None:
    job_id = client.get("/enqueue/fail/", {"message": "kaboom 42"}).json()["job_id"]
    manage.run("rqworker", "--burst", "high")
    record = JobRecord.objects.get(job_id=job_id)
    assert record.status == JobStatus.FAILED
    assert record.error == "ValueError: kaboom 42"
    assert "Traceback (most recent call last)" in record.traceback
    assert "raise ValueError(message)" in record.traceback
    assert record.queue == "high"


def test_rollback_runs_nothing(client: Client, manage: Manage, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    job_id = client.get("/enqueue/in-rollback/", {"path": str(marker)}).json()["job_id"]
    assert job_id  # .delay() returned the job with its id inside the transaction
    manage.run("rqworker", "--burst", "default")
    assert not marker.exists()
    assert not JobRecord.objects.filter(job_id=job_id).exists()
    assert get_queue().fetch_job(job_id) is None


def test_jobs_use_the_database_in_the_worker(manage: Manage) -> None:
    from django.contrib.auth.models import User

    User.objects.create(username="ann")
    User.objects.create(username="bob")
    jobs = [get_queue().enqueue("tests.django.tasks.count_users") for _ in range(3)]
    manage.run("rqworker", "--burst", "--concurrency", "2")
    for job in jobs:
        assert JobRecord.objects.get(job_id=job.id).result == 2


def test_many_fast_jobs_are_all_recorded(manage: Manage) -> None:
    queue = get_queue("low")
    jobs = queue.enqueue_many(
        [queue.prepare_data("tests.django.tasks.echo", [i]) for i in range(150)]
    )
    started = time.monotonic()
    manage.run("rqworker", "--burst", "low")
    assert time.monotonic() - started < 60
    rows = dict(JobRecord.objects.values_list("job_id", "status"))
    assert all(rows[j.id] == "finished" for j in jobs)


def test_job_killed_at_its_timeout_is_recorded_as_failed(manage: Manage) -> None:
    from tests.django import tasks

    job = tasks.hang.delay(30)
    manage.run("rqworker", "--burst", "high", timeout=60)
    row = JobRecord.objects.get(job_id=job.id)
    assert row.status == JobStatus.FAILED
    assert row.reason == "timeout" and "its executor was killed" in row.error
    assert row.ended_at is not None


@pytest.mark.parametrize(
    "reaper_command",
    [["rqworker", "--lease", "1", "default"], ["rqscheduler", "--interval", "0.2"]],
    ids=["worker", "scheduler"],
)
def test_a_job_of_a_worker_killed_whole_gets_its_row_from_the_reaper(
    manage: Manage, reaper_command: list[str]
) -> None:
    """kill -9 of a whole worker (supervisor and children): nobody ran ``after_job``.
    The worker or scheduler that reaps the expired lease updates the job's row."""
    queue = get_queue()
    job = queue.enqueue("tests.fixtures.jobs.sleep", 60)
    doomed = manage.start("rqworker", "--lease", "1", "default")
    wait_until(lambda: _status(job.id) == JobStatus.STARTED, timeout=30)
    # its last life: this reap fails it ("worker died") instead of requeueing it
    queue.connection.hset(queue.keys.job(job.id), "lost", defaults.MAX_LOST - 1)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    reaper = manage.start(*reaper_command)
    try:
        wait_until(lambda: _status(job.id) == JobStatus.FAILED, timeout=45)
    finally:
        manage.stop_warm(reaper)
    record = JobRecord.objects.get(job_id=job.id)
    assert record.reason == "worker died"
    assert record.ended_at is not None


def test_worker_done_and_failed_counts_follow_the_queue_counts(manage: Manage) -> None:
    """The dashboard's per-worker counts reach the queue's within a second (a worker
    publishes its record at every upkeep tick, not only at its 10 s heartbeat)."""
    import re

    from django.urls import reverse

    from tests.django.admin_helpers import superuser

    manage.start("rqworker", "default")
    q = get_queue("default", commit_mode="immediate")
    warm = q.enqueue("tests.fixtures.jobs.noop")
    wait_until(lambda: warm.get_status() == JobStatus.FINISHED, timeout=30)
    time.sleep(1)  # past the worker's first heartbeat; the next is 10 s away
    for _ in range(3):
        q.enqueue("tests.fixtures.jobs.noop")
    q.enqueue("tests.fixtures.jobs.fail", "no")
    wait_until(lambda: q.finished_job_registry.count == 4 and q.failed_job_registry.count == 1)
    time.sleep(1.0)
    client = Client()
    client.force_login(superuser())
    page = client.get(reverse("jobq:dashboard")).content.decode()
    assert re.search(r'<td class="done">4</td><td class="failed">1</td>', page), page


def test_rqsuspend_with_a_duration_stops_new_jobs_at_once_then_resumes(manage: Manage) -> None:
    manage.start("rqworker", "default")
    q = get_queue("default", commit_mode="immediate")
    warm = q.enqueue("tests.fixtures.jobs.noop")
    wait_until(lambda: warm.get_status() == JobStatus.FINISHED, timeout=30)
    out = manage.run("rqsuspend", "--duration", "3")
    assert "no new job starts for 3 s (or until rqresume)" in out
    suspended = time.monotonic()
    time.sleep(1.0)
    held = q.enqueue("tests.fixtures.jobs.noop")
    time.sleep(max(0.0, 2.0 - (time.monotonic() - suspended)))
    assert held.get_status() == JobStatus.QUEUED  # suspended, though its heartbeat is 10 s away
    wait_until(lambda: held.get_status() == JobStatus.FINISHED, timeout=10)

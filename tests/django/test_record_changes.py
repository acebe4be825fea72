"""Every change a person makes or a job suffers outside a worker's run reaches its
``JobRecord`` at once, through the change hooks (not page by page): cancel, delete,
requeue, empty, expiry, and each attempt of a job whose worker died."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest
from django.test import Client

from jobq.django_integration import get_queue
from jobq.django_integration.models import JobAttempt, JobRecord
from jobq.registry import registry_for
from jobq.status import JobStatus
from tests.conftest import wait_until
from tests.django.admin_helpers import superuser

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)

NOOP = "tests.fixtures.jobs.noop"


def row(job_id: str) -> JobRecord:
    return JobRecord.objects.get(job_id=job_id)


def test_emptying_a_queue_marks_its_jobs_deleted() -> None:
    queue = get_queue()
    jobs = [queue.enqueue(NOOP) for _ in range(3)]
    assert {row(j.id).status for j in jobs} == {"queued"}
    client = Client()
    client.force_login(superuser())
    client.post("/admin/jobq/queues/default/empty/", {"confirmed": "1"})
    assert queue.count == 0
    assert {row(j.id).status for j in jobs} == {"deleted"}
    assert all(row(j.id).ended_at is not None for j in jobs)


def test_queue_empty_from_code_and_delete_reach_the_rows() -> None:
    queue = get_queue()
    emptied, deleted = queue.enqueue(NOOP), queue.enqueue_in(dt.timedelta(seconds=60), NOOP)
    assert row(deleted.id).status == "scheduled"
    queue.empty()
    deleted.delete()
    assert (row(emptied.id).status, row(deleted.id).status) == ("deleted", "deleted")


def test_cancel_and_requeue_reach_the_rows() -> None:
    queue = get_queue()
    job = queue.enqueue(NOOP)
    job.cancel()
    assert row(job.id).status == "canceled"
    registry_for(queue, "canceled").requeue(job.id)
    assert row(job.id).status == "queued"


def test_a_job_whose_ttl_passed_is_marked_expired(manage: Manage) -> None:
    queue = get_queue("low")
    job = queue.enqueue(NOOP, ttl=1)
    manage.start("rqworker", "default")  # idle, on another queue: its upkeep sweeps
    wait_until(lambda: row(job.id).status == "expired", timeout=10, interval=0.1)
    assert "ttl" in row(job.id).reason
    expired_for = time.time() - (job.enqueued_at.timestamp() + 1)  # type: ignore[union-attr]
    assert expired_for < 5  # workers look every second


def test_a_requeued_failed_job_shows_no_old_traceback_while_it_runs(manage: Manage) -> None:
    from tests.django import tasks

    job = tasks.explode.delay("first run")
    manage.run("rqworker", "--burst", "high", timeout=60)
    assert "first run" in row(job.id).error
    queue = get_queue("high")
    registry_for(queue, "failed").requeue(job.id)
    record = row(job.id)
    assert (record.status, record.error, record.traceback, record.reason) == ("queued", "", "", "")


def test_each_attempt_of_a_job_whose_worker_was_killed_is_recorded(manage: Manage) -> None:
    queue = get_queue()
    job = queue.enqueue("tests.fixtures.jobs.sleep", 2)
    doomed = manage.start("rqworker", "--lease", "1", "--name", "doomed", "default")
    wait_until(lambda: row(job.id).status == JobStatus.STARTED, timeout=30)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    manage.start("rqworker", "--lease", "1", "--name", "heir", "default")
    wait_until(lambda: row(job.id).status == JobStatus.FINISHED, timeout=45)
    attempts = list(JobAttempt.objects.filter(job_id=job.id).order_by("number"))
    assert [(a.number, a.worker.split(".")[0], a.outcome) for a in attempts] == [
        (1, "doomed", "worker died"),
        (2, "heir", "finished"),
    ]


def test_a_job_canceled_while_it_runs_stays_canceled_in_its_row(manage: Manage) -> None:
    queue = get_queue()
    job = queue.enqueue("tests.fixtures.jobs.sleep", 1.5)
    manage.start("rqworker", "default")
    wait_until(lambda: row(job.id).status == JobStatus.STARTED, timeout=30)
    job.cancel()
    assert row(job.id).status == "canceled"
    time.sleep(2.5)  # the function returned; the worker's late result was dropped
    assert job.get_status() == JobStatus.CANCELED
    assert row(job.id).status == "canceled"


def test_progress_reaches_the_row_while_the_job_runs(manage: Manage) -> None:
    queue = get_queue()
    job = queue.enqueue("tests.fixtures.jobs.progress", 30, 0.1)
    manage.start("rqworker", "default")

    def progress() -> tuple[int | None, int | None]:
        r = row(job.id)
        return r.progress_done, r.progress_total

    wait_until(lambda: row(job.id).status == JobStatus.STARTED, timeout=30)
    wait_until(lambda: (progress()[0] or 0) >= 5, timeout=3)
    assert row(job.id).status == JobStatus.STARTED and progress()[1] == 30
    wait_until(lambda: row(job.id).status == JobStatus.FINISHED, timeout=30)
    assert progress() == (30, 30)

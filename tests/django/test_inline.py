"""``ASYNC: False``: jobs run at enqueue, records included, inside the test's transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from jobq.django_integration import get_queue
from jobq.django_integration.models import JobRecord
from jobq.status import JobStatus
from tests.django import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inline(settings: Any, redis_url: str) -> None:
    settings.RQ_QUEUES = {
        name: {"URL": redis_url, "ASYNC": False} for name in ("default", "high", "low")
    }


def test_delay_runs_the_job_and_records_it() -> None:
    job = tasks.slow_add.delay(2, 5, seconds=0)
    assert job.get_status() == JobStatus.FINISHED
    assert job.result == 7
    row = JobRecord.objects.get(job_id=job.id)
    assert row.status == JobStatus.FINISHED
    assert row.result == 7
    assert row.attempts == 1 and row.worker.startswith("inline.")
    assert row.started_at and row.ended_at


def test_failure_is_recorded_with_its_traceback() -> None:
    job = tasks.explode.delay("inline failure")
    assert job.get_status() == JobStatus.FAILED
    assert "ValueError: inline failure" in (job.exc_info or "")
    row = JobRecord.objects.get(job_id=job.id)
    assert row.status == JobStatus.FAILED
    assert row.error == "ValueError: inline failure"
    assert "Traceback" in row.traceback


def test_job_sees_the_callers_uncommitted_data() -> None:
    User.objects.create(username="only-in-this-transaction")
    job = get_queue().enqueue(tasks.count_users)
    assert job.result == 1


def test_progress_is_recorded() -> None:
    job = get_queue().enqueue(tasks.progress, 4)
    row = JobRecord.objects.get(job_id=job.id)
    assert row.progress == (4, 4)


def test_is_async_argument_wins_over_the_setting(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as sent:
        job = get_queue("default", is_async=True).enqueue(tasks.echo, 1)
        assert job.get_status() is None  # waits for the test's transaction to commit
    assert len(sent) == 1
    assert job.get_status() == JobStatus.QUEUED


def test_enqueue_many_runs_and_records_each_job() -> None:
    queue = get_queue("high")
    jobs = queue.enqueue_many([queue.prepare_data(tasks.echo, [i]) for i in range(2)])
    assert [j.result for j in jobs] == [[[0], {}], [[1], {}]]
    assert set(JobRecord.objects.values_list("status", flat=True)) == {"finished"}

"""Job records: batching, upserts, hooks that fail without killing anything."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobq import SimpleWorker, transitions
from jobq.django_integration import get_queue, records
from jobq.django_integration.hooks import DatabaseHygiene, RecordJobs, worker_hooks
from jobq.django_integration.models import JobRecord, Schedule, schedule_id_for
from jobq.hooks import Acked, Hooks
from jobq.status import JobStatus
from jobq.worker.executor import Outcome

pytestmark = pytest.mark.django_db(transaction=True)


def _row(job_id: str, status: JobStatus = JobStatus.QUEUED, **extra: Any) -> JobRecord:
    return JobRecord(job_id=job_id, queue="default", func="m.f", status=status.value, **extra)


def test_a_batch_is_one_statement_and_the_newest_state_wins() -> None:
    writer = records.RecordWriter(batch_size=100, max_delay=60)
    for i in range(20):
        writer.add(_row(f"j{i}"))
    writer.add(_row("j3", JobStatus.FINISHED, result=[1, 2]))
    assert not writer.due()
    with CaptureQueriesContext(connection) as queries:
        writer.flush()
    inserts = [q for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1
    assert JobRecord.objects.count() == 20
    assert JobRecord.objects.get(job_id="j3").result == [1, 2]


def test_due_by_size_and_by_age() -> None:
    writer = records.RecordWriter(batch_size=2, max_delay=60)
    writer.add(_row("a"))
    assert not writer.due()
    writer.add(_row("b"))
    assert writer.due()
    aged = records.RecordWriter(batch_size=100, max_delay=0)
    aged.add(_row("c"))
    assert aged.due()


def test_upsert_updates_an_existing_row() -> None:
    records.upsert([_row("x")])
    records.upsert([_row("x", JobStatus.STARTED, attempts=1, worker="w1")])
    row = JobRecord.objects.get(job_id="x")
    assert (row.status, row.attempts, row.worker) == ("started", 1, "w1")


def test_a_failed_write_is_kept_and_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = records.RecordWriter()
    writer.add(_row("kept"))
    real = records.upsert

    def broken(rows: list[JobRecord]) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(records, "upsert", broken)
    with pytest.raises(RuntimeError):
        writer.flush()
    monkeypatch.setattr(records, "upsert", real)
    writer.flush()
    assert JobRecord.objects.filter(job_id="kept").exists()


def test_hook_failure_is_logged_and_the_job_still_finishes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(rows: list[JobRecord]) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(records, "upsert", broken)
    queue = get_queue("high", commit_mode="immediate")  # the enqueue-time row fails too: not here
    monkeypatch.setattr(type(queue), "_record", lambda self, prepared: None)
    job = queue.enqueue("tests.django.tasks.echo", 1)
    with caplog.at_level(logging.ERROR, logger="jobq.worker"):
        SimpleWorker([queue], queue.connection, hooks=[RecordJobs()]).work(burst=True)
    assert job.result == [[1], {}]
    assert "hook RecordJobs" in caplog.text and "database away" in caplog.text


def test_in_process_worker_records_start_and_end() -> None:
    queue = get_queue("high")
    job = queue.enqueue("tests.django.tasks.progress", 3)
    SimpleWorker([queue], queue.connection, hooks=worker_hooks()).work(burst=True)
    row = JobRecord.objects.get(job_id=job.id)
    assert row.status == JobStatus.FINISHED and row.result == 3 and row.progress == (3, 3)


def test_retry_is_recorded_as_waiting_then_finished(tmp_path: Any) -> None:
    from jobq import Retry

    queue = get_queue("high")
    job = queue.enqueue(
        "tests.fixtures.jobs.fail_until", str(tmp_path / "n"), 1, retry=Retry(max=1, interval=60)
    )
    SimpleWorker([queue], queue.connection, hooks=worker_hooks()).work(burst=True)
    row = JobRecord.objects.get(job_id=job.id)
    assert row.status == JobStatus.SCHEDULED  # waits for its retry
    assert "RuntimeError: attempt 1 fails" in row.error


def test_a_returned_retry_is_recorded_as_redis_holds_it() -> None:
    queue = get_queue("high")
    job = queue.enqueue("tests.fixtures.retry_jobs.ask_for_retry", 1, 60)
    SimpleWorker([queue], queue.connection, hooks=worker_hooks()).work(burst=True)
    assert JobRecord.objects.get(job_id=job.id).status == JobStatus.SCHEDULED
    transitions.enqueue_now(queue.connection, queue.keys, job.id)  # its retry, now
    SimpleWorker([queue], queue.connection, hooks=worker_hooks()).work(burst=True)
    row = JobRecord.objects.get(job_id=job.id)
    assert row.status == JobStatus.FAILED and row.reason == "max retries exceeded"


def test_scheduled_mode_records_only_runs_of_schedules(settings: Any) -> None:
    settings.JOBQ = {"RECORD": "scheduled"}
    schedule = Schedule.objects.create(name="s", func="tests.django.tasks.echo", interval=60)
    queue = get_queue("high")
    plain = queue.enqueue("tests.django.tasks.echo", 1)
    fired = queue.enqueue_call("tests.django.tasks.echo", args=[2], job_id="fired-1")
    # what the scheduler's fire step writes on the jobs it makes
    queue.connection.hset(fired.key, "schedule_id", schedule_id_for(schedule.pk))
    SimpleWorker([queue], queue.connection, hooks=worker_hooks()).work(burst=True)
    assert list(JobRecord.objects.values_list("job_id", flat=True)) == ["fired-1"]
    row = JobRecord.objects.get(job_id="fired-1")
    assert row.schedule == schedule and row.status == JobStatus.FINISHED
    schedule.refresh_from_db()
    assert schedule.runs == 1 and schedule.last_run_at is not None
    assert plain.result == [[1], {}]


def test_run_of_a_deleted_schedule_keeps_its_row_without_the_link() -> None:
    queue = get_queue("high")
    job = queue.enqueue("tests.django.tasks.echo", 1)
    queue.connection.hset(job.key, "schedule_id", schedule_id_for(999_999))
    SimpleWorker([queue], queue.connection, hooks=worker_hooks()).work(burst=True)
    row = JobRecord.objects.get(job_id=job.id)
    assert row.status == JobStatus.FINISHED and row.schedule is None


def test_database_hygiene_closes_before_fork() -> None:
    JobRecord.objects.count()
    assert connection.connection is not None
    Hooks([DatabaseHygiene()]).before_fork()
    assert connection.connection is None


def test_outcome_of_unreadable_result_is_kept_as_text() -> None:
    queue = get_queue("high")
    job = queue.enqueue("tests.django.tasks.echo", 1)
    row = records.row_after(job, Outcome(job, True, result=b"\xff not json"))
    assert row.status == JobStatus.FINISHED and row.result is None
    assert records.json_safe({1, 2}) == "{1, 2}"


def test_database_hygiene_closes_obsolete_connections_around_jobs() -> None:
    JobRecord.objects.count()
    connection.close_at = 0  # as if past CONN_MAX_AGE
    hooks = Hooks([DatabaseHygiene()])
    job = get_queue("high").enqueue("tests.django.tasks.echo", 1)
    hooks.before_job(job)
    assert connection.connection is None
    JobRecord.objects.count()
    connection.close_at = 0
    hooks.after_job(job, Outcome(job, True))
    assert connection.connection is None


def test_fast_jobs_are_written_in_one_batch_when_idle() -> None:
    hook = RecordJobs(records.RecordWriter(batch_size=100, max_delay=60))
    queue = get_queue("high")
    jobs = [queue.enqueue("tests.django.tasks.echo", i) for i in range(3)]
    hook.average = 0.0  # a stream of short jobs
    for job in jobs:
        hook.before_job(job)
        hook.after_job(job, Outcome(job, True, result=b"1"))
        hook.after_ack(job, Outcome(job, True, result=b"1"), Acked.FINISHED)
    assert set(JobRecord.objects.values_list("status", flat=True)) == {"queued"}  # pending
    with CaptureQueriesContext(connection) as queries:
        hook.idle()
    assert len([q for q in queries.captured_queries if "INSERT" in q["sql"]]) == 1
    assert set(JobRecord.objects.values_list("status", flat=True)) == {"finished"}
    assert hook.average == 1.0  # after a pause the next start is written at once


def test_record_after_a_lost_lease_says_what_redis_holds() -> None:
    """The job's lease was reaped while it ran: its result is refused at the ack, and
    the row says what the reaper made of the job, not that it finished."""
    queue = get_queue("high", commit_mode="immediate")
    job = queue.enqueue("tests.fixtures.jobs.lose_own_lease")
    SimpleWorker([queue], queue.connection, hooks=worker_hooks()).work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED and job.result is None
    row = JobRecord.objects.get(job_id=job.id)
    assert (row.status, row.reason, row.result) == ("failed", job.reason, None)

"""A job function that returns ``Retry(...)`` (rq 2.x) asks to run again under that
policy: the run is neither a success nor a failure, it counts as a retry, and once
the policy's max is used up the job fails with no traceback."""

from __future__ import annotations

import datetime as dt

import redis

from jobq import JobStatus, Queue, Retry, SimpleWorker
from jobq.results import Result
from tests.fixtures.jobs import add
from tests.fixtures.retry_jobs import ask_for_retry


def _run_one(queue: Queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True, max_jobs=1)


def test_a_returned_retry_queues_the_job_again_with_a_retried_result(
    connection: redis.Redis,
) -> None:
    queue = Queue("asks", connection=connection)
    job = queue.enqueue(ask_for_retry, 2)
    _run_one(queue)
    assert job.get_status() == JobStatus.QUEUED
    assert queue.job_ids == [job.id]
    assert job.number_of_retries == 1
    result = job.latest_result()
    assert result.type == Result.Type.RETRIED
    assert repr(result.return_value) == repr(Retry(max=2))
    assert result.exc_string is None
    assert result.execution_id == "1"
    assert result.execution_started_at is not None and result.execution_ended_at is not None


def test_a_returned_retry_with_an_interval_schedules_the_job(connection: redis.Redis) -> None:
    queue = Queue("later", connection=connection)
    job = queue.enqueue(ask_for_retry, 1, 30)
    before = dt.datetime.now(dt.UTC)
    _run_one(queue)
    assert job.get_status() == JobStatus.SCHEDULED
    assert queue.job_ids == []
    due = queue.scheduled_job_registry.get_scheduled_time(job)
    assert before + dt.timedelta(seconds=29) < due < before + dt.timedelta(seconds=32)


def test_a_returned_retry_uses_its_intervals_in_turn(connection: redis.Redis) -> None:
    queue = Queue("turns", connection=connection)
    job = queue.enqueue(ask_for_retry, 3, [0, 100])
    _run_one(queue)
    assert job.get_status() == JobStatus.QUEUED  # first retry: interval 0
    before = dt.datetime.now(dt.UTC)
    _run_one(queue)
    assert job.get_status() == JobStatus.SCHEDULED  # second retry: 100 s
    due = queue.scheduled_job_registry.get_scheduled_time(job)
    assert due > before + dt.timedelta(seconds=99)


def test_the_job_fails_once_the_returned_retry_max_is_used_up(connection: redis.Redis) -> None:
    queue = Queue("exhausted", connection=connection)
    job = queue.enqueue(ask_for_retry, 2)
    _run_one(queue)
    _run_one(queue)
    assert job.get_status() == JobStatus.QUEUED and job.number_of_retries == 2
    _run_one(queue)
    assert job.get_status() == JobStatus.FAILED
    assert job.id in queue.failed_job_registry
    assert job.reason == "max retries exceeded"
    result = job.latest_result()
    assert result.type == Result.Type.MAX_RETRIES_EXCEEDED
    assert result.exc_string is None
    assert isinstance(result.return_value, Retry) and result.return_value.max == 2


def test_a_returned_retry_ignores_the_jobs_own_retry_option(connection: redis.Redis) -> None:
    queue = Queue("own", connection=connection)
    job = queue.enqueue(ask_for_retry, 1, retry=Retry(max=5))
    _run_one(queue)
    _run_one(queue)
    assert job.get_status() == JobStatus.FAILED  # the returned Retry(max=1) decides


def test_a_returned_retry_at_front_goes_to_the_head(connection: redis.Redis) -> None:
    queue = Queue("head", connection=connection)
    job = queue.enqueue(ask_for_retry, 1, 0, True)
    other = queue.enqueue(add, 1, 2)
    _run_one(queue)
    assert queue.job_ids == [job.id, other.id]


def test_a_returned_retry_runs_again_at_once_inline(connection: redis.Redis) -> None:
    queue = Queue("inline", connection=connection, is_async=False)
    job = queue.enqueue(ask_for_retry, 2)
    assert job.get_status() == JobStatus.FAILED
    assert job.attempts == 3
    assert job.latest_result().type == Result.Type.MAX_RETRIES_EXCEEDED


def test_a_returned_retry_does_not_run_the_success_callback(connection: redis.Redis) -> None:
    queue = Queue("nocb", connection=connection)
    job = queue.enqueue(ask_for_retry, 1, on_success="tests.fixtures.jobs.record_success")
    _run_one(queue)
    assert job.get_meta() == {}

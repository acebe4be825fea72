"""rq's retry settings on a job made by Job.create: writable until it is enqueued,
stored by save() and enqueue_job(); an enqueued job's retries change only through
its transitions."""

from __future__ import annotations

import pytest
import redis

from jobq import Job, JobStatus, Queue, Retry, SimpleWorker
from jobq.exceptions import InvalidJobOperation
from tests.fixtures.jobs import fail, noop


def test_retry_settings_of_a_created_job_are_saved(connection: redis.Redis) -> None:
    job = Job.create(noop, connection=connection)
    job.retries_left = 3
    job.retry_intervals = [1, 2, 3]
    job.enqueue_at_front_on_retry = True
    job.save()
    stored = Job.fetch(job.id, connection=connection)
    assert stored.retries_left == 3
    assert stored.retry_intervals == [1, 2, 3]
    assert stored.enqueue_at_front_on_retry


def test_retry_settings_given_before_enqueue_job_drive_the_retries(
    connection: redis.Redis,
) -> None:
    queue = Queue("drafted", connection=connection)
    job = Job.create(fail, connection=connection, origin="drafted")
    job.retries_left = 1
    job.retry_intervals = [600]
    queue.enqueue_job(job)
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retries_left == 0


def test_clearing_the_retries_of_a_created_job_stores_none(connection: redis.Redis) -> None:
    job = Job.create(noop, connection=connection, retry=Retry(max=2, interval=5))
    job.retries_left = None  # type: ignore[assignment]
    job.save()
    assert Job.fetch(job.id, connection=connection).retries_left == 0


def test_an_enqueued_jobs_retries_cannot_be_set(connection: redis.Redis) -> None:
    job = Queue("set", connection=connection).enqueue(noop, retry=Retry(max=2))
    with pytest.raises(InvalidJobOperation, match="transitions"):
        job.retries_left = 5
    with pytest.raises(InvalidJobOperation):
        job.retry_intervals = [1]
    assert Job.fetch(job.id, connection=connection).retries_left == 2


def test_get_retry_interval_names_the_wait_the_next_retry_gets(connection: redis.Redis) -> None:
    queue = Queue("waits", connection=connection)
    job = queue.enqueue(fail, retry=Retry(max=3, interval=[100, 200]))
    assert job.get_retry_interval() == 100
    SimpleWorker([queue], connection=connection).work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.get_retry_interval() == 100  # the wait it is in
    assert Job.create(noop, connection=connection).get_retry_interval() == 0

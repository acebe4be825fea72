"""rq-scheduler's ``_create_job`` / ``enqueue_job`` pair on "created" jobs, and its
``run()`` ending with ``SystemExit`` on a signal."""

from __future__ import annotations

import os
import signal
import threading

import pytest
import redis

from jobq import Job, JobStatus, Queue
from jobq.scheduler import Scheduler
from tests.fixtures.jobs import add


def test_create_job_saves_a_created_job_of_the_schedulers_queue(connection: redis.Redis) -> None:
    scheduler = Scheduler(queue=Queue("sched", connection=connection), queue_class="jobq.Queue")
    job = scheduler._create_job(add, args=(1, 2), ttl=60, depends_on="parent-1")
    fetched = Job.fetch(job.id, connection=connection)
    assert fetched.origin == "sched" and fetched.get_status() == JobStatus.CREATED
    assert fetched.ttl == 60 and fetched._dependency_ids == ["parent-1"]
    assert fetched.meta == {"queue_class_name": "jobq.Queue"}


def test_create_job_without_commit_stores_nothing(connection: redis.Redis) -> None:
    job = Scheduler(connection=connection)._create_job(add, args=(1, 2), commit=False)
    assert connection.hgetall(job.key) == {}


def test_enqueue_job_queues_a_created_job_in_its_queue(connection: redis.Redis) -> None:
    scheduler = Scheduler(queue=Queue("sched", connection=connection))
    job = scheduler._create_job(add, args=(1, 2), queue_name="elsewhere")
    target = scheduler.get_queue_for_job(job)
    assert target.name == "elsewhere"
    scheduler.enqueue_job(job)
    assert target.job_ids == [job.id] and job.enqueued_at is not None
    stored = scheduler._create_job(add, args=(3, 4))
    scheduler.enqueue_job(Job.fetch(stored.id, connection=connection))
    assert Queue("sched", connection=connection).job_ids == [stored.id]


def test_run_ends_with_system_exit_on_a_signal(connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection, interval=0.05)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(SystemExit):
            scheduler.run()
    finally:
        timer.cancel()


def test_enqueue_job_updates_the_callers_handle(connection: redis.Redis) -> None:
    import datetime as dt

    scheduler = Scheduler(connection=connection)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # scheduled, not due yet
    job = scheduler.enqueue_at(later, add, 1, 2, queue_name="handles")
    assert job.enqueued_at is None
    scheduler.enqueue_job(job)
    assert job.get_status(refresh=False) == JobStatus.QUEUED and job.enqueued_at is not None
    assert Queue("handles", connection=connection).job_ids == [job.id]

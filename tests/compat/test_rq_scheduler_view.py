"""rq-scheduler's view of a schedule holds beside jobq's per-run jobs: the id a
``schedule()``/``cron()`` call returns fetches as a Job, is ``in`` the scheduler,
and jobs due now or earlier wait for the scheduler's pass."""

from __future__ import annotations

import datetime as dt

import redis

from jobq import Job, JobStatus, Queue
from jobq.scheduler import Scheduler
from tests.fixtures.jobs import add


def test_fetching_a_schedule_id_gives_its_run_template(connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection)
    handle = scheduler.schedule(dt.datetime.now(dt.UTC), add, args=[1, 2], interval=30, repeat=3)
    fetched = Job.fetch(handle.id, connection=connection)
    assert fetched.func_name.endswith("add") and fetched.args == [1, 2]
    assert fetched.get_status(refresh=False) == JobStatus.SCHEDULED
    assert fetched.meta["interval"] == 30 and fetched.meta["repeat"] == 3
    assert fetched in scheduler and handle in scheduler


def test_cron_template_carries_the_cron_string(connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection)
    handle = scheduler.cron("*/5 * * * *", add, args=[1, 1], ttl=30)
    fetched = Job.fetch(handle.id, connection=connection)
    assert fetched.meta["cron_string"] == "*/5 * * * *"
    assert handle.ttl == 30


def test_enqueue_at_in_the_past_waits_for_the_scheduler(connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    job = scheduler.enqueue_at(past, add, 1, 2)
    assert job in scheduler and scheduler.count() == 1
    ((listed, when),) = scheduler.get_jobs(with_times=True)
    assert listed.id == job.id and abs((when - past).total_seconds()) < 0.01
    scheduler.change_execution_time(job, past + dt.timedelta(hours=1))
    assert Queue(connection=connection).count == 0


def test_enqueue_job_queues_a_waiting_job_now(connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection)
    job = scheduler.enqueue_in(dt.timedelta(hours=1), add, 1, 2)
    scheduler.enqueue_job(job)
    assert Queue(connection=connection).job_ids == [job.id]
    assert scheduler.get_queue_for_job(job).name == "default"


def test_scheduler_queue_class(connection: redis.Redis) -> None:
    class OtherQueue(Queue):
        pass

    by_class = Scheduler(connection=connection, queue_class=OtherQueue)
    assert isinstance(
        by_class.get_queue_for_job(by_class.enqueue_in(dt.timedelta(1), add, 1, 1)), OtherQueue
    )
    by_path = Scheduler(connection=connection, queue_class="jobq.Queue")
    assert by_path.queue_class is Queue and by_path.queue_class_name == "jobq.Queue"

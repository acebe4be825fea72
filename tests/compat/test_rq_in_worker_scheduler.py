"""rq's in-worker scheduler (``RQScheduler``): per-queue locks held by name, a birth
record that ``fetch`` and ``Queue.scheduler_pid`` read back, heartbeats that extend
only the locks still held, and the passes that queue due jobs of the queues held."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
import redis

from jobq import Job, JobStatus, Queue
from jobq.exceptions import InvalidJobOperation, NoSuchJobError, SchedulerNotFound
from jobq.registry import ScheduledJobRegistry
from jobq.scheduler import RQScheduler
from tests.conftest import wait_until


def _soon(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def test_a_queue_lock_goes_to_one_scheduler_at_a_time(connection: redis.Redis) -> None:
    first = RQScheduler(["a"], connection)
    assert first.acquire_locks() == {"a"}
    assert first.acquire_locks() == set()  # held already: renewed, not newly taken
    second = RQScheduler(["a", "b"], connection)
    assert second.acquire_locks() == {"b"}
    assert second.acquired_locks == {"b"}
    assert connection.get(RQScheduler.get_locking_key("a")) == first.name.encode()


def test_releasing_locks_never_deletes_another_schedulers_lock(connection: redis.Redis) -> None:
    first = RQScheduler(["a"], connection)
    first.acquire_locks()
    connection.delete(first.get_locking_key("a"))  # it expired ...
    other = RQScheduler(["a"], connection)
    assert other.acquire_locks() == {"a"}  # ... and another took the queue
    first.release_locks()
    assert first.acquired_locks == set()
    assert connection.get(other.get_locking_key("a")) == other.name.encode()


def test_heartbeat_extends_held_locks_and_drops_lost_ones(connection: redis.Redis) -> None:
    scheduler = RQScheduler(["a", "b"], connection)
    scheduler.acquire_locks()
    scheduler.register_birth()
    for key in (scheduler.get_locking_key("a"), scheduler.get_locking_key("b"), scheduler.key):
        connection.expire(key, 5)
    connection.set(scheduler.get_locking_key("b"), "someone-else")  # b was lost meanwhile
    scheduler.heartbeat()
    assert connection.ttl(scheduler.get_locking_key("a")) == 61
    assert connection.get(scheduler.get_locking_key("b")) == b"someone-else"
    assert scheduler.acquired_locks == {"a"}
    assert 55 <= connection.ttl(scheduler.key) <= 61


def test_birth_record_is_fetched_back_by_name(connection: redis.Redis) -> None:
    scheduler = RQScheduler(["a", "b"], connection, name="sched-1")
    scheduler.register_birth()
    scheduler.register_birth()  # again (a restart): overwritten, not refused
    fetched = RQScheduler.fetch("sched-1", connection)
    assert fetched.pid == os.getpid()
    assert fetched.hostname == scheduler.hostname
    assert fetched._queue_names == {"a", "b"}
    assert fetched.created_at == scheduler.created_at
    assert fetched.last_heartbeat == scheduler.last_heartbeat
    assert scheduler.register_death() is True
    assert scheduler.register_death() is False
    with pytest.raises(SchedulerNotFound, match="sched-1"):
        RQScheduler.fetch("sched-1", connection)


def test_queue_scheduler_pid_is_the_lock_holders_recorded_pid(connection: redis.Redis) -> None:
    queue = Queue("a", connection=connection)
    scheduler = RQScheduler([queue], connection)
    assert queue.scheduler_pid is None
    scheduler.acquire_locks()
    assert queue.scheduler_pid is None  # no record yet
    scheduler.register_birth()
    assert queue.scheduler_pid == os.getpid()
    scheduler.stop()
    assert queue.scheduler_pid is None
    assert scheduler.status == RQScheduler.Status.STOPPED
    assert not connection.exists(scheduler.key)


def test_reacquiring_is_due_only_while_some_lock_is_missing(connection: redis.Redis) -> None:
    scheduler = RQScheduler(["a"], connection)
    assert scheduler.should_reacquire_locks
    scheduler.acquire_locks()
    assert not scheduler.should_reacquire_locks
    scheduler._queue_names.add("b")
    assert not scheduler.should_reacquire_locks  # tried just now
    scheduler.lock_acquisition_time = dt.datetime.now() - dt.timedelta(minutes=3)
    assert scheduler.should_reacquire_locks


def test_a_pass_queues_due_jobs_only_of_the_queues_held(connection: redis.Redis) -> None:
    held, other = Queue("a", connection=connection), Queue("b", connection=connection)
    RQScheduler([other], connection).acquire_locks()
    scheduler = RQScheduler([held, other], connection)
    scheduler.acquire_locks()
    due = held.enqueue_at(_soon(0.2), "tests.fixtures.jobs.noop")
    later = held.enqueue_in(dt.timedelta(hours=1), "tests.fixtures.jobs.noop")
    other.enqueue_at(_soon(0.2), "tests.fixtures.jobs.noop")
    time.sleep(0.3)
    assert scheduler.enqueue_scheduled_jobs() == 1
    assert held.job_ids == [due.id]
    assert ScheduledJobRegistry(queue=held).get_job_ids() == [later.id]
    assert len(other) == 0


def test_enqueue_at_front_puts_the_due_job_at_the_head(connection: redis.Redis) -> None:
    queue = Queue("a", connection=connection)
    scheduler = RQScheduler([queue], connection)
    scheduler.acquire_locks()
    first = queue.enqueue_at(_soon(0.2), "tests.fixtures.jobs.noop")
    second = queue.enqueue_at(_soon(0.25), "tests.fixtures.jobs.noop", at_front=True)
    time.sleep(0.35)
    scheduler.enqueue_scheduled_jobs()
    assert queue.job_ids == [second.id, first.id]


def test_started_scheduler_runs_in_its_own_process_until_stopped(connection: redis.Redis) -> None:
    queue = Queue("a", connection=connection)
    job = queue.enqueue_at(_soon(0.5), "tests.fixtures.jobs.noop")
    scheduler = RQScheduler([queue], connection, interval=0.2)
    assert scheduler.acquire_locks(auto_start=True) == {"a"}
    process = scheduler._process
    assert process is not None
    try:
        wait_until(lambda: queue.job_ids == [job.id], timeout=10)
        wait_until(lambda: queue.scheduler_pid == process.pid, timeout=10)
    finally:
        process.terminate()
        process.join(10)
    assert not connection.exists(scheduler.key)  # it dropped its record on SIGTERM
    assert not connection.exists(scheduler.get_locking_key("a"))


def test_due_ids_are_read_in_unix_seconds(connection: redis.Redis) -> None:
    queue = Queue("a", connection=connection)
    registry = ScheduledJobRegistry(queue=queue)
    soon = queue.enqueue_in(dt.timedelta(seconds=30), "tests.fixtures.jobs.noop")
    jobs = [queue.enqueue_at(_soon(0.1 + i / 100), "tests.fixtures.jobs.noop") for i in range(3)]
    time.sleep(0.2)
    assert registry.get_jobs_to_enqueue() == [j.id for j in jobs]
    assert registry.get_jobs_to_enqueue(time.time() + 60)[-1] == soon.id
    assert len(registry.get_jobs_to_schedule(time.time() + 60, chunk_size=2)) == 2


def test_remove_jobs_is_deprecated_and_deletes_the_due_jobs(connection: redis.Redis) -> None:
    queue = Queue("a", connection=connection)
    registry = ScheduledJobRegistry(queue=queue)
    due = queue.enqueue_at(_soon(0.1), "tests.fixtures.jobs.noop")
    later = queue.enqueue_in(dt.timedelta(hours=1), "tests.fixtures.jobs.noop")
    time.sleep(0.2)
    with pytest.deprecated_call():
        assert registry.remove_jobs() == 1
    assert registry.get_job_ids() == [later.id]
    assert queue.fetch_job(due.id) is None


def test_registry_schedule_places_a_created_job_and_retimes_a_waiting_one(
    connection: redis.Redis,
) -> None:
    queue = Queue("a", connection=connection)
    registry = ScheduledJobRegistry(queue=queue)
    job = Job.create("tests.fixtures.jobs.noop", connection=connection, origin="a")
    job.save()
    when = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    registry.schedule(job, when)
    assert job.get_status() == JobStatus.SCHEDULED
    assert registry.get_scheduled_time(job) == when
    registry.schedule(job, when + dt.timedelta(days=1))
    assert registry.get_scheduled_time(job.id) == when + dt.timedelta(days=1)
    with pytest.raises(NoSuchJobError):
        registry.get_scheduled_time("nope")


def test_registry_schedule_refuses_a_job_elsewhere(connection: redis.Redis) -> None:
    queue = Queue("a", connection=connection)
    queued = queue.enqueue("tests.fixtures.jobs.noop")
    with pytest.raises(InvalidJobOperation, match="queued"):
        ScheduledJobRegistry(queue=queue).schedule(queued, dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
    assert queue.job_ids == [queued.id]

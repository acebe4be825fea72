"""rq's cron API: a configuration file registers jobs; the scheduler stores them as
jobq schedules with stable ids (a restart replaces, never duplicates)."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest
import redis

from jobq import Job, keys
from jobq.cron import CronJob, CronScheduler
from jobq.cron_presence import DuplicateSchedulerError
from jobq.exceptions import SchedulerNotFound
from jobq.scheduler import Scheduler
from tests.conftest import ROOT, Processes, wait_until
from tests.fixtures.jobs import noop


def test_register_needs_exactly_one_timing() -> None:
    scheduler = CronScheduler()
    with pytest.raises(ValueError, match="exactly one"):
        scheduler.register(noop, "default")
    with pytest.raises(ValueError, match="exactly one"):
        scheduler.register(noop, "default", interval=5, cron="* * * * *")
    job = scheduler.register(noop, "default", interval=5)
    assert isinstance(job, CronJob) and job.describe() == "every 5 seconds"


def test_config_file_registrations_become_schedules(connection: redis.Redis) -> None:
    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file("tests.fixtures.cron_config")
    assert [j.describe() for j in scheduler.get_jobs()] == ["cron: */5 * * * *", "every 30 seconds"]
    ids = scheduler.sync()
    assert all(i in Scheduler(connection=connection) for i in ids)
    assert Job.fetch(ids[0], connection).args == [1, 2]
    again = CronScheduler(connection=connection)
    again.load_config_from_file("tests.fixtures.cron_config")  # loaded twice: same jobs
    assert again.sync() == ids
    assert Scheduler(connection=connection).count() == 2


def test_cron_scheduler_record_is_fetched_back_with_its_jobs(connection: redis.Redis) -> None:
    scheduler = CronScheduler(connection=connection, name="cron-1")
    scheduler.register(noop, "default", interval=30, job_timeout=20, meta={"a": 1})
    scheduler.register("tests.fixtures.jobs.add", "low", cron="0 7 * * *", args=(1, 2))
    scheduler.register_birth()
    fetched = CronScheduler.fetch("cron-1", connection)
    assert (fetched.hostname, fetched.pid) == (scheduler.hostname, scheduler.pid)
    assert fetched.created_at == scheduler.created_at

    def shown(s: CronScheduler) -> list[tuple[object, ...]]:
        return [(j.schedule_id, j.func_name, j.job_timeout, j.meta) for j in s.get_jobs()]

    assert shown(fetched) == shown(scheduler)
    assert CronScheduler.all(connection) == [scheduler]


def test_a_cron_scheduler_name_is_registered_once(connection: redis.Redis) -> None:
    scheduler = CronScheduler(connection=connection, name="cron-1")
    scheduler.register_birth()
    with pytest.raises(DuplicateSchedulerError):
        CronScheduler(connection=connection, name="cron-1").register_birth()
    scheduler.register_death()
    with pytest.raises(SchedulerNotFound):
        scheduler.register_death()
    with pytest.raises(SchedulerNotFound):
        CronScheduler.fetch("cron-1", connection)
    assert CronScheduler.all(connection) == []


def test_silent_cron_schedulers_are_no_longer_listed(connection: redis.Redis) -> None:
    alive = CronScheduler(connection=connection, name="alive")
    silent = CronScheduler(connection=connection, name="silent")
    alive.register_birth()
    silent.register_birth()
    connection.zadd(keys.CRON_SCHEDULERS, {"silent": time.time() - 300})  # its last beat
    alive.heartbeat()
    assert alive.last_heartbeat is not None
    assert [s.name for s in CronScheduler.all(connection)] == ["alive"]
    assert silent.last_heartbeat is None  # cleaned up


def test_a_started_cron_scheduler_is_listed_until_it_stops(
    processes: Processes, connection: redis.Redis, redis_url: str
) -> None:
    code = (
        "from jobq.connection import from_url\n"
        "from jobq.cron import CronScheduler\n"
        f"s = CronScheduler(connection=from_url({redis_url!r}), name='running')\n"
        "s.register('tests.fixtures.jobs.noop', 'default', interval=60)\n"
        "s.start()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = processes.spawn([sys.executable, "-c", code], env)
    wait_until(lambda: [s.name for s in CronScheduler.all(connection)] == ["running"], timeout=30)
    (running,) = CronScheduler.all(connection)
    assert running.pid == proc.pid
    assert [j.interval for j in running.get_jobs()] == [60]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert CronScheduler.all(connection) == []

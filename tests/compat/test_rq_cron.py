"""rq's cron API: a configuration file registers jobs; the scheduler stores them as
jobq schedules with stable ids (a restart replaces, never duplicates)."""

from __future__ import annotations

import pytest
import redis

from jobq import Job
from jobq.cron import CronJob, CronScheduler
from jobq.scheduler import Scheduler
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

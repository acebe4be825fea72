"""The scheduler as its own process (``jobq scheduler``) with real workers: exact
repeats, no duplicate or missing slot with two schedulers, kill -9 and restart,
cancel, and no drift over 100 slots."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import statistics
import subprocess
import time

import pytest
import redis

from jobq import Job, Worker
from jobq.keys import QueueKeys
from jobq.scheduler import Schedule, Scheduler
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until

NOOP = "tests.fixtures.jobs.noop"
ADD = "tests.fixtures.jobs.add"
Q = QueueKeys("default")


def start_worker(processes: Processes, connection: redis.Redis, *args: str) -> None:
    before = len(Worker.all(connection))
    processes.worker("--verbose", *args)
    wait_until(lambda: len(Worker.all(connection)) > before, timeout=20)


def start_scheduler(processes: Processes, *args: str) -> subprocess.Popen[bytes]:
    return processes.start("scheduler", "--verbose", "--interval", "0.5", *args)


def soon(seconds: float = 1.0) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def runs_of(connection: redis.Redis, schedule: Schedule, queue: QueueKeys = Q) -> list[Job]:
    """Every job of the queue that a schedule fired, by slot."""
    ids = set()
    for key in (queue.queued, queue.started, queue.finished, queue.failed, queue.canceled):
        members = (
            connection.lrange(key, 0, -1) if key == queue.queued else connection.zrange(key, 0, -1)
        )
        ids.update(m.decode() for m in members)
    jobs = [j for j in Job.fetch_many(sorted(ids), connection, queue=queue.name) if j is not None]
    mine = [j for j in jobs if j.schedule_id == schedule.id]
    return sorted(mine, key=lambda j: j.slot or dt.datetime.min.replace(tzinfo=dt.UTC))


def slot_ms(job: Job) -> int:
    assert job.slot is not None
    return int(job.slot.timestamp() * 1000)


def test_repeat_three_gives_exactly_three_jobs_each_with_its_own_result(
    processes: Processes, connection: redis.Redis
) -> None:
    start_worker(processes, connection)
    start_scheduler(processes)
    s = Scheduler(connection=connection).schedule(
        soon(), ADD, args=[20, 22], interval=0.2, repeat=3
    )
    wait_until(
        lambda: (
            len([j for j in runs_of(connection, s) if j.get_status() == JobStatus.FINISHED]) == 3
        )
    )
    time.sleep(0.6)  # three more intervals: nothing else may fire
    runs = runs_of(connection, s)
    assert len(runs) == 3
    assert len({j.id for j in runs}) == 3
    assert all(j.result == 42 and j.get_status() == JobStatus.FINISHED for j in runs)
    slots = [slot_ms(j) for j in runs]
    assert [b - a for a, b in itertools.pairwise(slots)] == [200, 200]
    s.refresh()
    assert s.ended and s.runs == 3 and s not in Scheduler(connection=connection)


def test_two_schedulers_no_duplicate_and_no_missing_slot(
    processes: Processes, connection: redis.Redis
) -> None:
    start_worker(processes, connection)
    start_scheduler(processes)
    start_scheduler(processes)
    s = Scheduler(connection=connection).schedule(soon(), NOOP, interval=0.1, repeat=40)
    wait_until(lambda: len(runs_of(connection, s)) >= 40, timeout=30)
    time.sleep(0.3)
    slots = [slot_ms(j) for j in runs_of(connection, s)]
    first = slots[0]
    assert slots == [first + 100 * k for k in range(40)]  # each slot once, none missing


@pytest.mark.slow
def test_kill_9_and_restart_loses_no_schedule_and_fires_no_slot_twice(
    processes: Processes, connection: redis.Redis
) -> None:
    start_worker(processes, connection)
    first = start_scheduler(processes)
    s = Scheduler(connection=connection).schedule(soon(), NOOP, interval=0.1)
    wait_until(lambda: len(runs_of(connection, s)) >= 10)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    stopped_at = len(runs_of(connection, s))
    time.sleep(0.5)
    assert len(runs_of(connection, s)) == stopped_at  # nobody fires while it is dead
    start_scheduler(processes)  # waits for the dead one's lock to expire, then goes on
    wait_until(lambda: len(runs_of(connection, s)) >= stopped_at + 10, timeout=20)
    s.refresh()
    Scheduler(connection=connection).cancel(s)
    slots = [slot_ms(j) for j in runs_of(connection, s) if j.slot <= s.last_run]  # type: ignore[operator]
    assert len(slots) == len(set(slots))  # no slot twice
    assert all((b - a) % 100 == 0 for a, b in itertools.pairwise(slots))  # on the grid
    # every slot of the grid fired, or was counted as missed (an outage longer than
    # SCHEDULER_GRACE_SECONDS collapses; a quick restart, the usual case, loses none)
    assert len(slots) + s.skipped == (slots[-1] - slots[0]) // 100 + 1
    assert slots[-1] == int(s.last_run.timestamp() * 1000)  # type: ignore[union-attr]


def test_cancel_removes_the_schedule_and_its_pending_run(
    processes: Processes, connection: redis.Redis
) -> None:
    start_scheduler(processes)  # no worker: runs wait in the queue
    scheduler = Scheduler(connection=connection)
    s = scheduler.schedule(soon(0.3), NOOP, interval=0.2)
    wait_until(lambda: len(runs_of(connection, s)) >= 2)
    assert scheduler.cancel(s) is True
    runs = runs_of(connection, s)
    assert runs and all(j.get_status() == JobStatus.CANCELED for j in runs)
    time.sleep(0.6)
    assert runs_of(connection, s) == runs  # nothing fired after the cancel
    assert s not in scheduler and scheduler.count() == 0
    assert connection.llen(Q.queued) == 0


def test_no_drift_over_100_slots(processes: Processes, connection: redis.Redis) -> None:
    tick = 1.0
    start_worker(processes, connection)
    processes.start("scheduler", "--interval", str(tick))
    s = Scheduler(connection=connection).schedule(soon(0.5), NOOP, interval=0.1, repeat=100)
    wait_until(
        lambda: sum(j.get_status() == JobStatus.FINISHED for j in runs_of(connection, s)) == 100,
        timeout=40,
    )
    runs = runs_of(connection, s)
    slots = [slot_ms(j) for j in runs]
    assert slots == [slots[0] + 100 * k for k in range(100)]  # slot times exact
    lateness = []
    for job in runs:
        assert job.started_at is not None and job.slot is not None
        lateness.append((job.started_at - job.slot).total_seconds())
    assert min(lateness) >= 0
    assert max(lateness) < tick  # never a tick late, at slot 1 or slot 100
    assert statistics.mean(lateness[-20:]) < statistics.mean(lateness[:20]) + 0.1  # no drift


def test_worker_with_scheduler_fires_schedules(
    processes: Processes, connection: redis.Redis
) -> None:
    start_worker(processes, connection, "--with-scheduler")
    s = Scheduler(connection=connection).schedule(
        soon(0.2), ADD, args=[1, 2], interval=0.3, repeat=2
    )
    wait_until(
        lambda: sum(j.get_status() == JobStatus.FINISHED for j in runs_of(connection, s)) == 2
    )
    assert [j.result for j in runs_of(connection, s)] == [3, 3]


def test_burst_fires_what_is_due_and_exits(processes: Processes, connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection)
    s = scheduler.schedule(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), NOOP)
    job = scheduler.enqueue_at(dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=300), NOOP)
    time.sleep(0.4)
    proc = processes.start("scheduler", "--burst")
    assert proc.wait(timeout=20) == 0
    assert len(runs_of(connection, s)) == 1
    assert job.get_status() == JobStatus.QUEUED


def test_a_new_schedule_wakes_a_sleeping_scheduler(
    processes: Processes, connection: redis.Redis
) -> None:
    start_worker(processes, connection)
    processes.start("scheduler", "--interval", "5")  # sleeps ~1 s at a time (lock renewal)
    wait_until(lambda: connection.exists("jobq:scheduler:lock"))
    time.sleep(0.3)
    s = Scheduler(connection=connection).schedule(soon(0.05), NOOP)  # due before it would wake
    wait_until(lambda: [j.get_status() for j in runs_of(connection, s)] == [JobStatus.FINISHED])
    [run] = runs_of(connection, s)
    assert run.started_at is not None and run.slot is not None
    assert (run.started_at - run.slot).total_seconds() < 0.3

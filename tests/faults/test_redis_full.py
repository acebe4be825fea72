"""Redis at maxmemory with noeviction (a full Redis) while jobs run: every process
of jobq waits it out like a lost connection — same pids, one log line per outage,
leases kept — and once memory is freed every job ends, none lost, none run twice."""

from __future__ import annotations

import datetime as dt
import subprocess
import time

import pytest
import redis

from jobq import Queue, Worker, keys
from jobq.scheduler import Scheduler
from tests.conftest import Processes, wait_until

from .conftest import WORK, Flow

pytestmark = pytest.mark.slow


def fill_up(conn: redis.Redis) -> None:
    """Redis refuses every write that may grow memory from now on."""
    conn.config_set("maxmemory-policy", "noeviction")
    conn.config_set("maxmemory", 1)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        Queue(connection=conn).enqueue_call(WORK, args=["/dev/null"])


def full_redis_for(
    seconds: float, procs: Processes, conn: redis.Redis, flow: Flow, name: str
) -> None:
    # a lease much shorter than the outage: kept only if renewed while Redis is full
    pool: list[subprocess.Popen[bytes]] = [
        procs.worker("default", "--lease", "2", "--concurrency", "2"),
        procs.worker("default", "--lease", "2", "--simple"),
        procs.start("scheduler", "--interval", "0.2"),
    ]
    wait_until(lambda: len(Worker.all(conn)) == 2 and conn.exists(keys.SCHEDULER_LOCK), timeout=60)
    # a schedule firing every half second: the scheduler writes during the outage too
    schedule = Scheduler(connection=conn).schedule(
        dt.datetime.now(dt.UTC), "tests.fixtures.jobs.noop", interval=0.5, queue_name="ticks"
    )
    # jobs longer than the lease, more of them than run during the outage
    flow.enqueue(24, seconds=2.5, retry=0)
    wait_until(lambda: flow.ended() >= 3, timeout=30)
    fill_up(conn)
    flow.faults = 1
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert [p.poll() for p in pool] == [None] * len(pool), "a process exited"
        time.sleep(0.5)
    # jobs still run and leased; the rest wait
    assert conn.zcard(flow.queue.keys.started) > 0
    assert flow.ended() < len(flow.ids)
    schedule.refresh()
    runs_before = schedule.runs
    conn.config_set("maxmemory", 0)
    flow.wait_all_ended(timeout=120)
    wait_until(lambda: schedule.refresh() or schedule.runs > runs_before, timeout=30)
    assert [p.poll() for p in pool] == [None] * len(pool), "a process exited"
    for p in pool:
        log = procs.log(p)
        assert "Traceback" not in log, log[-3000:]
        assert "died" not in log, log[-3000:]
        # once per outage and loop, not once per try
        assert 1 <= log.count("Redis unavailable") <= 4, log[-3000:]
    flow.account(name, max_duplicates=0, seconds_full=seconds)


def test_a_full_redis_is_waited_out_by_workers_and_the_scheduler(
    procs: Processes, conn: redis.Redis, flow: Flow
) -> None:
    full_redis_for(10, procs, conn, flow, "redis_full")


@pytest.mark.long
def test_a_full_redis_for_a_minute_is_waited_out(
    procs: Processes, conn: redis.Redis, flow: Flow
) -> None:
    full_redis_for(60, procs, conn, flow, "redis_full_minute")

"""kill -9 of the active scheduler while it fires, again and again, with a standby
taking over: no slot of the grid is lost, none fires twice."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import time

import pytest
import redis

from jobq.scheduler import Scheduler
from jobq.scheduler.lock import SchedulerLock
from tests.conftest import Processes, wait_until
from tests.scheduler.test_processes import runs_of, slot_ms

from .conftest import record

pytestmark = pytest.mark.slow

INTERVAL_MS = 100


def active_pid(conn: redis.Redis) -> int | None:
    owner = SchedulerLock(conn).owner()  # host:pid:random
    return int(owner.split(":")[1]) if owner else None


def test_active_scheduler_killed_during_firing(procs: Processes, conn: redis.Redis) -> None:
    procs.worker("--concurrency", "2")
    schedulers: list[subprocess.Popen[bytes]] = [
        procs.start("scheduler", "--interval", "0.1") for _ in range(2)
    ]
    first = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.5)
    s = Scheduler(connection=conn).schedule(
        first, "tests.fixtures.jobs.noop", interval=INTERVAL_MS / 1000
    )
    kills = 4
    for _ in range(kills):
        fired = len(runs_of(conn, s))
        wait_until(lambda fired=fired: len(runs_of(conn, s)) >= fired + 5, timeout=30)
        wait_until(lambda: active_pid(conn) in {p.pid for p in schedulers}, timeout=10)
        victim = next(p for p in schedulers if p.pid == active_pid(conn))
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        # a new standby; the old standby takes over once the dead one's lock expires
        schedulers[schedulers.index(victim)] = procs.start("scheduler", "--interval", "0.1")
    fired = len(runs_of(conn, s))
    wait_until(lambda: len(runs_of(conn, s)) >= fired + 5, timeout=30)
    time.sleep(0.3)
    s.refresh()
    Scheduler(connection=conn).cancel(s)
    assert s.last_run is not None
    slots = [slot_ms(j) for j in runs_of(conn, s) if j.slot is not None and j.slot <= s.last_run]
    doubled = len(slots) - len(set(slots))
    gaps = sum((b - a) // INTERVAL_MS - 1 for a, b in itertools.pairwise(sorted(set(slots))))
    record(
        "scheduler_kill9",
        {"faults": kills, "slots": len(slots), "slots_lost": gaps, "slots_doubled": doubled,
         "skipped": s.skipped},
    )  # fmt: skip
    assert doubled == 0
    assert gaps == 0 and s.skipped == 0  # takeover (lock TTL) is shorter than the grace
    assert slots[0] == int(first.timestamp() * 1000)
    assert slots[-1] == int(s.last_run.timestamp() * 1000)

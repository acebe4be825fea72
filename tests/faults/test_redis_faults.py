"""Redis itself misbehaves under load: restarted (SIGTERM, or kill -9 with
``appendfsync always``), paused (CLIENT PAUSE), its connections cut (CLIENT KILL).
No acknowledged enqueue is lost; workers and the scheduler ride it out in the same
processes (no crash loop), reload their scripts, and no schedule slot is lost or
fired twice."""

from __future__ import annotations

import datetime as dt
import itertools
import signal
import subprocess
import time
from collections.abc import Callable

import pytest
import redis

from jobq import Queue, Worker, keys, scripts
from jobq.embedded import EmbeddedRedis
from jobq.keys import QueueKeys
from jobq.scheduler import Schedule, Scheduler
from tests.conftest import Processes, wait_until
from tests.scheduler.test_processes import runs_of, slot_ms

from .conftest import Flow

pytestmark = pytest.mark.slow

TICKS = QueueKeys("ticks")


def start_pool(procs: Processes, conn: redis.Redis) -> list[subprocess.Popen[bytes]]:
    """Two workers and a scheduler, as a deployment runs them; returns once all three
    are up, so that a fault meets them running, not importing."""
    pool = [
        procs.worker("default", "ticks", "--lease", "2", "--concurrency", "2") for _ in range(2)
    ]
    pool.append(procs.start("scheduler", "--interval", "0.2"))
    wait_until(lambda: len(Worker.all(conn)) == 2 and conn.exists(keys.SCHEDULER_LOCK), timeout=60)
    return pool


def tick_schedule(conn: redis.Redis) -> Schedule:
    first = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.5)
    return Scheduler(connection=conn).schedule(
        first, "tests.fixtures.jobs.noop", interval=0.2, queue_name="ticks"
    )


def check_slots(conn: redis.Redis, schedule: Schedule) -> dict[str, int]:
    """Every slot of the grid fired exactly once (outages shorter than the grace)."""
    schedule.refresh()
    Scheduler(connection=conn).cancel(schedule)
    assert schedule.last_run is not None
    slots = [
        slot_ms(j)
        for j in runs_of(conn, schedule, TICKS)
        if j.slot is not None and j.slot <= schedule.last_run
    ]
    assert len(slots) == len(set(slots)), "a slot fired twice"
    assert all(b - a == 200 for a, b in itertools.pairwise(slots)), "a slot is missing"
    assert schedule.skipped == 0
    return {"slots": len(slots), "slots_lost": 0, "slots_doubled": 0}


class FaultGate:
    """When the next fault may come: jobs flow, and the scheduler fired a slot since
    the last fault. Each outage is then one outage, shorter than the grace, and not
    back to back with the one before (the scheduler's reconnect backoff would make
    them one long outage, past the grace, whose slots are passed over by design)."""

    def __init__(self, conn: redis.Redis, flow: Flow, schedule: Schedule) -> None:
        self.conn, self.flow, self.schedule = conn, flow, schedule
        self.fired = 0

    def ready(self) -> bool:
        if self.flow.ended() < len(self.flow.ids) // 2 + 20:
            return False
        fired = len(runs_of(self.conn, self.schedule, TICKS))
        if fired <= self.fired:
            return False
        self.fired = fired
        return True


def alive_and_same(pool: list[subprocess.Popen[bytes]], procs: Processes) -> None:
    for proc in pool:
        assert proc.poll() is None, procs.log(proc)[-3000:]


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(("sigterm", "everysec"), id="sigterm-everysec"),
        pytest.param(("sigkill", "always"), id="kill9-always"),
    ],
)
def test_redis_restarted_under_load(
    make_server: Callable[..., EmbeddedRedis],
    tmp_path: object,
    how: tuple[str, str],
) -> None:
    stop, fsync = how
    server = make_server("--appendfsync", fsync)
    procs = Processes(server.url, tmp_path)  # type: ignore[arg-type]
    conn = redis.Redis(port=server.port)
    flow = Flow(conn, tmp_path / "runs")  # type: ignore[operator]
    try:
        pool = start_pool(procs, conn)
        schedule = tick_schedule(conn)
        flow.produce(server.url, total=600, seconds=0.002, pace=0.004)
        gate = FaultGate(conn, flow, schedule)
        for _ in range(3):
            wait_until(gate.ready, timeout=60)
            server.stop(signal.SIGTERM if stop == "sigterm" else signal.SIGKILL)
            flow.faults += 1
            time.sleep(1.5)
            server.start()
            wait_until(lambda: flow.ended() > 0, timeout=30)
        flow.join()
        flow.wait_all_ended(timeout=120)
        alive_and_same(pool, procs)
        assert conn.script_exists(scripts.get("dequeue").sha) == [True]  # reloaded
        slots = check_slots(conn, schedule)
        # each restart can cost the jobs running then (their results may be re-run
        # when a lease expired while Redis was away): bound by restarts x executors
        flow.account(
            f"redis_restart_{stop}_{fsync}",
            max_duplicates=flow.faults * 4 * 2,
            unacknowledged=len(flow.unacknowledged),
            **slots,
        )
    finally:
        flow.stop()
        procs.stop_all()
        conn.close()


def test_redis_paused_and_connections_killed(
    server: EmbeddedRedis, procs: Processes, conn: redis.Redis, flow: Flow
) -> None:
    pool = start_pool(procs, conn)
    schedule = tick_schedule(conn)
    flow.produce(server.url, total=600, seconds=0.002, pace=0.004)
    admin = redis.Redis(port=server.port)
    faults: list[Callable[[], object]] = [
        lambda: admin.execute_command("CLIENT", "PAUSE", 1500, "ALL"),
        lambda: admin.execute_command("CLIENT", "KILL", "TYPE", "normal"),
        lambda: admin.execute_command("CLIENT", "PAUSE", 1500, "WRITE"),
        lambda: admin.execute_command("CLIENT", "KILL", "TYPE", "normal"),
        lambda: admin.execute_command("CLIENT", "KILL", "TYPE", "normal"),
    ]
    gate = FaultGate(conn, flow, schedule)
    for fault in faults:
        wait_until(gate.ready, timeout=60)
        fault()
        flow.faults += 1
        time.sleep(2.0)
    flow.join()
    flow.wait_all_ended(timeout=120)
    alive_and_same(pool, procs)
    slots = check_slots(conn, schedule)
    flow.account(
        "redis_pause_and_client_kill",
        max_duplicates=flow.faults * 4 * 2,
        unacknowledged=len(flow.unacknowledged),
        **slots,
    )
    admin.close()


def test_worker_and_scheduler_started_before_redis_wait_for_it(
    make_server: Callable[..., EmbeddedRedis], tmp_path: object
) -> None:
    """supervisord may start them before Redis (a reboot): they wait with backoff in the
    same process, then work, instead of exiting into a crash loop."""
    server = make_server()
    server.stop()
    procs = Processes(server.url, tmp_path)  # type: ignore[arg-type]
    try:
        worker = procs.worker("default", "ticks")
        scheduler = procs.start("scheduler", "--interval", "0.2")
        wait_until(lambda: "Redis unavailable at start" in procs.log(worker), timeout=60)
        wait_until(lambda: "Redis unavailable at start" in procs.log(scheduler), timeout=60)
        server.start()
        conn = redis.Redis(port=server.port)
        assert Queue(connection=conn).enqueue("tests.fixtures.jobs.add", 2, 3).wait(30) == 5
        schedule = tick_schedule(conn)
        wait_until(lambda: len(runs_of(conn, schedule, TICKS)) >= 2, timeout=30)
        assert worker.poll() is None and scheduler.poll() is None
        conn.close()
    finally:
        procs.stop_all()

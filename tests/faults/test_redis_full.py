"""Redis at maxmemory with noeviction (a full Redis) while jobs run: every process
of jobq waits it out like a lost connection — same pids, one log line per outage,
leases kept — and once memory is freed every job ends, none lost, none run twice."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from jobq import Queue, Worker, keys
from jobq.connection import from_url
from jobq.embedded import EmbeddedRedis
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
    # jobs longer than the lease, more of them than the 3 executors run during the
    # outage (Redis still runs a step whose first write frees memory: dequeue, finish)
    flow.enqueue(int(seconds * 1.2) + 12, seconds=2.5, retry=0)
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


@pytest.mark.parametrize(
    "reply",
    [
        "OOM command not allowed when used memory > 'maxmemory'.",
        "READONLY You can't write against a read only replica.",
        "LOADING Redis is loading the dataset in memory",
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        "CLUSTERDOWN The cluster is down",
        "TRYAGAIN Multiple keys request during rehashing of slot",
    ],
)
def test_every_cannot_serve_now_reply_is_transient(reply: str) -> None:
    """The one predicate every loop asks, fed the replies as redis-py parses them."""
    from redis._parsers.base import BaseParser

    from jobq.connection import is_transient

    assert is_transient(BaseParser.parse_error(reply))


@pytest.mark.parametrize(
    "reply",
    [
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "NOPERM User jobq has no permissions to run the 'config' command",
        "ERR Error running script: jobq: N must be a whole number",
        "NOSCRIPT No matching script.",
    ],
)
def test_real_errors_are_not_transient(reply: str) -> None:
    from redis._parsers.base import BaseParser

    from jobq.connection import is_transient

    assert not is_transient(BaseParser.parse_error(reply))


def test_a_busy_redis_is_waited_out(
    make_server: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    """A script running past lua-time-limit: every other command meets BUSY until it
    ends. The worker and the scheduler wait, and go on."""
    server = make_server("--lua-time-limit", "100")
    conn = from_url(server.url)
    procs = Processes(server.url, tmp_path)
    flow = Flow(conn, tmp_path / "runs")
    try:
        pool = [procs.worker("--lease", "2"), procs.start("scheduler", "--interval", "0.2")]
        wait_until(lambda: len(Worker.all(conn)) == 1, timeout=60)
        flow.enqueue(20, seconds=0.2, retry=0)
        busy = redis.Redis(port=server.port, socket_timeout=30)
        killed: list[Exception] = []

        def run_forever() -> None:
            try:
                busy.eval("while true do end", 0)
            except redis.ResponseError as e:  # SCRIPT KILL ends it
                killed.append(e)

        thread = threading.Thread(target=run_forever, daemon=True)
        thread.start()
        time.sleep(0.5)
        with pytest.raises(redis.ResponseError, match="BUSY"):
            redis.Redis(port=server.port).get("x")
        time.sleep(3)
        redis.Redis(port=server.port).script_kill()
        thread.join(10)
        assert killed, "the busy script did not run"
        flow.faults = 1
        flow.wait_all_ended(timeout=60)
        assert [p.poll() for p in pool] == [None, None]
        for p in pool:
            assert "Traceback" not in procs.log(p), procs.log(p)
        flow.account("redis_busy", max_duplicates=0)
    finally:
        procs.stop_all()
        conn.close()

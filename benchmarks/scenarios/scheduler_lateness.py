"""Case 7: scheduler lateness, jobq's scheduler beside rq-scheduler.

A recurring schedule fires N times; each run's job stamps ``time.time()`` as it
starts (in the worker) into a Redis list. Lateness of run k is its start time
minus its intended slot ``first + k * interval`` (the ideal grid, so drift
shows as growing lateness). Both systems run the same way: a scheduler process
(``jobq scheduler`` / ``rqscheduler``), a worker process that runs jobs in
process (jobq ``Worker`` with a pre-forked executor / rq ``SimpleWorker``, so
rq's fork per job is not counted against it), the same 1 s interval and a 1 s
scheduler tick (rq-scheduler's default poll is 60 s; 1 s is its best case).

rq-scheduler keeps times in whole seconds (intervals too) and sets the next run
to "now + interval" after each run: its lateness is the phase of its poll loop
against the slot, anywhere from 0 to its poll interval (here 1 s, by default
60 s), the same for every run of one process. jobq is also measured at a 100 ms
interval, as its own process and inside a worker started with
``--with-scheduler`` (whose passes are timed by the next slot, as the scheduler's).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from typing import Any

import redis

from ..common import ROOT, percentiles, reset, row, stop_process, subprocess_env
from ..workers import WorkerProcess, WorkerSpec

CASE = "7. scheduler lateness"
STAMPS = "bench:scheduler:stamps"
#: seconds between the schedule's creation and its first slot (processes are up by then)
LEAD = 1.5
GOAL_P99_MS = 50


def stamp(url: str, key: str) -> None:
    """The job: record when it started (before anything else it does)."""
    started = time.time()
    r = redis.Redis.from_url(url)
    try:
        r.rpush(key, repr(started))
    finally:
        r.close()


def _first_slot() -> dt.datetime:
    """A whole second ``LEAD`` s ahead (rq-scheduler stores whole seconds)."""
    at = int(time.time() + LEAD) + 1
    return dt.datetime.fromtimestamp(at, tz=dt.UTC)


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, cwd=ROOT, env=subprocess_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def _collect(r: redis.Redis, n: int, first: dt.datetime, interval: float) -> dict[str, Any]:
    """Wait for ``n`` stamps (or time out) and turn them into lateness figures."""
    deadline = time.monotonic() + LEAD + n * interval + 15
    while r.llen(STAMPS) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(max(0.3, 1.5 * interval))  # runs beyond n would show up as extra stamps
    stamps = sorted(float(s) for s in r.lrange(STAMPS, 0, -1))
    base = first.timestamp()
    late = [t - (base + k * interval) for k, t in enumerate(stamps[:n])]
    out: dict[str, Any] = {"interval_s": interval, "runs_expected": n, "runs_seen": len(stamps)}
    if late:
        out.update(percentiles(late))
        out["min_ms"] = min(late) * 1000
        tail = max(1, len(late) // 10)
        out["drift_ms"] = (sum(late[-tail:]) / tail - sum(late[:tail]) / tail) * 1000
    return out


def _jobq(url: str, n: int, interval: float, *, in_worker: bool) -> dict[str, Any]:
    import jobq
    from jobq.connection import from_url

    reset(url)
    conn = from_url(url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if in_worker:
            procs.append(
                _start([sys.executable, "-m", "jobq", "worker", "--url", url, "--with-scheduler"])
            )
            deadline = time.monotonic() + 60
            while not jobq.Worker.all(conn) and time.monotonic() < deadline:
                time.sleep(0.05)
            return _jobq_schedule(conn, url, n, interval)
        procs.append(
            _start([sys.executable, "-m", "jobq", "scheduler", "--url", url, "--interval", "1"])
        )
        with WorkerProcess(WorkerSpec("jobq", "worker"), url, burst=False) as w:
            w.wait_ready()
            return _jobq_schedule(conn, url, n, interval)
    finally:
        for p in procs:
            stop_process(p)
        conn.close()


def _jobq_schedule(conn: redis.Redis, url: str, n: int, interval: float) -> dict[str, Any]:
    from jobq.scheduler import Scheduler

    first = _first_slot()
    Scheduler(connection=conn).schedule(
        first, stamp, args=[url, STAMPS], interval=interval, repeat=n
    )
    return _collect(conn, n, first, interval)


def _rq_scheduler(url: str, n: int) -> dict[str, Any]:
    from rq_scheduler import Scheduler

    reset(url)
    conn = redis.Redis.from_url(url)
    poll = [sys.executable, "-c", "from rq_scheduler.scripts.rqscheduler import main; main()"]
    sched = _start([*poll, "--url", url, "--interval", "1"])
    try:
        with WorkerProcess(WorkerSpec("rq", "simple"), url, burst=False) as w:
            w.wait_ready()
            first = _first_slot()
            Scheduler(queue_name="default", connection=conn).schedule(
                first, stamp, args=[url, STAMPS], interval=1, repeat=n
            )
            return {**_collect(conn, n, first, 1.0), "poll_interval_s": 1}
    finally:
        stop_process(sched)
        conn.close()


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    n_1s, n_fast = (3, 20) if quick else (60, 300)
    jobq_1s = _jobq(redis_url, n_1s, 1.0, in_worker=False)
    try:
        rq_1s: dict[str, Any] | None = _rq_scheduler(redis_url, n_1s)
        rq_note = "rqscheduler --interval 1 (default 60), rq SimpleWorker"
    except ImportError:
        rq_1s, rq_note = None, "rq-scheduler is not installed: pip install rq-scheduler"
    jobq_fast = _jobq(redis_url, n_fast, 0.1, in_worker=False)
    # the in-worker scheduler's row only in the full run (it keeps --quick under a minute)
    jobq_hook = None if quick else _jobq(redis_url, n_fast, 0.1, in_worker=True)
    reset(redis_url)

    def pct(d: dict[str, Any] | None, key: str) -> float | None:
        return None if d is None else d.get(key)

    rows = [
        row(CASE, "1 s interval, p50 ms", pct(jobq_1s, "p50_ms"), pct(rq_1s, "p50_ms")),
        row(CASE, "1 s interval, p99 ms", pct(jobq_1s, "p99_ms"), pct(rq_1s, "p99_ms"),
            goal=f"jobq <= {GOAL_P99_MS}"),
        row(CASE, "100 ms interval, p50 ms", pct(jobq_fast, "p50_ms"), None,
            note="rq-scheduler: whole seconds only"),
        row(CASE, "100 ms interval, p99 ms", pct(jobq_fast, "p99_ms"), None,
            goal=f"jobq <= {GOAL_P99_MS}"),
        row(CASE, "worker --with-scheduler, 100 ms, p99 ms" + (" (full run only)" if quick else ""),
            pct(jobq_hook, "p99_ms"), None, note="passes timed by the next slot"),
    ]  # fmt: skip
    return {
        "scenario": "scheduler_lateness",
        "rows": rows,
        "details": {
            "jobq_1s": jobq_1s,
            "rq_scheduler_1s": rq_1s,
            "jobq_100ms": jobq_fast,
            "jobq_worker_with_scheduler_100ms": jobq_hook,
            "rq_scheduler_setup": rq_note,
        },
        "notes": [
            "scheduler lateness: job start (time.time() in the job) minus its slot on the "
            f"ideal grid first + k * interval; {n_1s} runs at 1 s, {n_fast} at 100 ms; scheduler "
            f"tick 1 s on both; {rq_note}. rq-scheduler's lateness is the phase of its poll "
            "loop against the slot, between 0 and its poll interval (60 s by default), the "
            "same for every run of one process, so one run shows one phase; jobq sleeps until "
            "the next slot"
        ],
    }

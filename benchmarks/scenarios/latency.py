"""Case 5: enqueue-to-result latency with an idle worker in its own process.

One job at a time: enqueue, wait for its result, pause so that the worker is
idle again, repeat. jobq waits with ``job.wait()``. rq has no blocking wait on
a job's status, so it is measured two ways: a tight loop on ``get_status()``
(then ``return_value``) and ``latest_result(timeout)`` (a blocking XREAD on the
result stream); the table shows the better (lower) of the two.

This machine's speed drifts by tens of percent over seconds, so the systems are
not measured one after the other: jobq's worker runs on the scenario's server,
rq's on a second private server (same binary) started here, both idle at once,
and the systems take turns in blocks of ``BLOCK`` samples: jobq, rq (poll),
rq (latest_result), jobq, ...
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from jobq.embedded import EmbeddedRedis

from ..common import admin, percentiles, reset, row, sizes
from ..systems import JOBQ, RQ, RQ_BLOCKING, System
from ..workers import WorkerProcess, WorkerSpec

CASE = "5. enqueue-to-result latency"
#: pause before each sample, so that each job meets an idle worker (longer for
#: Worker rows: rq's forking worker has more to do after each job)
PAUSE = {"simple": 0.005, "worker": 0.02}
WARM_UP = 20
#: samples in a row per system; the systems take turns block by block, with a
#: longer pause between blocks, so that one worker's after-job work (rq's takes
#: milliseconds) never overlaps the other system's samples
BLOCK = 25
SWITCH_PAUSE = 0.1


@contextlib.contextmanager
def _idle_worker(url: str, system: System, spec: WorkerSpec) -> Iterator[tuple[Any, Any]]:
    """An idle worker on ``url`` and a (client, queue) to send it jobs."""
    reset(url)
    conn = system.client(url)
    try:
        with WorkerProcess(spec, url, burst=False) as w:
            w.wait_ready()
            yield conn, system.queue(conn)
    finally:
        conn.close()


def _once(system: System, queue: Any) -> float:
    began = time.perf_counter()
    job = system.enqueue(queue)
    system.wait(job, timeout=30)
    return time.perf_counter() - began


def _pair(
    urls: tuple[str, str], jobq: WorkerSpec, rq: WorkerSpec, n: int, pause: float
) -> dict[str, Any]:
    with _idle_worker(urls[0], JOBQ, jobq) as (_, jq), _idle_worker(urls[1], RQ, rq) as (_, rqq):
        takers = {"jobq": (JOBQ, jq), "rq_poll": (RQ, rqq), "rq_blocking": (RQ_BLOCKING, rqq)}
        for system, queue in takers.values():
            for _ in range(WARM_UP):
                _once(system, queue)
        took: dict[str, list[float]] = {name: [] for name in takers}
        while len(took["jobq"]) < n:
            for name, (system, queue) in takers.items():
                time.sleep(SWITCH_PAUSE)  # the other system's worker has settled
                for _ in range(min(BLOCK, n - len(took[name]))):
                    time.sleep(pause)
                    took[name].append(_once(system, queue))
    out: dict[str, Any] = {
        name: {**percentiles(took[name]), "method": system.wait_method}
        for name, (system, _) in takers.items()
    }
    out["workers"] = {"jobq": jobq.label, "rq": rq.label}
    out["pause_seconds"] = pause
    return out


#: the other side of the floor measurement: echo each request back, through Redis
_ECHO = """
import sys, redis
r = redis.Redis.from_url(sys.argv[1])
while True:
    _, v = r.blpop(["floor:req"])
    if v == b"stop":
        break
    r.lpush("floor:resp", v)
"""


def _floor(url: str, n: int, pause: float) -> dict[str, float]:
    """What no queue on this machine can beat: a plain redis-py ping-pong through a
    second process (LPUSH a request, the other process BLPOPs it and LPUSHes a
    reply, BLPOP the reply), with the same pause between samples: two round trips
    and the same process wake-ups, no job logic at all."""
    reset(url)
    echo = subprocess.Popen([sys.executable, "-c", _ECHO, url])
    r = admin(url)
    try:
        for _ in range(WARM_UP):
            r.lpush("floor:req", "x")
            r.blpop(["floor:resp"], timeout=5)
        took = []
        for _ in range(n):
            time.sleep(pause)
            began = time.perf_counter()
            r.lpush("floor:req", "x")
            r.blpop(["floor:resp"], timeout=5)
            took.append(time.perf_counter() - began)
        r.lpush("floor:req", "stop")
        echo.wait(timeout=10)
    finally:
        if echo.poll() is None:
            echo.kill()
            echo.wait()
        r.close()
    return percentiles(took)


def _rows(label: str, d: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for pct, goal in (("p50_ms", "jobq <= 1"), ("p99_ms", "jobq <= 3")):
        poll, blocking = d["rq_poll"][pct], d["rq_blocking"][pct]
        how = "poll" if poll <= blocking else "latest_result"
        out.append(
            row(
                CASE,
                f"{label} {pct.removesuffix('_ms')} ms (rq: {how})",
                d["jobq"][pct],
                min(poll, blocking),
                goal=goal,
            )
        )
    return out


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    s = sizes(quick)
    simple_specs = (WorkerSpec("jobq", "simple"), WorkerSpec("rq", "simple"))
    worker_specs = (WorkerSpec("jobq", "worker"), WorkerSpec("rq", "worker"))
    with EmbeddedRedis() as rq_server:
        urls = (redis_url, rq_server.url)
        simple = _pair(urls, *simple_specs, s.latency_samples, PAUSE["simple"])
        back_to_back = _pair(urls, *simple_specs, s.latency_samples, 0.0)
        workers = _pair(urls, *worker_specs, s.fork_latency_samples, PAUSE["worker"])
        floor = {
            "idle": _floor(redis_url, s.latency_samples, PAUSE["simple"]),
            "back_to_back": _floor(redis_url, s.latency_samples, 0.0),
        }
    idle_ms = f"{PAUSE['simple'] * 1000:g} ms idle"
    rows = (
        _rows(f"SimpleWorker, {idle_ms}", simple)
        + _rows("SimpleWorker, back to back", back_to_back)
        + _rows(f"Worker (defaults), {PAUSE['worker'] * 1000:g} ms idle", workers)
    )
    for which, label in (("idle", idle_ms), ("back_to_back", "back to back")):
        for pct in ("p50_ms", "p99_ms"):
            rows.append(
                row(CASE, f"floor (plain Redis ping-pong), {label}, {pct.removesuffix('_ms')} ms",
                    floor[which][pct], None)
            )  # fmt: skip
    return {
        "scenario": "latency",
        "rows": rows,
        "details": {
            "SimpleWorker": simple,
            "SimpleWorker back to back": back_to_back,
            "Worker": workers,
            "floor": floor,
        },
        "notes": [
            f"latency: one job at a time, {s.latency_samples} samples per system with "
            f"SimpleWorker and {s.fork_latency_samples} with Worker (rq forks per job); before "
            f"each sample a pause of {PAUSE['simple'] * 1000:g} / {PAUSE['worker'] * 1000:g} ms "
            "(the worker, the client and Redis all go idle), or none (back to back: the next "
            "job is sent as soon as the last result is in, the worker idle in its blocking "
            "wait); jobq and rq workers idle side by side on two private servers and take "
            f"turns in blocks of {BLOCK} samples; jobq: job.wait(); rq: tight get_status() "
            "poll and latest_result(timeout), the lower shown",
            "latency floor: the same pause, then LPUSH a request that a second plain redis-py "
            "process BLPOPs and answers with LPUSH, BLPOP the answer: the round trips and "
            "process wake-ups any queue's enqueue-to-result needs, with no job logic",
        ],
    }

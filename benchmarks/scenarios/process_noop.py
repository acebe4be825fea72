"""Cases 3 and 4: drain N pre-enqueued noop jobs (results kept, default result_ttl)
with a burst worker in its own process, and count Redis commands per job.

Workers: rq ``SimpleWorker`` vs jobq ``SimpleWorker``; rq's default forking
``Worker`` (fewer jobs: one fork each) vs jobq's ``Worker`` at its defaults and
at its best concurrency on this machine. The rate is jobs / time from right
before ``work()`` to its return, so it includes registration, forking
executors, the last acknowledgements and the shutdown, but not the interpreter
start-up (reported separately in the details).
"""

from __future__ import annotations

import time
from typing import Any

from ..common import CommandCounter, alternate, median, reset, row, sizes
from ..systems import SYSTEMS
from ..workers import WorkerProcess, WorkerSpec

CASE = "3. noop processing"
COUNT_CASE = "4. Redis commands/processed job"

JOBQ_SIMPLE = WorkerSpec("jobq", "simple")
RQ_SIMPLE = WorkerSpec("rq", "simple")
JOBQ_WORKER = WorkerSpec("jobq", "worker")
RQ_WORKER = WorkerSpec("rq", "worker")
RQ_SIMPLE_QUIET = WorkerSpec("rq", "simple", log_level="WARNING")


def _fill(url: str, spec: WorkerSpec, n: int) -> Any:
    reset(url)
    system = SYSTEMS[spec.queue_system]
    conn = system.client(url)
    system.enqueue_many(system.queue(conn), n)
    return conn


def _check(conn: Any, spec: WorkerSpec, n: int) -> None:
    counts = SYSTEMS[spec.queue_system].counts(conn)
    conn.close()
    if counts != {"queued": 0, "finished": n, "failed": 0}:
        raise RuntimeError(f"{spec.label} left {counts} after draining {n} jobs")


def drain(url: str, spec: WorkerSpec, n: int) -> dict[str, float]:
    """Fill the queue with ``n`` noop jobs (bulk enqueue), drain it with a burst worker
    in its own process, check that all finished."""
    began = time.perf_counter()
    conn = _fill(url, spec, n)
    fill_seconds = time.perf_counter() - began
    with WorkerProcess(spec, url, burst=True) as w:
        w.wait_ready()
        timing = w.wait_done()
    _check(conn, spec, n)
    return {
        "jobs": n,
        "rate": n / timing.work_seconds,
        "work_seconds": timing.work_seconds,
        "process_seconds": timing.process_seconds,
        "startup_seconds": timing.ready - timing.spawned,
        "fill_rate": n / fill_seconds,
    }


def count_commands(url: str, spec: WorkerSpec, n: int) -> dict[str, Any]:
    conn = _fill(url, spec, n)
    with CommandCounter(url) as counter, WorkerProcess(spec, url, burst=True) as w:
        w.wait_ready()
        w.wait_done()
    _check(conn, spec, n)
    return counter.per_job(n)


def _rates(url: str, specs: list[WorkerSpec], n: int, repeats: int) -> dict[str, Any]:
    runs: dict[WorkerSpec, list[dict[str, float]]] = {s: [] for s in specs}
    for order in alternate(repeats):
        for spec in specs if order[0] == "jobq" else list(reversed(specs)):
            runs[spec].append(drain(url, spec, n))
    return {
        s.label: {"median_rate": median([r["rate"] for r in rs]), "runs": rs}
        for s, rs in runs.items()
    }


def _quiet_note(simple: dict[str, Any]) -> str:
    quiet = simple.get(RQ_SIMPLE_QUIET.label)
    if quiet is None:
        return "rq SimpleWorker with logging at WARNING: not measured with --quick"
    return (
        "rq SimpleWorker with logging at WARNING instead of INFO (reference only): "
        f"{quiet['median_rate']:,.0f} jobs/s"
    )


def _concurrency_candidates(quick: bool) -> list[int]:
    return [2] if quick else [2, 3, 4]


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    s = sizes(quick)
    n, reps = s.jobs, s.repeats
    simple = _rates(redis_url, [JOBQ_SIMPLE, RQ_SIMPLE], n, reps)
    if not quick:
        simple.update(_rates(redis_url, [RQ_SIMPLE_QUIET], n, 1))
    workers = _rates(redis_url, [JOBQ_WORKER], n, reps)
    tuned = [WorkerSpec("jobq", "worker", c) for c in _concurrency_candidates(quick)]
    workers.update(_rates(redis_url, tuned, n, reps))
    workers.update(_rates(redis_url, [RQ_WORKER], s.fork_jobs, reps))
    best = max(tuned, key=lambda spec: workers[spec.label]["median_rate"])

    def rate(table: dict[str, Any], spec: WorkerSpec) -> float:
        return float(table[spec.label]["median_rate"])

    count_n = min(n, s.count_jobs)
    commands = {
        "SimpleWorker": {
            "jobq": count_commands(redis_url, JOBQ_SIMPLE, count_n),
            "rq": count_commands(redis_url, RQ_SIMPLE, count_n),
        },
        "Worker": {
            "jobq": count_commands(redis_url, JOBQ_WORKER, count_n),
            "rq": count_commands(redis_url, RQ_WORKER, min(count_n, s.fork_jobs)),
        },
    }
    rq_fork = rate(workers, RQ_WORKER)
    rows = [
        row(CASE, f"SimpleWorker jobs/s (N={n})", rate(simple, JOBQ_SIMPLE),
            rate(simple, RQ_SIMPLE), goal="ratio >= 40"),
        row(CASE, f"jobq Worker c=1 (default) vs rq Worker (N={n} / {s.fork_jobs})",
            rate(workers, JOBQ_WORKER), rq_fork, goal="ratio >= 100"),
        row(CASE, f"jobq Worker c={best.concurrency} (best) vs rq Worker",
            rate(workers, best), rq_fork, goal="ratio >= 100"),
    ]  # fmt: skip
    for kind, pair in commands.items():
        j, r = pair["jobq"], pair["rq"]
        rows.append(
            row(COUNT_CASE, f"{kind}: top-level (EVALSHA = 1)", j["top_level_per_job"],
                r["top_level_per_job"], goal="jobq <= 2")
        )  # fmt: skip
        rows.append(
            row(COUNT_CASE, f"{kind}: incl. calls inside Lua", j["commandstats_total_per_job"],
                r["commandstats_total_per_job"])
        )  # fmt: skip
    return {
        "scenario": "process_noop",
        "rows": rows,
        "details": {
            "simple": simple,
            "workers": workers,
            "best_concurrency": best.concurrency,
            "commands": commands,
        },
        "notes": [
            "noop processing: each worker runs in its own process (benchmarks/worker_runner.py, "
            "the same as the `jobq worker` / `rq worker` CLIs, logging at INFO as they do); "
            "jobs/s = N / time from right before work() to its return",
            _quiet_note(simple),
            f"commands per processed job: {count_n} jobs ({min(count_n, s.fork_jobs)} for rq's "
            "forking Worker), worker start-up and shutdown included; top-level and Lua-internal "
            "calls are told apart with MONITOR, totals come from INFO commandstats",
        ],
    }

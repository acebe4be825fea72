"""Case 3b: what the history costs the worker. The same drain of N noop jobs as
case 3, by jobq's SimpleWorker and Worker (concurrency 2) with history on (the
default) and off (``--no-history``), interleaved A/B over several rounds (on/off,
then off/on, ...), compared by medians: the rate, and two figures that other
processes competing for the cores disturb less than the wall clock: the CPU time
of the worker processes (their rusage, start-up included) and the time Redis
spent in commands (``INFO commandstats``), per job. And the Redis commands per
job, top level and inside the Lua steps, of each."""

from __future__ import annotations

import resource
from typing import Any

from ..common import admin, median, row, sizes
from ..workers import WorkerProcess, WorkerSpec
from .process_noop import _check, _fill, count_commands

CASE = "3b. history on vs off"
#: more rounds than the other cases: the difference sought is a few percent
ROUNDS_FULL, ROUNDS_QUICK = 11, 3


def _pair(kind: str, concurrency: int = 1) -> tuple[WorkerSpec, WorkerSpec]:
    return (
        WorkerSpec("jobq", kind, concurrency, log_level="WARNING"),
        WorkerSpec("jobq-nohistory", kind, concurrency, log_level="WARNING"),
    )


def _cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def drain(url: str, spec: WorkerSpec, n: int) -> dict[str, float]:
    """Fill, then drain with a burst worker: its rate, its processes' CPU time per job
    (µs) and Redis's time in commands per job (µs) during the drain."""
    conn = _fill(url, spec, n)
    server = admin(url)
    server.config_resetstat()
    cpu = _cpu_seconds()
    with WorkerProcess(spec, url, burst=True) as w:
        w.wait_ready()
        timing = w.wait_done()
    cpu = _cpu_seconds() - cpu
    redis_usec = sum(int(v["usec"]) for v in server.info("commandstats").values())
    server.close()
    _check(conn, spec, n)
    return {
        "rate": n / timing.work_seconds,
        "worker_cpu_us": cpu / n * 1e6,
        "redis_us": redis_usec / n,
    }


FIGURES = ("rate", "worker_cpu_us", "redis_us")


def _ab(url: str, on: WorkerSpec, off: WorkerSpec, n: int, rounds: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for i in range(rounds):
        order = [("on", on), ("off", off)] if i % 2 == 0 else [("off", off), ("on", on)]
        for name, spec in order:
            runs[name].append(drain(url, spec, n))
    medians = {
        f"{fig}_{name}": median([r[fig] for r in rs])
        for name, rs in runs.items()
        for fig in FIGURES
    }
    return {**medians, "runs": runs}


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    n = sizes(quick).jobs
    rounds = ROUNDS_QUICK if quick else ROUNDS_FULL
    details: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for label, (on, off) in (
        ("SimpleWorker", _pair("simple")),
        ("Worker concurrency=2", _pair("worker", 2)),
    ):
        ab = _ab(redis_url, on, off, n, rounds)
        details[label] = ab
        for fig, what, goal in (
            ("rate", "jobs/s", "ratio >= 0.95"),
            ("worker_cpu_us", "worker CPU µs/job", "ratio <= 1.05"),
            ("redis_us", "Redis µs/job", None),
        ):
            rows.append(
                row(
                    CASE,
                    f"{label}: {what}, history on (jobq) / off (peer)",
                    ab[f"{fig}_on"],
                    ab[f"{fig}_off"],
                    goal=goal,
                    peer="jobq --no-history",
                )
            )
    on, off = _pair("simple")
    count_n = sizes(quick).count_jobs
    details["commands_on"] = count_commands(redis_url, on, count_n)
    details["commands_off"] = count_commands(redis_url, off, count_n)
    for what in ("top_level_per_job", "lua_internal_per_job"):
        rows.append(
            row(
                CASE,
                f"Redis commands/job ({what.removesuffix('_per_job')}), on / off",
                details["commands_on"][what],
                details["commands_off"][what],
                peer="jobq --no-history",
            )
        )
    return {
        "scenario": "history_cost",
        "details": details,
        "rows": rows,
        "notes": [
            f"{n} noop jobs per drain, {rounds} interleaved rounds per pair, medians; "
            "workers log at WARNING so that logging does not hide the difference",
        ],
    }

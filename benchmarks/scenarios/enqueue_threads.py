"""Case 1b: enqueue from 8 threads sharing one client and one queue object, as the
threads of a Django/gunicorn process do; against jobq's own one-thread rate (the
goal: at least twice it) and rq's 8-thread rate, in the same run."""

from __future__ import annotations

import threading
from typing import Any

from ..common import alternate, median, reset, row, sizes, timed
from ..systems import SYSTEMS, System

THREADS = 8


def _rate(url: str, system: System, n: int, threads: int) -> float:
    reset(url)
    conn = system.client(url)
    q = system.queue(conn)
    for _ in range(200):  # warm-up: scripts loaded, code paths imported
        system.enqueue(q)
    reset(url)
    share = n // threads

    def send() -> None:
        for _ in range(share):
            system.enqueue(q)

    def run() -> None:
        workers = [threading.Thread(target=send) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()

    seconds = timed(run)
    queued = system.counts(conn)["queued"]
    conn.close()
    if queued != share * threads:
        raise RuntimeError(
            f"{system.name}: {queued} jobs queued after enqueueing {share * threads}"
        )
    return share * threads / seconds


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    s = sizes(quick)
    n = s.jobs
    rates: dict[str, list[float]] = {"jobq": [], "jobq-1": [], "rq": []}
    for order in alternate(s.repeats, ("jobq", "jobq-1", "rq")):
        for name in order:
            system = SYSTEMS["jobq" if name == "jobq-1" else name]
            rates[name].append(_rate(redis_url, system, n, 1 if name == "jobq-1" else THREADS))
    case = f"1b. enqueue from {THREADS} threads, one client"
    metric = f"jobs/s (N={n}, median of {s.repeats})"
    jobq = median(rates["jobq"])
    return {
        "scenario": "enqueue_threads",
        "rows": [
            row(
                case, metric, jobq, median(rates["jobq-1"]), goal="ratio >= 2", peer="jobq 1 thread"
            ),
            row(case, metric, jobq, median(rates["rq"]), peer=f"rq {THREADS} threads"),
        ],
        "details": {"jobs": n, "threads": THREADS, "rates": rates},
    }

"""Case 10: 8 queues on a local 3-master Redis Cluster vs the same 8 queues on one
Redis. jobq only (rq has no cluster support): bulk enqueue rate, then the rate at
which burst workers (``jobq worker q0 ... q7 --burst``, each queue list rotated
so the workers start on different queues) drain the jobs, results kept.

The cluster's three primaries are redis-servers on this machine, started by
``tests/cluster/servers.py`` and killed by pid at the end; each queue's keys live
in one slot (``jobq:{q3}:...``), so the 8 queues spread over the primaries. On a
machine with few cores the Python processes, not Redis, are the limit, so the
figures show the cost of cluster routing (a node per slot, wake polling of
workers with several queues) more than the gain of spreading Redis's work.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jobq
from jobq.connection import from_url

from ..common import median, reset, row, sizes, stop_process, subprocess_env
from ..jobs import noop

CASE = "10. 8 queues: cluster vs one Redis"
QUEUES = [f"q{i}" for i in range(8)]
WORKERS = 2
CONCURRENCY = 2
CHUNK = 500


def _enqueue(url: str, n: int) -> float:
    """Bulk-enqueue ``n`` noop jobs spread evenly over the 8 queues; jobs/s."""
    conn = from_url(url)
    queues = [jobq.Queue(name, connection=conn) for name in QUEUES]
    per_queue = n // len(QUEUES)
    began = time.perf_counter()
    for start in range(0, per_queue, CHUNK):
        size = min(CHUNK, per_queue - start)
        for q in queues:
            q.enqueue_many([jobq.Queue.prepare_data(noop) for _ in range(size)])
    took = time.perf_counter() - began
    conn.close()
    return per_queue * len(QUEUES) / took


def _drain(url: str, n: int) -> float:
    """Start the burst workers, wait until they exit; jobs/s over the wall time."""
    procs = []
    began = time.perf_counter()
    try:
        for w in range(WORKERS):
            order = QUEUES[w * 4 :] + QUEUES[: w * 4]
            argv = [sys.executable, "-m", "jobq", "worker", *order, "--url", url, "--burst"]
            argv += ["--concurrency", str(CONCURRENCY), "--quiet"]
            procs.append(
                subprocess.Popen(
                    argv, env=subprocess_env(), start_new_session=True, stdout=subprocess.DEVNULL
                )
            )
        for p in procs:
            p.wait(600)
        took = time.perf_counter() - began
    finally:
        for p in procs:
            stop_process(p)
    return n / took


def _finished(url: str) -> dict[str, int]:
    conn = from_url(url)
    out = {"queued": 0, "finished": 0, "failed": 0}
    for name in QUEUES:
        q = jobq.Queue(name, connection=conn)
        out["queued"] += q.count
        out["finished"] += q.finished_job_registry.count
        out["failed"] += q.failed_job_registry.count
    conn.close()
    return out


def _measure(url: str, n: int, clear: Any) -> dict[str, float]:
    clear()
    enqueue = _enqueue(url, n)
    total = n // len(QUEUES) * len(QUEUES)
    process = _drain(url, total)
    counts = _finished(url)
    if counts != {"queued": 0, "finished": total, "failed": 0}:
        raise RuntimeError(f"{url}: {counts} after draining {total} jobs")
    return {"enqueue_rate": enqueue, "process_rate": process}


def _spread(cluster_url: str) -> dict[str, list[str]]:
    conn: Any = from_url(cluster_url)
    by_node: dict[str, list[str]] = {}
    for name in QUEUES:
        node = conn.get_node_from_key(jobq.Queue(name, connection=conn).keys.queued)
        by_node.setdefault(f"{node.host}:{node.port}", []).append(name)
    conn.close()
    return by_node


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    from tests.cluster.servers import LocalCluster  # run.py puts the repository on sys.path

    n = 4_000 if quick else 2 * sizes(quick).jobs
    repeats = 1 if quick else sizes(quick).repeats
    runs: dict[str, list[dict[str, float]]] = {"cluster": [], "single": []}
    with tempfile.TemporaryDirectory(prefix="jobq-bench-cluster-") as tmp:
        cluster = LocalCluster(Path(tmp), masters=3).start()
        try:
            for _ in range(repeats):
                runs["single"].append(_measure(redis_url, n, lambda: reset(redis_url)))
                runs["cluster"].append(_measure(cluster.url, n, cluster.flush))
            spread = _spread(cluster.url)
        finally:
            cluster.close()

    def med(kind: str, key: str) -> float:
        return median([r[key] for r in runs[kind]])

    rows = [
        row(CASE, f"bulk enqueue jobs/s, 3-master cluster (N={n})", med("cluster", "enqueue_rate"), None),
        row(CASE, f"bulk enqueue jobs/s, one Redis (N={n})", med("single", "enqueue_rate"), None),
        row(CASE, f"processing jobs/s, 3-master cluster ({WORKERS}x c={CONCURRENCY})", med("cluster", "process_rate"), None),
        row(CASE, f"processing jobs/s, one Redis ({WORKERS}x c={CONCURRENCY})", med("single", "process_rate"), None),
    ]  # fmt: skip
    return {
        "scenario": "cluster_throughput",
        "rows": rows,
        "details": {"jobs": n, "runs": runs, "queues_per_node": spread},
        "notes": [
            f"8 queues: jobs spread evenly; {WORKERS} `jobq worker` processes with "
            f"--concurrency {CONCURRENCY} on all 8 queues (rotated order), --burst; the "
            "processing rate is N / wall time including worker start-up",
            "queues per cluster primary: "
            + ", ".join(f"{node}: {len(qs)}" for node, qs in sorted(spread.items())),
            "the 'jobq' column is the figure; rq has no cluster support",
        ],
    }

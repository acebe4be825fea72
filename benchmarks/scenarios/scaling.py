"""Case 8: how the cost of processing grows with the queue: the noop processing
case of case 3 (jobq's Worker at concurrency 2, results kept) draining 10k, 100k
and 1M queued jobs (``--quick``: 2k and 20k). Throughput should not fall with the
queue's size: each step touches one job (LPOP, a hash, a sorted-set entry), never
the whole queue. Also recorded: the bulk enqueue rate that filled the queue and
Redis memory per job once all are finished (results and registry entries kept).

rq is not run at these sizes (its SimpleWorker does a few hundred jobs/s: 1M jobs
would take about an hour); case 3 has it side by side at N jobs.
"""

from __future__ import annotations

from typing import Any

from ..common import admin, reset, row, used_memory
from ..workers import WorkerSpec
from .process_noop import drain

CASE = "8. cost as the queue grows"
SPEC = WorkerSpec("jobq", "worker", concurrency=2)
FULL = (10_000, 100_000, 1_000_000)
QUICK = (2_000, 20_000)


def _one(url: str, n: int) -> dict[str, float]:
    reset(url)
    r = admin(url)
    base = used_memory(r)
    out = drain(url, SPEC, n)
    out["finished_bytes_per_job"] = (used_memory(r) - base) / n
    r.close()
    return out


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    results = [_one(redis_url, n) for n in (QUICK if quick else FULL)]
    first, last = results[0], results[-1]
    rows = [row(CASE, f"{SPEC.label} jobs/s, N={r['jobs']:,}", r["rate"], None) for r in results]
    rows.append(
        row(
            CASE,
            f"throughput at N={last['jobs']:,} / at N={first['jobs']:,}",
            last["rate"] / first["rate"],
            None,
            goal="jobq >= 0.8",
        )
    )
    rows.append(
        row(CASE, f"bulk enqueue jobs/s filling N={last['jobs']:,}", last["fill_rate"], None)
    )
    return {
        "scenario": "scaling",
        "rows": rows,
        "details": {"runs": results},
        "notes": [
            "cost as the queue grows: the queue is filled with enqueue_many (chunks of 1000), "
            f"then drained by {SPEC.label} in burst mode; Redis memory per finished job (result "
            "and registry entry kept), used_memory delta: "
            + ", ".join(f"N={r['jobs']:,}: {r['finished_bytes_per_job']:.0f} B" for r in results)
        ],
    }

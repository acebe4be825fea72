"""Case 6: Redis memory per queued job (a noop job, default options).

Two measures: the sum of ``MEMORY USAGE`` (all samples) over every key after
enqueueing N jobs, divided by N; and the ``used_memory`` delta divided by N
(includes allocator and dictionary overhead that MEMORY USAGE leaves out).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..common import admin, reset, row, sizes, used_memory
from ..systems import SYSTEMS, System

CASE = "6. memory per queued job"


def _measure(url: str, system: System, n: int) -> dict[str, Any]:
    reset(url)
    conn = system.client(url)
    system.enqueue_many(system.queue(conn), 10)  # scripts loaded, code paths warm
    reset(url)
    r = admin(url)
    before = used_memory(r)
    system.enqueue_many(system.queue(conn), n)
    after = used_memory(r)
    names = list(r.scan_iter(count=1000))
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.type(name)
        pipe.memory_usage(name, samples=0)
    replies = pipe.execute()
    by_type: Counter[str] = Counter()
    keys_by_type: Counter[str] = Counter()
    for kind, used in zip(replies[::2], replies[1::2], strict=True):
        by_type[kind.decode()] += int(used or 0)
        keys_by_type[kind.decode()] += 1
    r.close()
    conn.close()
    return {
        "jobs": n,
        "memory_usage_per_job": sum(by_type.values()) / n,
        "used_memory_delta_per_job": (after - before) / n,
        "keys": len(names),
        "bytes_by_type": dict(by_type),
        "keys_by_type": dict(keys_by_type),
    }


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    n = sizes(quick).memory_jobs
    found = {name: _measure(redis_url, system, n) for name, system in SYSTEMS.items()}
    j, r = found["jobq"], found["rq"]
    return {
        "scenario": "memory",
        "rows": [
            row(
                CASE,
                f"bytes, sum of MEMORY USAGE / N (N={n})",
                j["memory_usage_per_job"],
                r["memory_usage_per_job"],
                goal="ratio <= 0.6",
            ),
            row(
                CASE,
                "bytes, used_memory delta / N",
                j["used_memory_delta_per_job"],
                r["used_memory_delta_per_job"],
                goal="ratio <= 0.6",
            ),
        ],
        "details": found,
    }

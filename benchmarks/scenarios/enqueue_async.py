"""Case 1c: enqueue from 64 concurrent coroutines on one ``jobq.AsyncQueue`` (an
async view or consumer under load); against jobq's one-by-one sync rate in the
same run. Every job must be acknowledged (its await returned) and queued."""

from __future__ import annotations

import asyncio
from typing import Any

import jobq

from ..common import QUEUE, alternate, median, reset, row, sizes, timed
from ..jobs import noop
from ..systems import JOBQ

COROUTINES = 64


async def _send(url: str, n: int) -> float:
    queue = jobq.AsyncQueue(QUEUE, url=url)
    share = n // COROUTINES

    async def producer() -> None:
        for _ in range(share):
            await queue.enqueue(noop)

    await asyncio.gather(*(queue.enqueue(noop) for _ in range(200)))  # warm-up
    await queue.connection.flushall()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.gather(*(producer() for _ in range(COROUTINES)))
    seconds = loop.time() - began
    queued = await queue.count()
    await queue.aclose()
    if queued != share * COROUTINES:
        raise RuntimeError(f"jobq async: {queued} jobs queued after {share * COROUTINES}")
    return share * COROUTINES / seconds


def _sync_rate(url: str, n: int) -> float:
    reset(url)
    conn = JOBQ.client(url)
    q = JOBQ.queue(conn)
    for _ in range(200):
        JOBQ.enqueue(q)
    reset(url)
    seconds = timed(lambda: [JOBQ.enqueue(q) for _ in range(n)])
    conn.close()
    return n / seconds


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    s = sizes(quick)
    n = s.jobs * 2
    rates: dict[str, list[float]] = {"async": [], "sync": []}
    for order in alternate(s.repeats, ("async", "sync")):
        for name in order:
            reset(redis_url)
            rate = asyncio.run(_send(redis_url, n)) if name == "async" else _sync_rate(redis_url, n)
            rates[name].append(rate)
    case = f"1c. enqueue from {COROUTINES} coroutines, AsyncQueue"
    return {
        "scenario": "enqueue_async",
        "rows": [
            row(
                case,
                f"jobs/s (N={n}, median of {s.repeats})",
                median(rates["async"]),
                median(rates["sync"]),
                goal="jobq >= 20000",
                peer="jobq sync, 1 by 1",
            )
        ],
        "details": {"jobs": n, "coroutines": COROUTINES, "rates": rates},
    }

"""Case 2: bulk enqueue, ``queue.enqueue_many([Queue.prepare_data(noop), ...])`` in
chunks of ``common.BULK_BATCH`` jobs (building the list is part of the timing)."""

from __future__ import annotations

from typing import Any

from ..common import BULK_BATCH, sizes
from ..systems import System
from ._enqueue import measure


def _bulk(system: System, queue: Any, n: int) -> None:
    system.enqueue_many(queue, n)


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    result = measure(
        redis_url,
        quick,
        scenario="enqueue_bulk",
        case="2. bulk enqueue",
        n=sizes(quick).bulk_jobs,
        send=_bulk,
        goal="ratio >= 5",
    )
    result["notes"] = [
        f"bulk enqueue: enqueue_many in chunks of {BULK_BATCH}; "
        "rq pipelines each chunk in MULTI/EXEC, jobq in one non-transactional pipeline "
        "of EVALSHA calls"
    ]
    return result

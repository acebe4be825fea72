"""The step that leases one named job to a worker (take-3.lua), with its replies.

rq lets code hand a worker a job it picked (``Worker.prepare_execution``,
``perform_job``); the worker loop takes jobs in the queue's order (dequeue-3.lua).
Kept beside :mod:`jobq.transitions` so that module stays within its size.
"""

from __future__ import annotations

import redis

from . import hooks, scripts
from .exceptions import InvalidJobOperation
from .keys import QueueKeys
from .scripts import Taken
from .transitions import now_ms


def take(
    client: redis.Redis,
    q: QueueKeys,
    job_id: str,
    worker: str,
    lease_ms: int,
    *,
    now: int | None = None,
) -> Taken:
    """Lease queued job ``job_id`` to ``worker``: it becomes started, held by that
    worker until it is acknowledged, handed back, or its lease runs out (reaped)."""
    keys = [q.queued, q.started, q.flow]
    args = [q.prefix, job_id, now_ms() if now is None else now, lease_ms, worker]
    code = int(scripts.get("take")(client, keys, args))
    if code == Taken.FLOW_CONTROLLED:
        raise InvalidJobOperation(
            f"queue {q.name!r} has flow control (rate, concurrency or priorities): its jobs "
            "are taken in its own order by a running worker, not handed to one by id"
        )
    scripts.raise_for_code("take", code, job_id)
    if code == Taken.TAKEN:
        hooks.jobs_changed(client, q.name, [job_id])
    return Taken(code)

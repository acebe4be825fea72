"""Reaping: jobs whose lease expired go back to their queue (or to ``failed``).

Both a worker's upkeep and the scheduler reap, so this sits below both of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import redis

from . import transitions
from .keys import QueueKeys

logger = logging.getLogger("jobq.worker")

#: told of dead workers' jobs an upkeep gave back or failed: (queue name, job ids),
#: so that hooks update what they recorded of them (Django's JobRecord)
OnReaped = Callable[[str, list[str]], None]


def reap_queues(
    connection: redis.Redis,
    queues: Iterable[QueueKeys],
    now: int,
    on_reaped: OnReaped | None,
    *,
    history: bool = False,
) -> None:
    """Give back (or fail) the jobs whose lease expired: a worker's upkeep and the
    scheduler's both sweep, so that a queue nobody serves is swept too. ``history``:
    count them in the history, and sample each queue's depth there."""
    for q in queues:
        requeued, failed = transitions.reap(connection, q, now=now, history=history)
        if requeued or failed:
            logger.warning(
                "queue %s: %d job(s) of dead workers requeued, %d failed",
                q.name,
                len(requeued),
                len(failed),
            )
            if on_reaped is not None:
                on_reaped(q.name, requeued + failed)

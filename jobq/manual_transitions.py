"""The transitions behind rq's manual calls: ``Queue.enqueue_dependents``,
``Queue.compact``, ``Queue.push_job_id`` and ``job.cleanup`` (``job.set_status`` files
the job with :mod:`jobq.filing`, as ``registry.add`` does) (re-exported by
:mod:`jobq.transitions`, as the wait family is)."""

from __future__ import annotations

import time

import redis

from . import hooks, scripts
from .keys import QueueKeys


def settle(client: redis.Redis, q: QueueKeys, job_id: str, now: int | None = None) -> bool:
    """Settle the dependents of an ended job; False when it has not ended (or is gone)."""
    keys = [q.queued, q.wake, q.deferred, q.canceled, q.scheduled]
    code = int(
        scripts.get("settle")(client, keys, [q.prefix, job_id, _now() if now is None else now])
    )
    if code == scripts.Settled.SETTLED:
        hooks.jobs_changed(client, q.name, [job_id])
    return code == scripts.Settled.SETTLED


def compact(client: redis.Redis, q: QueueKeys) -> int:
    """Drop the ids in the queue's list whose job is gone; returns how many."""
    return int(scripts.get("compact")(client, [q.queued], [q.prefix]))


def _now() -> int:
    return int(time.time() * 1000)


def keep(
    client: redis.Redis, q: QueueKeys, job_id: str, ttl_ms: int, now: int | None = None
) -> None:
    """Keep a created or ended job ``ttl_ms`` more (-1: forever)."""
    keys = [q.finished, q.failed, q.canceled]
    code = int(
        scripts.get("keep")(
            client, keys, [q.prefix, job_id, ttl_ms, _now() if now is None else now]
        )
    )
    scripts.raise_for_code("keep", code, job_id)


def push(client: redis.Redis, q: QueueKeys, job_id: str, at_front: bool = False) -> bool:
    """Put ``job_id`` on the queue's list (see push-2.lua); False when it was there."""
    code = int(scripts.get("push")(client, [q.queued, q.wake], [q.prefix, job_id, int(at_front)]))
    scripts.raise_for_code("push", code, job_id)
    return code == scripts.Pushed.PUSHED

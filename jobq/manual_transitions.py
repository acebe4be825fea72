"""The transitions behind rq's manual calls: ``job.set_status``,
``Queue.enqueue_dependents`` and ``Queue.compact`` (re-exported by
:mod:`jobq.transitions`, as the wait family is)."""

from __future__ import annotations

import time

import redis
from redis.client import Pipeline

from . import hooks, scripts
from .keys import QueueKeys
from .status import SET_BY_HAND, JobStatus

#: the statuses set_status gives: the ends a job can be given without running
SETTABLE = SET_BY_HAND


def set_status(
    client: redis.Redis | Pipeline,
    q: QueueKeys,
    job_id: str,
    status: JobStatus,
    now: int | None = None,
) -> None:
    """End a job that waits (created, queued, scheduled or deferred) with ``status``
    (one of :data:`SETTABLE`). On a
    pipeline the step is only queued, by its source (a plain ``execute()`` cannot
    reload a script the server lost), and its reply is the caller's to read."""
    if status not in SETTABLE:
        raise ValueError(
            f"set_status gives a job one of {sorted(s.value for s in SETTABLE)}, not "
            f"{str(status)!r}: a job is queued, scheduled, deferred or started by the "
            "steps that put it there (enqueue, enqueue_at, depends_on, a worker)"
        )
    keys = [q.queued, q.scheduled, q.deferred, q.finished, q.failed, q.canceled]
    args = [q.prefix, job_id, status.value, _now() if now is None else now]
    if isinstance(client, Pipeline):
        scripts.get("set_status").queue_source_in(client, keys, args)
        return
    code = int(scripts.get("set_status")(client, keys, args))
    scripts.raise_for_code("set_status", code, job_id)
    hooks.jobs_changed(client, q.name, [job_id])


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

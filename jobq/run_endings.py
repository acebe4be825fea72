"""The steps that end a run other than finish and fail: a run whose job function
returned a Retry (rq 2.x), and a run stopped by a command (rq's stop command).

Like :mod:`jobq.transitions`, one typed function per Lua file; the clock is
``transitions.now_ms`` (read at call time, so tests can fix it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import redis
from redis.client import Pipeline
from redis.cluster import ClusterPipeline

from . import hooks, scripts, transitions
from .keys import QueueKeys

if TYPE_CHECKING:
    from .worker.executor import Outcome

#: what retry_returned-7.lua's code for a job says landed: its codes are fail-7's
RETRY_RETURNED_ACKS = transitions.FAIL_ACKS


def retry_returned(
    client: redis.Redis | Pipeline,
    q: QueueKeys,
    worker: str,
    runs: Sequence[tuple[str, str]],
) -> list[int] | None:
    """Record runs that returned a Retry: (job id, :meth:`jobq.retry.Retry.to_json`).
    Codes 1 failed (max retries exceeded), 2 retried, -2 lease lost; when ``client``
    is a pipeline the call is only queued."""
    keys = [q.started, q.failed, q.queued, q.scheduled, q.deferred, q.canceled, q.wake]
    args: list[Any] = [q.prefix, transitions.now_ms(), worker]
    for job_id, policy in runs:
        args.extend((job_id, policy))
    script = scripts.get("retry_returned")
    if isinstance(client, Pipeline | ClusterPipeline):
        script.queue_in(client, keys, args)
        return None
    return [int(c) for c in script(client, keys, args)]


def stop(client: redis.Redis, q: QueueKeys, job_id: str) -> str:
    """Stop a running job (see stop-2.lua); returns the name of the worker that ran
    it. Raises NoSuchJobError, or InvalidJobOperation when it is not running."""
    reply = scripts.get("stop")(
        client, [q.started, q.failed], [q.prefix, job_id, transitions.now_ms()]
    )
    if isinstance(reply, int):
        scripts.raise_for_code("stop", reply, job_id)
    hooks.jobs_changed(client, q.name, [job_id])
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def acknowledge(client: redis.Redis, q: QueueKeys, worker: str, outcome: Outcome) -> hooks.Acked:
    """Record one run's outcome at once, through the step its kind takes (finish, a
    returned Retry, or fail), and say what landed: for a run made outside the
    worker loop, which acknowledges its runs in batches."""
    job_id = outcome.job.id
    if outcome.ok:
        codes = transitions.finish(client, q, worker, [(job_id, outcome.result)])
        meaning = transitions.FINISH_ACKS
    elif outcome.retry is not None:
        codes = retry_returned(client, q, worker, [(job_id, outcome.retry.to_json())])
        meaning = RETRY_RETURNED_ACKS
    else:
        codes = transitions.fail(client, q, worker, [(job_id, outcome.error, outcome.reason)])
        meaning = transitions.FAIL_ACKS
    return meaning.get(int(codes[0]), hooks.Acked.LEASE_LOST) if codes else hooks.Acked.LEASE_LOST

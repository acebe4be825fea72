"""The step that files a job into a registry by hand (file-7.lua, rq's
``registry.add``), with its replies; kept beside :mod:`jobq.transitions` so that
module stays within its size."""

from __future__ import annotations

from typing import Any

import redis
from redis.client import Pipeline
from redis.cluster import ClusterPipeline

from . import hooks, scripts
from .keys import QueueKeys
from .scripts import Filed
from .status import JobStatus
from .transitions import now_ms

#: the registries a job can be filed into by hand: the ends a job can be given
#: without running, and deferred (parked until enqueued by hand)
FILEABLE = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.DEFERRED})


def file(
    client: redis.Redis | Pipeline,
    q: QueueKeys,
    job_id: str,
    status: JobStatus,
    *,
    ttl: int | None = None,
    error: str = "",
    xx: bool = False,
    now: int | None = None,
) -> Filed | None:
    """File job ``job_id`` (not running, not ended otherwise) in the registry of
    ``status``; ``ttl`` seconds it is kept (None: its own result_ttl / failure_ttl,
    -1 forever). On a pipeline the call is only queued (None is returned)."""
    if status not in FILEABLE:
        raise ValueError(f"jobs are filed as {sorted(FILEABLE)}, not {status!r}")
    keys = [q.queued, q.scheduled, q.deferred, q.finished, q.failed, q.canceled, q.prio]
    args: list[Any] = [
        q.prefix, job_id, status.value, now_ms() if now is None else now,
        "" if ttl is None else int(ttl), error, int(xx),
    ]  # fmt: skip
    script = scripts.get("file")
    if isinstance(client, Pipeline | ClusterPipeline):
        # by its source: the caller runs the pipeline, where a NOSCRIPT is not retried
        script.queue_source_in(client, keys, args)
        return None
    code = int(script(client, keys, args))
    scripts.raise_for_code("file", code, job_id)
    if code == Filed.FILED:
        hooks.jobs_changed(client, q.name, [job_id])
    return Filed(code)

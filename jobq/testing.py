"""Run jobs in this process, now: rq's ``Queue(is_async=False)``, for users' tests.

An inline job takes the same steps a worker's job takes — dequeue with a lease,
the executor (hooks, timeout, callbacks, ``get_current_job()``), then the finish
or fail transition — so a test sees the statuses, results, tracebacks and
retries a real worker would leave in Redis. Only the process differs. A retry
without an interval runs again at once (as rq does); one with an interval stays
scheduled for a worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import defaults, run_endings, transitions
from .exceptions import InvalidJobOperation, NoSuchJobError
from .functions import FunctionResolver
from .hooks import Acked, Hook, Hooks
from .job import Job
from .observers import with_observers
from .status import JobStatus
from .worker.executor import Executor, Outcome

if TYPE_CHECKING:
    from .queue import Queue

__all__ = ["inline_worker_name", "run_now"]


def inline_worker_name() -> str:
    """The worker name inline runs record (one per process: leases are per worker)."""
    return f"inline.{os.getpid()}"


def run_now(queue: Queue, job: Job, hooks: Iterable[Hook] = ()) -> Job:
    """Run ``job``, which must be at the head of ``queue`` (``is_async=False``
    enqueues it there), and return it refreshed with its status and result."""
    executor = Executor(FunctionResolver(), Hooks(with_observers(hooks)), keyring=queue.keyring)
    try:
        # each retry without an interval runs at once; the fail and retry_returned
        # steps bound them (retry= and a returned Retry each have their own max)
        while True:
            acked = _attempt(queue, job, executor)
            if acked is not Acked.RETRIED or job.get_status() != JobStatus.QUEUED:
                break
    finally:
        executor.close()
    return job


def _attempt(queue: Queue, job: Job, executor: Executor) -> Acked:
    worker = inline_worker_name()
    lease_ms = int(max(job.timeout or 0, defaults.LEASE_SECONDS) * 1000) + 60_000
    taken = transitions.dequeue(queue.connection, queue.keys, worker, 1, lease_ms)
    if not taken:
        raise InvalidJobOperation(f"job {job.id} is not queued in {queue.name!r}; cannot run it")
    job_id, fields = taken[0]
    if job_id != job.id:
        transitions.release(queue.connection, queue.keys, worker, [job_id])
        raise InvalidJobOperation(
            f"job {job_id} was ahead of {job.id} in queue {queue.name!r}; an inline run "
            "takes only the job just enqueued, so leave this queue to a worker"
        )
    fields[b"worker"] = worker.encode()  # set by dequeue, not returned
    running = Job(job_id, queue.connection, origin=queue.name, fields=fields)
    executor.hooks.dequeued([running])
    outcome = executor.perform(running)
    acked = run_endings.acknowledge(queue.connection, queue.keys, worker, outcome)
    executor.hooks.after_ack(running, outcome, acked)
    _refresh(job, outcome)
    return acked


def _refresh(job: Job, outcome: Outcome) -> None:
    """Load what the transition stored; a job kept for 0 s is gone, so keep what ran."""
    try:
        job.refresh()
    except NoSuchJobError:
        status = JobStatus.FINISHED if outcome.ok else JobStatus.FAILED
        ended = {b"status": status.value.encode()}
        if outcome.ok:
            ended[b"result"] = outcome.result
        else:
            ended[b"error"] = outcome.error.encode()
        job.load_fields(outcome.job.raw_fields | ended)

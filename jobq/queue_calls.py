"""rq's queue calls about the queue's own list and the set of queues: ordering,
``from_queue_key``, ``compact`` and ``enqueue_dependents``."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import redis

from . import connection as conn_mod
from . import defaults, keys, transitions
from .job_fields import JobFields
from .keys import QUEUES, QueueKeys
from .preparing import PreparedJob
from .status import JobStatus

#: ends of a dependency that cancel a dependent unless it allows failures (enqueue-7.lua)
_DID_NOT_FINISH = frozenset({"failed", "canceled", "stopped"})


def buffer_in(pipeline: Any) -> None:
    """Make a caller's pipeline that WATCHes keys buffer what follows (MULTI), as rq
    does: the enqueue then happens when the caller runs it, guarded by the WATCH,
    instead of at once in WATCH's immediate mode."""
    if getattr(pipeline, "watching", False) and not pipeline.explicit_transaction:
        pipeline.multi()


class QueueCalls:
    """Mixed into :class:`jobq.queue.Queue`, whose name, keys and connection it reads."""

    name: str
    keys: QueueKeys
    connection: redis.Redis
    job_class: type[Any]

    #: the set of every queue's name (rq's ``Queue.redis_queues_keys``)
    redis_queues_keys: ClassVar[str] = QUEUES

    def __eq__(self, other: object) -> bool:
        """Queues are equal by name; a queue compared with anything else raises
        TypeError, as in rq, so that ``queue == "default"`` is not silently False."""
        if not isinstance(other, QueueCalls):
            raise TypeError(f"cannot compare a queue with {type(other).__name__}; compare names")
        return other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __lt__(self, other: object) -> bool:
        """Queues sort by name (rq's ordering)."""
        if not isinstance(other, QueueCalls):
            raise TypeError(f"cannot order a queue with {type(other).__name__}; compare names")
        return self.name < other.name

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, QueueCalls):
            raise TypeError(f"cannot order a queue with {type(other).__name__}; compare names")
        return self.name > other.name

    def __le__(self, other: object) -> bool:
        return self == other or self < other

    def __ge__(self, other: object) -> bool:
        return self == other or self > other

    @classmethod
    def from_queue_key(
        cls, queue_key: str | bytes, connection: redis.Redis | None = None, **kwargs: Any
    ) -> Self:
        """The queue whose list of queued ids is ``queue_key`` (``queue.key``)."""
        key = queue_key.decode() if isinstance(queue_key, bytes) else queue_key
        name = keys.queue_name_of(key)
        if name is None:
            raise ValueError(
                f"{key!r} is not the key of a jobq queue (like {keys.queue_keys('default').queued!r})"
            )
        return cls(name, connection, **kwargs)  # type: ignore[call-arg]

    def expected_placement(self, p: PreparedJob, now: int) -> JobStatus:
        """Where a job sent in a caller's pipeline will land, read before the pipeline
        runs (as rq reads it): its dependencies' statuses now decide between deferred,
        canceled and due. The enqueue step decides for real when the pipeline runs."""
        ready = JobStatus.SCHEDULED if p.due > now else JobStatus.QUEUED
        if not p.depends_on:
            return ready
        pipe = self.connection.pipeline(transaction=False)
        for dep in p.depends_on:
            pipe.hget(self.keys.job(dep), "status")
        statuses = [s.decode() if s else None for s in pipe.execute()]
        allow_failure = p.fields.get("allow_dep_fail") == "1"
        if not allow_failure and any(s in _DID_NOT_FINISH for s in statuses):
            return JobStatus.CANCELED
        if any(s is not None and s != "finished" and s not in _DID_NOT_FINISH for s in statuses):
            return JobStatus.DEFERRED
        return ready

    def push_job_id(self, job_id: str, pipeline: Any = None, at_front: bool = False) -> None:
        """Put ``job_id`` on this queue's list (rq's): a queued job its list lost goes
        back on it once; an id of no job is taken as rq takes it, and dropped by
        dequeue and :meth:`compact`. A job that has another place raises
        InvalidJobOperation (``job.requeue()`` queues an ended job). ``pipeline``: rq's,
        not used."""
        transitions.push(self.connection, self.keys, keys.check_id(job_id, "job_id"), at_front)

    def compact(self) -> int:
        """Drop the ids in the queue whose job no longer exists (pushed by hand, or
        left by a job deleted outside jobq); returns how many."""
        return transitions.compact(self.connection, self.keys)

    def enqueue_dependents(
        self, job: JobFields, pipeline: Any = None, exclude_job_id: str | None = None
    ) -> None:
        """Settle the dependents of ``job``, which ended (rq's name): queue those whose
        dependencies are all met, or cancel those it failed. jobq's own ends of a job
        settle them in the same step; this is for a job given its end by
        ``job.set_status``. A job that has not ended keeps its dependents waiting."""
        transitions.settle(self.connection, keys.queue_keys(job.origin), job.id)

    @classmethod
    def dequeue_any(
        cls,
        queues: Sequence[QueueCalls],
        timeout: float | None,
        connection: redis.Redis | None = None,
        job_class: type[Any] | None = None,
        serializer: Any = None,
        death_penalty_class: Any = None,
        worker_name: str | None = None,
    ) -> tuple[Any, QueueCalls] | None:
        """Take the first ready job of ``queues``, in their order, and return it with
        its queue; None when none is ready (``timeout=None``) or none came within
        ``timeout`` seconds. The job is taken as a worker takes it: started, under a
        lease held by ``worker_name``, which a worker's steps renew and end; a lease
        that runs out puts the job back in its queue (at-least-once, as for a worker
        that died). Ids whose job is gone are dropped on the way, as in rq.
        ``serializer`` and ``death_penalty_class``: rq's, not used."""
        if timeout is not None and timeout <= 0:
            raise ValueError("dequeue_any waits a timeout > 0 seconds, or not at all (None)")
        worker = worker_name or f"dequeue.{socket.gethostname()}.{os.getpid()}"
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for queue in queues:
                client = connection or queue.connection
                lease_ms = int(max(defaults.JOB_TIMEOUT, defaults.LEASE_SECONDS) * 1000) + 60_000
                taken = transitions.dequeue(client, queue.keys, worker, 1, lease_ms)
                if taken:
                    job_id, fields = taken[0]
                    fields[b"worker"] = worker.encode()  # set by the step, not returned
                    made = job_class or queue.job_class
                    return made(job_id, client, origin=queue.name, fields=fields), queue
            left = None if deadline is None else deadline - time.monotonic()
            if left is None or left <= 0:
                return None
            client = connection or queues[0].connection
            block = min(left, conn_mod.max_block_seconds(client))
            # a wake token is left for idle workers by every push: wait for one
            client.blpop([q.keys.wake for q in queues], timeout=max(block, 0.01))

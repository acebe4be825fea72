"""Registries: read views over one sorted set each, described by one table.

Scores mean what the registry says (lease deadline, due time, expiry); the
terminal registries drop ids whose job hash has expired on ``cleanup``.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis
from redis.client import Pipeline

from . import connection as conn_mod
from . import filing, keys, transitions
from .exceptions import InvalidJobOperation, NoSuchJobError
from .job import Job
from .preparing import stored_created
from .scripts import raise_for_code
from .serializers import Serializer
from .status import JobStatus
from .timeutil import to_ms

if TYPE_CHECKING:
    from .executions import Execution
    from .queue import Queue


@dataclass(frozen=True)
class RegistrySpec:
    name: str
    status: JobStatus
    #: what the score holds, for the admin and docs
    score: str
    #: entries past their score may be dropped by cleanup (their job hash expired)
    expires: bool
    requeueable: bool


SPECS: dict[str, RegistrySpec] = {
    "started": RegistrySpec("started", JobStatus.STARTED, "lease deadline", False, False),
    "scheduled": RegistrySpec("scheduled", JobStatus.SCHEDULED, "due time", False, False),
    "deferred": RegistrySpec("deferred", JobStatus.DEFERRED, "deferred since", False, False),
    "finished": RegistrySpec("finished", JobStatus.FINISHED, "expiry", True, True),
    "failed": RegistrySpec("failed", JobStatus.FAILED, "expiry", True, True),
    "canceled": RegistrySpec("canceled", JobStatus.CANCELED, "expiry", True, True),
}


class BaseRegistry:
    """A registry of job ids scored by expiry (ms). The subclasses below are jobq's
    state registries: a job is in exactly one of them, and only the transitions
    move it. A plain ``BaseRegistry`` (or a subclass without a ``spec``) is rq's
    base registry: an index of ids a program keeps for itself (``label`` names its
    key), with an expiry per id, beside the job's own state, which it never changes."""

    spec: RegistrySpec | None = None
    #: the key of a plain registry: ``keys.QueueKeys.registry(label)``
    label = "custom"

    def __init__(
        self,
        name: str = "default",
        connection: redis.Redis | None = None,
        queue: Queue | None = None,
        serializer: Serializer | str | None = None,
        *,
        job_class: type[Job] | None = None,
    ) -> None:
        if queue is not None:
            name, connection, serializer = queue.name, queue.connection, queue.serializer
        self.name = name
        self.connection = conn_mod.resolve(connection)
        self.serializer = serializer
        #: the class of the jobs get_jobs returns (rq's)
        self.job_class: type[Job] = job_class or Job
        self.keys = keys.queue_keys(name)
        self.key: str = (
            self.keys.registry(self.label)
            if self.spec is None
            else getattr(self.keys, self.spec.name)
        )

    @property
    def _what(self) -> str:
        return self.label if self.spec is None else self.spec.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, BaseRegistry)
            and other.name == self.name
            and other.connection == self.connection
        )

    def __hash__(self) -> int:
        return hash((type(self), self.name))

    def __len__(self) -> int:
        return self.count

    def __contains__(self, item: Job | str) -> bool:
        job_id = item.id if isinstance(item, Job) else item
        return self.connection.zscore(self.key, job_id) is not None

    @property
    def count(self) -> int:
        return int(self.connection.zcard(self.key))

    def get_job_ids(
        self, start: int = 0, end: int = -1, desc: bool = False, cleanup: bool = False
    ) -> list[str]:
        """The ids ranked ``start`` to ``end`` (inclusive, -1 the last, as rq's) in
        score order. ``cleanup``: clean up first (rq does by default; jobq's workers
        clean up at every heartbeat, so a read need not write)."""
        if cleanup:
            self.cleanup()
        ids = self.connection.zrange(self.key, start, end, desc=desc)
        return [conn_mod.text(i) for i in ids]

    def get_job_ids_with_scores(self, offset: int = 0, limit: int = -1) -> list[tuple[str, float]]:
        end = -1 if limit < 0 else offset + limit - 1
        rows: list[tuple[bytes, float]] = self.connection.zrange(
            self.key, offset, end, withscores=True
        )  # type: ignore[assignment, unused-ignore]
        return [(conn_mod.text(i), float(s)) for i, s in rows]

    def get_jobs(self, offset: int = 0, limit: int = -1) -> list[Job]:
        """A page of the jobs (``limit`` < 0: to the end), in score order."""
        ids = self.get_job_ids(offset, -1 if limit < 0 else offset + limit - 1)
        found = self.job_class.fetch_many(
            ids, self.connection, serializer=self.serializer, queue=self.name
        )
        return [j for j in found if j is not None]

    def get_job_count(self, cleanup: bool = False) -> int:
        """How many ids the registry holds (``cleanup``: clean up first, as rq does by
        default)."""
        if cleanup:
            self.cleanup()
        return self.count

    def get_expired_job_ids(self, timestamp: float | None = None) -> list[str]:
        """Ids whose score (expiry, lease deadline, due time: ms) is past ``timestamp``
        (ms; default now)."""
        now = transitions.now_ms() if timestamp is None else timestamp
        return [conn_mod.text(i) for i in self.connection.zrangebyscore(self.key, 0, now)]

    def cleanup(self, now_ms: int | None = None) -> int:
        """Drop ids whose job expired (terminal registries) or whose lease expired (started)."""
        now = transitions.now_ms() if now_ms is None else now_ms
        if self.spec is not None and self.spec.name == "started":
            requeued, failed = transitions.reap(self.connection, self.keys, now=now)
            return len(requeued) + len(failed)
        if self.spec is not None and not self.spec.expires:
            return 0
        return int(self.connection.zremrangebyscore(self.key, "-inf", now))

    def requeue(self, job_or_id: Job | str, at_front: bool = False) -> Job:
        if self.spec is not None and not self.spec.requeueable:
            raise InvalidJobOperation(f"jobs in the {self.spec.name} registry cannot be requeued")
        job_id = job_or_id.id if isinstance(job_or_id, Job) else job_or_id
        transitions.requeue(self.connection, self.keys, job_id, at_front=at_front)
        return Job.fetch(job_id, self.connection, serializer=self.serializer, queue=self.name)

    def requeue_all(self) -> int:
        n = 0
        for job_id in self.get_job_ids():
            try:
                self.requeue(job_id)
            except InvalidJobOperation:
                continue
            n += 1
        return n

    def _score_time(self, job_or_id: Job | str) -> dt.datetime:
        job_id = job_or_id.id if isinstance(job_or_id, Job) else job_or_id
        score = self.connection.zscore(self.key, job_id)
        if score is None:
            raise NoSuchJobError(f"job {job_id!r} is not in the {self._what} registry")
        return dt.datetime.fromtimestamp(float(score) / 1000, tz=dt.UTC)

    def get_expiration_time(self, job_or_id: Job | str) -> dt.datetime:
        """When the job's entry expires (terminal registries) or its lease ends (started)."""
        return self._score_time(job_or_id)

    def add(
        self,
        job: Job | str,
        ttl: float | None = None,
        pipeline: Pipeline | None = None,
        xx: bool = False,
    ) -> int | None:
        """rq's ``add``. A plain registry records the id, kept ``ttl`` seconds (0 or
        None: expired at once, for ``cleanup``; -1: forever). A state registry files
        the job there (file-7.lua): it leaves the registry it was in, as a job is in
        one only; ``ttl`` is how long an ended job is kept (None: its own). ``xx``:
        only a job already in the registry. On a ``pipeline`` the call is queued."""
        job_id = job.id if isinstance(job, Job) else job
        if self.spec is None:
            score = (
                "+inf"
                if ttl is not None and ttl < 0
                else transitions.now_ms() + int((ttl or 0) * 1000)
            )
            client = pipeline if pipeline is not None else self.connection
            added: Any = client.zadd(self.key, {job_id: score}, xx=xx)
            return None if pipeline is not None else int(added)
        if self.spec.status not in filing.FILEABLE:
            raise NotImplementedError(_NOT_FILED[self.spec.name])
        kept = None if ttl is None or self.spec.status is JobStatus.DEFERRED else int(ttl)
        client_ = pipeline if pipeline is not None else self.connection
        filed = filing.file(client_, self.keys, job_id, self.spec.status, ttl=kept, xx=xx)
        return None if filed is None else int(filed)

    def remove(
        self, job_or_id: Job | str, pipeline: Pipeline | None = None, delete_job: bool = False
    ) -> None:
        """Forget the id (``delete_job``: delete the job too, through its step)."""
        job_id = job_or_id.id if isinstance(job_or_id, Job) else job_or_id
        if delete_job:
            if self.spec is None:
                self.connection.zrem(self.key, job_id)
            transitions.delete(self.connection, self.keys, job_id)
        else:
            (pipeline if pipeline is not None else self.connection).zrem(self.key, job_id)


#: why a state registry takes no job by hand, and what does it
_NOT_FILED = {
    "started": "a job is started by the worker that takes it: Worker.prepare_execution(job)",
    "scheduled": "a job is scheduled with a due time: Queue.enqueue_at / Queue.enqueue_in",
}


class StartedJobRegistry(BaseRegistry):
    """Running jobs, scored by lease deadline; an execution is a job's attempt."""

    spec = SPECS["started"]

    def get_job_and_execution_ids(self) -> list[tuple[str, str]]:
        """(job id, execution id) of each running job: its attempt (jobq.executions)."""
        ids = self.get_job_ids()
        pipe = self.connection.pipeline(transaction=False)
        for job_id in ids:
            pipe.hget(self.keys.job(job_id), "attempts")
        return [(i, conn_mod.text(a or b"0")) for i, a in zip(ids, pipe.execute(), strict=True)]

    def add_execution(
        self,
        execution: Execution,
        pipeline: Pipeline | None = None,
        ttl: float = 0,
        xx: bool = False,
    ) -> int:
        """Not in jobq: a job runs under the lease of the worker that took it, and an
        execution (an attempt) exists only once one did."""
        raise NotImplementedError(
            f"job {execution.job_id!r} becomes started when a worker takes it: "
            "Worker.prepare_execution(job)"
        )

    def remove_executions(self, job: Job | str) -> int:
        """End the job's run here: hand it back to its queue, as its worker would
        (the attempt does not count); the id of a job gone is dropped. Returns 1 if
        it was running."""
        job_id = job.id if isinstance(job, Job) else job
        holder = self.connection.hget(self.keys.job(job_id), "worker")
        if holder is None:
            if not self.connection.exists(self.keys.job(job_id)):
                self.connection.zrem(self.key, job_id)
            return 0
        return transitions.release(self.connection, self.keys, conn_mod.text(holder), [job_id])

    def remove(
        self, job_or_id: Job | str, pipeline: Pipeline | None = None, delete_job: bool = False
    ) -> None:
        """As in rq 2: not here. An id dropped alone would leave its job in no
        registry, never reaped."""
        raise NotImplementedError(
            "a running job leaves the started registry by its worker, by "
            "remove_executions(job) (handed back to its queue), cancel or delete"
        )


class ScheduledJobRegistry(BaseRegistry):
    spec = SPECS["scheduled"]

    def get_scheduled_time(self, job_or_id: Job | str) -> dt.datetime:
        """When the job is due (aware UTC)."""
        return self._score_time(job_or_id)

    def schedule(self, job: Job, scheduled_datetime: dt.datetime) -> None:
        """Make ``job`` due at ``scheduled_datetime`` (rq's; naive: local time). A job
        waiting here is given the new time; a created job (``Job.create(...).save()``)
        of this queue is placed as ``enqueue_at`` places it. A job anywhere else is
        refused: it leaves its registry only through its own transitions."""
        due = to_ms(scheduled_datetime)
        if self.connection.zadd(self.key, {job.id: due}, xx=True, ch=True) or job.id in self:
            return
        if job.get_status() is not JobStatus.CREATED:
            raise InvalidJobOperation(
                f"job {job.id!r} is {job.get_status(refresh=False)}: only a created job or "
                "one already scheduled can be scheduled"
            )
        prepared = stored_created(job, self.name, at_front=False, due=due)
        code = transitions.enqueue_job(self.connection, self.keys, prepared, transitions.now_ms())
        if isinstance(code, str):
            raise InvalidJobOperation(f"live job {code!r} holds the unique key of job {job.id!r}")
        if isinstance(code, int):
            raise_for_code("enqueue", code, job.id)
        job.refresh()

    def get_jobs_to_schedule(
        self, timestamp: float | None = None, chunk_size: int = 1000
    ) -> list[str]:
        """Ids due by ``timestamp`` (Unix seconds, default now), at most ``chunk_size``,
        earliest first: what the next scheduler pass queues."""
        until = int((time.time() if timestamp is None else timestamp) * 1000)
        ids = self.connection.zrange(
            self.key, "-inf", until, byscore=True, offset=0, num=chunk_size
        )
        return [conn_mod.text(i) for i in ids]

    def get_jobs_to_enqueue(self, timestamp: float | None = None) -> list[str]:
        """Every id due by ``timestamp`` (Unix seconds, default now), earliest first."""
        until = int((time.time() if timestamp is None else timestamp) * 1000)
        return [conn_mod.text(i) for i in self.connection.zrangebyscore(self.key, "-inf", until)]

    def remove_jobs(self, timestamp: float | None = None, pipeline: Any = None) -> int:
        """Deprecated (rq's): delete the jobs due by ``timestamp`` (Unix seconds,
        default now). A job is always in exactly one registry, so one taken out of
        this one is deleted, not left nowhere. ``pipeline`` is not used."""
        warnings.warn(
            "ScheduledJobRegistry.remove_jobs() is deprecated: the scheduler queues due "
            "jobs itself; delete a job with registry.remove(job, delete_job=True)",
            DeprecationWarning,
            stacklevel=2,
        )
        ids = self.get_jobs_to_enqueue(timestamp)
        deleted = transitions.delete_many(self.connection, self.keys, ids)
        pipe = self.connection.pipeline(transaction=False)
        for job_id in ids:
            pipe.exists(self.keys.job(job_id))
        # ids whose job is gone (expired, or never written) only leave the registry
        dangling = [
            i for i, there in zip(ids, pipe.execute() if ids else [], strict=True) if not there
        ]
        if dangling:
            self.connection.zrem(self.key, *dangling)
        return deleted


class DeferredJobRegistry(BaseRegistry):
    spec = SPECS["deferred"]


class FinishedJobRegistry(BaseRegistry):
    spec = SPECS["finished"]


class FailedJobRegistry(BaseRegistry):
    spec = SPECS["failed"]

    def add(  # type: ignore[override]
        self,
        job: Job | str,
        ttl: float | None = None,
        exc_string: str = "",
        pipeline: Pipeline | None = None,
        xx: bool = False,
    ) -> int | None:
        """File the job as failed (rq's order of arguments), ``exc_string`` its error."""
        job_id = job.id if isinstance(job, Job) else job
        kept = None if ttl is None else int(ttl)
        client = pipeline if pipeline is not None else self.connection
        filed = filing.file(
            client, self.keys, job_id, JobStatus.FAILED, ttl=kept, error=exc_string, xx=xx
        )
        return None if filed is None else int(filed)


class CanceledJobRegistry(BaseRegistry):
    spec = SPECS["canceled"]


REGISTRY_CLASSES: dict[str, type[BaseRegistry]] = {
    "started": StartedJobRegistry, "scheduled": ScheduledJobRegistry,
    "deferred": DeferredJobRegistry, "finished": FinishedJobRegistry,
    "failed": FailedJobRegistry, "canceled": CanceledJobRegistry,
}  # fmt: skip


def registry_for(queue: Queue, name: str) -> BaseRegistry:
    return REGISTRY_CLASSES[name](queue=queue)


def all_counts(connection: redis.Redis, queue_names: list[str]) -> dict[str, dict[str, Any]]:
    """Counts per registry for many queues in one pipelined round trip."""
    pipe = connection.pipeline(transaction=False)
    for name in queue_names:
        k = keys.queue_keys(name)
        pipe.llen(k.queued)
        pipe.zcard(k.prio)  # queued jobs waiting by priority
        for spec in SPECS.values():
            pipe.zcard(getattr(k, spec.name))
    replies = iter(pipe.execute())
    out: dict[str, dict[str, Any]] = {}
    for name in queue_names:
        row = {"queued": int(next(replies)) + int(next(replies))}
        for spec in SPECS.values():
            row[spec.name] = int(next(replies))
        out[name] = row
    return out


def clean_registries(queue: Queue) -> None:
    """Drop the expired entries of ``queue``'s registries (rq's helper; jobq's
    workers also do this at every heartbeat)."""
    for cls in REGISTRY_CLASSES.values():
        cls(queue=queue).cleanup()

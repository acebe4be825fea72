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

from . import connection as conn_mod
from . import keys, transitions
from .exceptions import InvalidJobOperation, NoSuchJobError
from .job import Job
from .preparing import stored_created
from .scripts import raise_for_code
from .serializers import Serializer
from .status import JobStatus
from .timeutil import to_ms

if TYPE_CHECKING:
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
    spec: RegistrySpec

    def __init__(
        self,
        name: str = "default",
        connection: redis.Redis | None = None,
        queue: Queue | None = None,
        serializer: Serializer | str | None = None,
    ) -> None:
        if queue is not None:
            name, connection, serializer = queue.name, queue.connection, queue.serializer
        self.name = name
        self.connection = conn_mod.resolve(connection)
        self.serializer = serializer
        self.keys = keys.queue_keys(name)
        self.key: str = getattr(self.keys, self.spec.name)

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
        self, offset: int = 0, limit: int = -1, *, desc: bool = False, cleanup: bool = False
    ) -> list[str]:
        """A window of ids (``limit`` < 0: to the end), in score order."""
        if cleanup:
            self.cleanup()
        end = -1 if limit < 0 else offset + limit - 1
        ids = self.connection.zrange(self.key, offset, end, desc=desc)
        return [conn_mod.text(i) for i in ids]

    def get_job_ids_with_scores(self, offset: int = 0, limit: int = -1) -> list[tuple[str, float]]:
        end = -1 if limit < 0 else offset + limit - 1
        rows: list[tuple[bytes, float]] = self.connection.zrange(
            self.key, offset, end, withscores=True
        )  # type: ignore[assignment, unused-ignore]
        return [(conn_mod.text(i), float(s)) for i, s in rows]

    def get_jobs(self, offset: int = 0, limit: int = -1) -> list[Job]:
        ids = self.get_job_ids(offset, limit)
        found = Job.fetch_many(ids, self.connection, serializer=self.serializer, queue=self.name)
        return [j for j in found if j is not None]

    def cleanup(self, now_ms: int | None = None) -> int:
        """Drop ids whose job expired (terminal registries) or whose lease expired (started)."""
        now = transitions.now_ms() if now_ms is None else now_ms
        if self.spec.name == "started":
            requeued, failed = transitions.reap(self.connection, self.keys, now=now)
            return len(requeued) + len(failed)
        if not self.spec.expires:
            return 0
        return int(self.connection.zremrangebyscore(self.key, "-inf", now))

    def requeue(self, job_or_id: Job | str, at_front: bool = False) -> Job:
        if not self.spec.requeueable:
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
            raise NoSuchJobError(f"job {job_id!r} is not in the {self.spec.name} registry")
        return dt.datetime.fromtimestamp(float(score) / 1000, tz=dt.UTC)

    def get_expiration_time(self, job_or_id: Job | str) -> dt.datetime:
        """When the job's entry expires (terminal registries) or its lease ends (started)."""
        return self._score_time(job_or_id)

    def remove(self, job_or_id: Job | str, delete_job: bool = False) -> None:
        job_id = job_or_id.id if isinstance(job_or_id, Job) else job_or_id
        if delete_job:
            transitions.delete(self.connection, self.keys, job_id)
        else:
            self.connection.zrem(self.key, job_id)


class StartedJobRegistry(BaseRegistry):
    spec = SPECS["started"]


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


class CanceledJobRegistry(BaseRegistry):
    spec = SPECS["canceled"]


REGISTRY_CLASSES: dict[str, type[BaseRegistry]] = {
    cls.spec.name: cls
    for cls in (
        StartedJobRegistry, ScheduledJobRegistry, DeferredJobRegistry,
        FinishedJobRegistry, FailedJobRegistry, CanceledJobRegistry,
    )
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

"""The job: a handle on one job hash in Redis, decoded lazily.

A ``Job`` holds no transition logic: state changes go through
:mod:`jobq.transitions`, one Lua step each, so a handle can be stale but never
half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import redis

from . import connection as conn_mod
from . import defaults, keys, transitions
from .context import get_current_job  # rq keeps it in ``rq.job`` too
from .exceptions import (
    DeserializationError,
    InvalidJobOperation,
    JobFailedError,
    NoSuchJobError,
)
from .job_callbacks import UNEVALUATED
from .job_calls import JobCalls
from .job_fields import Dependency as Dependency
from .job_fields import new_job_id as new_job_id
from .job_fields import queue_names
from .preparing import JobMaker
from .retry import Callback, Retry
from .serializers import Serializer
from .status import JobStatus

if TYPE_CHECKING:
    from .queue import Queue


class Job(JobCalls):
    """A job stored in queue ``origin``; rq's attribute and method names."""

    def __repr__(self) -> str:
        return f"Job({self.id!r}, origin={self.origin!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and other.id == self.id and other.origin == self.origin

    def __hash__(self) -> int:
        return hash((self.id, self.origin))

    # -- loading --------------------------------------------------------------

    @classmethod
    def fetch(
        cls,
        id: str,
        connection: redis.Redis | None = None,
        serializer: Serializer | str | None = None,
        queue: str | Queue | None = None,
    ) -> Job:
        """Load a job by id. Without ``queue``, every known queue is looked in."""
        connection = conn_mod.resolve(connection)
        names = (
            [queue if isinstance(queue, str) else queue.name]
            if queue is not None  # not 'if queue': an empty Queue is falsy
            else queue_names(connection)
        )
        pipe = connection.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(keys.queue_keys(name).job(id))
        for name, fields in zip(names, pipe.execute(), strict=True):
            if fields:
                return cls(id, connection, origin=name, fields=fields, serializer=serializer)
        found = _schedule_template(cls, connection, names, id, serializer)
        if found is not None:
            return found
        raise NoSuchJobError(
            f"no job with id {id!r}" + (f" in queue {names[0]!r}" if queue is not None else "")
        )

    @classmethod
    def fetch_many(
        cls,
        job_ids: Sequence[str],
        connection: redis.Redis | None = None,
        serializer: Serializer | str | None = None,
        queue: str | None = None,
    ) -> list[Job | None]:
        """Load many jobs in one round trip (one queue) or one per known queue."""
        connection = conn_mod.resolve(connection)
        names = [queue] if queue else queue_names(connection)
        found: dict[str, Job] = {}
        for name in names:
            q = keys.queue_keys(name)
            pipe = connection.pipeline(transaction=False)
            missing = [i for i in job_ids if i not in found]
            for job_id in missing:
                pipe.hgetall(q.job(job_id))
            for job_id, fields in zip(missing, pipe.execute(), strict=True):
                if fields:
                    found[job_id] = cls(
                        job_id, connection, origin=name, fields=fields, serializer=serializer
                    )
        jobs = [found.get(i) for i in job_ids]
        # rq's execution keys, "<job id>:<attempt>" (jobq.executions), name their job
        split = (i.rpartition(":") for i, j in zip(job_ids, jobs, strict=True) if j is None)
        runs = {f"{job_id}:{n}": (job_id, n) for job_id, _, n in split if job_id and n.isdigit()}
        if runs:
            owners = cls.fetch_many([r[0] for r in runs.values()], connection, serializer, queue)
            ran = dict(zip(runs, owners, strict=True))
            jobs = [
                j or (o if (o := ran.get(i)) and 0 < int(runs[i][1]) <= o.attempts else None)
                for i, j in zip(job_ids, jobs, strict=True)
            ]
        return jobs

    @classmethod
    def create(
        cls,
        func: Any,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        connection: redis.Redis | None = None,
        result_ttl: Any = None,
        ttl: Any = None,
        status: JobStatus | None = None,
        description: str | None = None,
        depends_on: Any = None,
        timeout: Any = None,
        id: str | None = None,
        origin: str = defaults.QUEUE_NAME,
        meta: dict[str, Any] | None = None,
        failure_ttl: Any = None,
        serializer: Serializer | str | None = None,
        *,
        on_success: Any = None,
        on_failure: Any = None,
        retry: Retry | None = None,
        on_stopped: Any = None,
    ) -> Job:
        """A job built as ``Queue(origin).enqueue_call`` would build it, not stored yet:
        ``Queue(origin).enqueue_job(job)`` stores and queues it (rq's ``Job.create``)."""
        if args is not None and not isinstance(args, list | tuple):
            raise TypeError(f"args must be a list or a tuple, not {type(args).__name__}")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError(f"kwargs must be a dict, not {type(kwargs).__name__}")
        if not (callable(func) or isinstance(func, str)):
            raise TypeError(f"func must be a callable or a dotted path, not {func!r}")
        maker = JobMaker(origin, connection, serializer=serializer)
        data = maker.prepare_data(
            func, args, kwargs, timeout, result_ttl, ttl, failure_ttl, description,
            depends_on, id, False, meta, retry, on_success, on_failure, on_stopped,
        )  # fmt: skip
        created = maker.build(
            Job, maker.prepare(data), transitions.now_ms(), status or JobStatus.CREATED
        )
        created._unsaved = data
        return created

    @classmethod
    def exists(cls, job_id: str, connection: redis.Redis | None = None) -> bool:
        try:
            cls.fetch(job_id, connection)
        except NoSuchJobError:
            return False
        return True

    # -- changes ----------------------------------------------------------------

    def save(self) -> None:
        """rq's ``save()``. A job made by :meth:`create` is stored "created": in no
        registry (as in rq), found by :meth:`fetch`, queued by ``Queue.enqueue_job``,
        and it expires after its ``ttl`` (``defaults.CREATED_TTL`` without one) unless
        enqueued, since no registry would ever end it. Of a stored job, the meta is
        saved: the rest of it changes only through its transitions."""
        if self._unsaved is None:
            if not self._fields and not self.connection.exists(self.key):
                raise ValueError(
                    f"job {self.id!r} is not stored and was not made by Job.create: "
                    "there is no function to save; make it with Job.create(func, ...)"
                )
            self.save_meta()
            return
        JobMaker(self.origin, self.connection, serializer=self._serializer_spec).save_created(self)

    def save_meta(self) -> None:
        transitions.update(
            self.connection, self._keys, self.id, {"meta": self.serializer.dumps(self.meta)}
        )

    def set_progress(self, done: int, total: int) -> None:
        """Report progress; the admin shows it as a bar."""
        if total <= 0 or done < 0:
            raise ValueError(f"progress needs 0 <= done and total > 0, got {done}/{total}")
        value = f"{int(done)}/{int(total)}"
        transitions.update(self.connection, self._keys, self.id, {"progress": value})
        self._fields[b"progress"] = value.encode()

    def cancel(self) -> None:
        try:
            transitions.cancel(self.connection, self._keys, self.id)
        except InvalidJobOperation as e:
            if self.get_status() is JobStatus.CANCELED:  # rq's words for this one
                raise InvalidJobOperation(f"Cannot cancel already canceled job: {self.id}") from e
            raise

    def requeue(self, at_front: bool = False) -> Job:
        transitions.requeue(self.connection, self._keys, self.id, at_front=at_front)
        return self

    def delete(self) -> None:
        transitions.delete(self.connection, self._keys, self.id)

    # -- waiting ----------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the job ends; return its result or raise :class:`JobFailedError`.

        The wait happens inside Redis (BLPOP on the job's notify list, pushed by
        the terminal transition), so it wakes as soon as the result is stored; the
        waiter's registration, the BLPOP and the read of the result share one
        round trip.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        # One BLPOP must end before the client's socket timeout (redis-py 8: 5 s) or
        # redis-py gives up on the read; block in slices, registering only once.
        longest = conn_mod.max_block_seconds(self.connection)
        register = True
        token = os.urandom(8).hex()  # this wait's own: a resent registration counts once
        while True:
            left = longest if deadline is None else deadline - time.monotonic()
            if left <= 0:
                transitions.unwatch(self.connection, self._keys, self.id, token)
                raise TimeoutError(f"job {self.id!r} did not end within {timeout} s")
            block = max(min(left, longest), 0.001)
            fields = transitions.wait_for_end(
                self.connection, self._keys, self.id, block, register=register, token=token
            )
            register = False
            if fields is not None:
                return self._outcome(fields)

    def latest_result(self, timeout: float = 0) -> Any:
        """rq's :class:`~jobq.results.Result` of the last run, or None before it ends;
        with ``timeout`` (seconds), first wait up to that long for the job to end."""
        if timeout and not self._is_ended_locally():
            with contextlib.suppress(JobFailedError, TimeoutError, NoSuchJobError):
                self.wait(timeout)
        return super().latest_result()

    def _outcome(self, fields: dict[bytes, bytes]) -> Any:
        """What :meth:`wait` gives for the hash of a job that ended (``{}``: gone)."""
        if not fields:
            raise NoSuchJobError(f"job {self.id!r} no longer exists in queue {self.origin!r}")
        self._fields = fields
        self._decoded.clear()
        status = self._text("status")
        if status == JobStatus.FINISHED.value:
            return self.return_value()
        raise JobFailedError(self.id, self.exc_info or self.reason)

    # -- asyncio ----------------------------------------------------------------

    @classmethod
    async def afetch(
        cls,
        id: str,
        connection: Any,
        serializer: Serializer | str | None = None,
        queue: str | None = None,
    ) -> AsyncJob:
        """:meth:`fetch` on a ``redis.asyncio`` client; the job it returns waits with
        ``await job.wait()`` and reloads with ``await job.arefresh()``."""
        names = (
            [queue]
            if queue is not None
            else sorted(conn_mod.text(n) for n in await connection.smembers(keys.QUEUES))
        )
        pipe = connection.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(keys.queue_keys(name).job(id))
        for name, fields in zip(names, await pipe.execute(), strict=True):
            if fields:
                return AsyncJob(id, connection, origin=name, fields=fields, serializer=serializer)
        raise NoSuchJobError(
            f"no job with id {id!r}" + (f" in queue {names[0]!r}" if queue is not None else "")
        )


class AsyncJob(Job):
    """A job handle on a ``redis.asyncio`` client (:class:`jobq.AsyncQueue` returns
    them): the same fields and properties; its round trips are ``await job.wait()``,
    ``await job.arefresh()`` and ``await job.aget_status()``."""

    async def arefresh(self) -> None:
        client: Any = self.connection  # a redis.asyncio client
        self._take(await client.hgetall(self._keys.job(self.id)))

    def refresh(self) -> None:
        raise TypeError("a job on a redis.asyncio client reloads with 'await job.arefresh()'")

    def _try_refresh(self) -> None:
        """Properties that reload a running job's fields read them as last fetched."""

    async def aget_status(self) -> JobStatus | None:
        try:
            await self.arefresh()
        except NoSuchJobError:
            return None
        return self.status

    async def wait(self, timeout: float | None = None) -> Any:
        """:meth:`Job.wait` without blocking the event loop: the wait happens inside
        Redis (one round trip a slice). A wait that is cancelled or times out takes
        back its registration, so the job's end leaves nothing behind for it; a
        cancelled one also wakes its own blocked BLPOP and lets it return, so its
        connection goes back to the pool whole instead of being cut mid-reply."""
        deadline = None if timeout is None else time.monotonic() + timeout
        registered = False  # once the first call is sent, the watch may have run
        token = os.urandom(8).hex()  # this wait's own: a resent registration counts once
        while True:
            left = _ASYNC_BLOCK_SLICE if deadline is None else deadline - time.monotonic()
            if left <= 0:
                await transitions.unwatch_async(self.connection, self._keys, self.id, token=token)
                raise TimeoutError(f"job {self.id!r} did not end within {timeout} s")
            block = max(min(left, _ASYNC_BLOCK_SLICE), 0.001)
            register, registered = not registered, True
            pending = asyncio.ensure_future(
                transitions.wait_for_end_async(
                    self.connection, self._keys, self.id, block, register=register, token=token
                )
            )
            try:
                fields = await asyncio.shield(pending)
            except asyncio.CancelledError:
                await asyncio.shield(self._abandon(pending, token))
                raise
            if fields is not None:
                return self._outcome(fields)

    async def _abandon(self, pending: asyncio.Future[Any], token: str) -> None:
        """Take back the registration of a cancelled wait and end its slice."""
        wake = b"abandoned:" + os.urandom(8).hex().encode()
        await transitions.unwatch_async(
            self.connection, self._keys, self.id, wake=wake, token=token
        )
        with contextlib.suppress(Exception):
            await pending
        await transitions.drop_token_async(self.connection, self._keys, self.id, wake)


#: one BLPOP of an asyncio wait blocks at most this long (under redis-py's 5 s
#: socket timeout, as max_block_seconds keeps the sync wait)
_ASYNC_BLOCK_SLICE = 2.0


def _schedule_template(
    cls: type[Job],
    connection: redis.Redis,
    names: Sequence[str],
    schedule_id: str,
    serializer: Serializer | str | None,
) -> Job | None:
    """rq-scheduler's view of a schedule: the job every run starts from, status
    "scheduled", with rq-scheduler's meta keys (``interval``, ``repeat``,
    ``cron_string``). Each run is its own job (``job.schedule_id``)."""
    pipe = connection.pipeline(transaction=False)
    for name in names:
        q = keys.queue_keys(name)
        pipe.hgetall(q.schedule_job(schedule_id))
        pipe.hget(q.schedules, schedule_id)
    replies = pipe.execute()
    for i, name in enumerate(names):
        fields, state = replies[2 * i], replies[2 * i + 1]
        if fields and state:
            fields = {**fields, b"status": JobStatus.SCHEDULED.value.encode()}
            job = cls(schedule_id, connection, origin=name, fields=fields, serializer=serializer)
            try:
                job.meta.update(_rq_scheduler_meta(json.loads(state)))
            except (ValueError, TypeError, AttributeError) as e:
                raise DeserializationError(f"schedule {schedule_id!r} is unreadable: {e}") from e
            return job
    return None


def _rq_scheduler_meta(state: dict[str, Any]) -> dict[str, Any]:
    if state.get("cron"):
        return {"cron_string": state["cron"], "repeat": state.get("repeat")}
    interval_ms = state.get("interval_ms")
    if interval_ms:
        seconds = interval_ms / 1000
        return {"interval": int(seconds) if seconds.is_integer() else seconds,
                "repeat": state.get("repeat")}  # fmt: skip
    return {}


def cancel_job(
    job_id: str, connection: redis.Redis | None = None, serializer: Serializer | str | None = None
) -> None:
    """Cancel a job by id (rq's helper)."""
    Job.fetch(job_id, connection, serializer=serializer).cancel()


def requeue_job(
    job_id: str, connection: redis.Redis | None = None, serializer: Serializer | str | None = None
) -> Job:
    """Requeue an ended job by id (rq's helper)."""
    return Job.fetch(job_id, connection, serializer=serializer).requeue()


__all__ = [
    "UNEVALUATED",
    "Callback",
    "Dependency",
    "Job",
    "JobStatus",
    "Retry",
    "cancel_job",
    "get_current_job",
    "requeue_job",
]

"""The job: a handle on one job hash in Redis, decoded lazily.

A ``Job`` holds no transition logic: state changes go through
:mod:`jobq.transitions`, one Lua step each, so a handle can be stale but never
half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

from . import connection as conn_mod
from . import defaults, keys, numbers, transitions
from .context import get_current_job  # rq keeps it in ``rq.job`` too
from .exceptions import (
    ConfigurationError,
    DeserializationError,
    JobFailedError,
    NoSuchJobError,
    SignatureError,
)
from .retry import Callback, Retry
from .serializers import Serializer, resolve_serializer
from .signing import Keyring
from .status import JobStatus

if TYPE_CHECKING:
    from .queue import Queue


#: statuses of a job that has not been in its queue yet, unless its "enqueued" says so
_NOT_QUEUED_YET = frozenset(
    s.value for s in (JobStatus.CREATED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _ms_to_dt(raw: bytes | None) -> dt.datetime | None:
    ms = numbers.whole(raw, 0, numbers.MAX_MS)
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def new_job_id() -> str:
    """128 random bits in hex, like ``uuid4().hex`` at a fraction of its cost."""
    return os.urandom(16).hex()


class Job:
    """A job stored in queue ``origin``; rq's attribute and method names."""

    def __init__(
        self,
        id: str,
        connection: redis.Redis | None = None,
        *,
        origin: str | None = None,
        fields: dict[bytes, bytes] | None = None,
        serializer: Serializer | str | None = None,
    ) -> None:
        """``Job(id, connection=...)`` as in rq: without ``origin`` the job's queue is
        looked up (the job hash of every known queue); a job not stored yet gets
        the default queue."""
        self.id = id
        self.connection = conn_mod.resolve(connection)
        if origin is None:
            origin = _find_origin(self.connection, id) or defaults.QUEUE_NAME
        self.origin = origin
        self._keys = keys.queue_keys(origin)
        self._fields: dict[bytes, bytes] = fields or {}
        self._serializer_spec = serializer
        self._decoded: dict[str, Any] = {}
        #: why a worker refused this job (see :meth:`verify`): its payload is never loaded
        self._refused: SignatureError | None = None
        #: the keys this job was verified with: every refresh is checked again
        self._verified_with: Keyring | None = None

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
            else _queue_names(connection)
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
        names = [queue] if queue else _queue_names(connection)
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
        return [found.get(i) for i in job_ids]

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
    ) -> Job:
        """A job built as ``Queue(origin).enqueue_call`` would build it, not stored yet:
        ``Queue(origin).enqueue_job(job)`` stores and queues it (rq's ``Job.create``)."""
        if args is not None and not isinstance(args, list | tuple):
            raise TypeError(f"args must be a list or a tuple, not {type(args).__name__}")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError(f"kwargs must be a dict, not {type(kwargs).__name__}")
        if not (callable(func) or isinstance(func, str)):
            raise TypeError(f"func must be a callable or a dotted path, not {func!r}")
        from .queue import Queue

        queue = Queue(origin, connection, serializer=serializer)
        data = queue.prepare_data(
            func, args, kwargs, timeout, result_ttl, ttl, failure_ttl, description,
            depends_on, id, False, meta, retry, on_success, on_failure,
        )  # fmt: skip
        created = queue.make_job(
            queue.prepare(data), transitions.now_ms(), status or JobStatus.CREATED
        )
        created._unsaved = data
        return created

    #: the enqueue data of a job made by :meth:`create` and not enqueued yet
    _unsaved: Any = None

    @classmethod
    def exists(cls, job_id: str, connection: redis.Redis | None = None) -> bool:
        try:
            cls.fetch(job_id, connection)
        except NoSuchJobError:
            return False
        return True

    @property
    def raw_fields(self) -> dict[bytes, bytes]:
        """A copy of the job's hash as this handle holds it."""
        return dict(self._fields)

    @property
    def fields_view(self) -> Mapping[bytes, bytes]:
        """The job's hash as this handle holds it, not copied (read it, never change
        it): for code that reads a field or two of every job, as the history does."""
        return self._fields

    def load_fields(self, fields: dict[bytes, bytes]) -> None:
        """Take ``fields`` as the job's hash: what a step just stored, known without
        reading it back."""
        self._fields = fields
        self._decoded.clear()

    def refresh(self) -> None:
        self._take(self.connection.hgetall(self._keys.job(self.id)))

    def _take(self, fields: dict[Any, Any]) -> None:
        """Hold ``fields``, the job hash just read (checked as at fetch)."""
        if not fields:
            raise NoSuchJobError(f"job {self.id!r} no longer exists in queue {self.origin!r}")
        self._fields = {bytes(k): bytes(v) for k, v in fields.items()}  # type: ignore[arg-type, unused-ignore]
        self._decoded.clear()
        if self._verified_with is not None:  # what Redis holds now must still be signed
            try:
                self._verified_with.verify(self.origin, self.id, self._fields)
            except SignatureError as e:
                self._refused = e

    # -- raw fields -----------------------------------------------------------

    def _raw(self, name: str) -> bytes | None:
        return self._fields.get(name.encode())

    def _text(self, name: str) -> str | None:
        raw = self._raw(name)
        return raw.decode(errors="replace") if raw is not None else None

    def _seconds(self, name: str, default: float) -> float:
        """A duration field (timeout, TTL): seconds, -1 for none or forever. Garbage
        (not decimal, nan, inf, past MAX_SECONDS) raises DeserializationError: the job
        fails with it rather than run under a timeout no client gave."""
        raw = self._raw(name)
        if raw in (None, b""):
            return default
        value = numbers.number(raw, -1, numbers.MAX_SECONDS)
        if value is None:
            raise DeserializationError(
                f"job {self.id!r}: field {name} holds {raw[:40]!r}, not a number of seconds "
                f"in [-1, {numbers.MAX_SECONDS:g}]"
            )
        return value

    def _count(self, name: str, lo: int, hi: int, default: int) -> int:
        """A counter field; garbage reads as ``default``, as in the Lua steps."""
        value = numbers.whole(self._raw(name), lo, hi)
        return default if value is None else value

    @property
    def serializer(self) -> Serializer:
        if "serializer" not in self._decoded:
            spec = self._serializer_spec
            stored = self._text("ser") or "json"
            if spec is None or (isinstance(spec, str) and spec != stored):
                spec = stored
            self._decoded["serializer"] = resolve_serializer(spec)
        result: Serializer = self._decoded["serializer"]
        return result

    def verify(self, keyring: Keyring | None) -> None:
        """Check the job's MAC with ``keyring`` (a worker's secret); without one, a
        pickle job is still checked with its pickle key's envelope keys. Raises
        :class:`SignatureError`, after which this handle never loads the payload."""
        if keyring is None:
            if self._raw("ser") != b"pickle":
                return  # no secret: unsigned jobs run (the worker said so at start)
            try:
                keyring = getattr(self.serializer, "keyring", None)
            except ConfigurationError:
                return  # no pickle key: loading the payload fails, with that reason
            if keyring is None:
                return
        try:
            keyring.verify(self.origin, self.id, self._fields)
        except SignatureError as e:
            self._refused = e
            self._decoded.clear()
            raise
        self._verified_with = keyring

    @property
    def refused(self) -> SignatureError | None:
        """Why this job was refused (its MAC did not hold when checked, or no longer
        held when its hash was read again), or None."""
        return self._refused

    def _load(self, name: str, default: Any = None) -> Any:
        if self._refused is not None:
            raise DeserializationError(str(self._refused))
        if name not in self._decoded:
            raw = self._raw(name)
            self._decoded[name] = default if raw is None else self.serializer.loads(raw)
        return self._decoded[name]

    # -- rq's attributes ------------------------------------------------------

    def get_id(self) -> str:
        return self.id

    @property
    def key(self) -> str:
        return self._keys.job(self.id)

    @property
    def func_name(self) -> str:
        return self._text("func") or ""

    @property
    def _payload(self) -> tuple[list[Any], dict[str, Any]]:
        data = self._load("data", [[], {}])
        if not (isinstance(data, list) and len(data) == 2 and isinstance(data[1], dict)):
            raise DeserializationError(f"job {self.id!r} payload is not [args, kwargs]")
        return data[0], data[1]

    @property
    def args(self) -> list[Any]:
        return self._payload[0]

    @property
    def kwargs(self) -> dict[str, Any]:
        return self._payload[1]

    @property
    def description(self) -> str:
        return self._text("desc") or self.get_call_string()

    def get_status(self, refresh: bool = True) -> JobStatus | None:
        if refresh:
            try:
                self.refresh()
            except NoSuchJobError:
                return None
        text = self._text("status")
        return JobStatus(text) if text else None

    @property
    def status(self) -> JobStatus | None:
        return self.get_status(refresh=False)

    is_finished = property(lambda self: self.get_status() == JobStatus.FINISHED)
    is_failed = property(lambda self: self.get_status() == JobStatus.FAILED)
    is_queued = property(lambda self: self.get_status() == JobStatus.QUEUED)
    is_started = property(lambda self: self.get_status() == JobStatus.STARTED)
    is_deferred = property(lambda self: self.get_status() == JobStatus.DEFERRED)
    is_scheduled = property(lambda self: self.get_status() == JobStatus.SCHEDULED)
    is_canceled = property(lambda self: self.get_status() == JobStatus.CANCELED)

    created_at = property(lambda self: _ms_to_dt(self._raw("created")))

    @property
    def trace_context(self) -> bytes | None:
        """The producer's trace context as stored, unchecked (see :mod:`jobq.tracing`)."""
        return self._raw("trace")

    @property
    def enqueued_at(self) -> dt.datetime | None:
        """None until the job is first queued (created, deferred or scheduled until
        then, as in rq); a job queued when it was created has no separate field."""
        enqueued = self._raw("enqueued")
        if enqueued is not None:
            return _ms_to_dt(enqueued)
        if self._unsaved is not None or self._text("status") in _NOT_QUEUED_YET:
            return None
        return _ms_to_dt(self._raw("created"))

    started_at = property(lambda self: _ms_to_dt(self._raw("started")))
    ended_at = property(lambda self: _ms_to_dt(self._raw("ended")))

    @property
    def waited_seconds(self) -> float:
        """Seconds from the job's last enqueue to its start, as the history counts it
        (0 when a field is missing or garbage: a wait never read is no long wait)."""
        f = self._fields  # read once per job by the worker: no helper calls
        try:
            waited = int(f.get(b"started") or b"") - int(
                f.get(b"enqueued") or f.get(b"created") or b""
            )
        except ValueError:
            return 0.0
        return waited / 1000 if waited > 0 else 0.0

    # fields equal to their default are not stored (Queue.prepare)

    @property
    def timeout(self) -> float | None:
        """Seconds the job may run; None for no limit (rq's -1, or 0)."""
        value = self._seconds("timeout", defaults.JOB_TIMEOUT)
        return value if value > 0 else None

    @property
    def result_ttl(self) -> float | None:
        return self._ttl("result_ttl", defaults.RESULT_TTL)

    @property
    def failure_ttl(self) -> float | None:
        return self._ttl("failure_ttl", defaults.FAILURE_TTL)

    def get_result_ttl(self, default_ttl: float | None = None) -> float | None:
        """rq's: the job's own ``result_ttl``, else ``default_ttl`` (a ``result_ttl``
        equal to jobq's default is not stored, so it reads as ``default_ttl`` too)."""
        return default_ttl if self._raw("result_ttl") is None else self.result_ttl

    @property
    def retry_intervals(self) -> list[float]:
        """Seconds between retries (rq's name); the last one repeats."""
        raw = self._text("retry_intervals")
        try:
            intervals = json.loads(raw) if raw else []
        except ValueError:
            return []
        return (
            [i for i in intervals if isinstance(i, int | float)]
            if isinstance(intervals, list)
            else []
        )

    @property
    def enqueue_at_front_on_retry(self) -> bool:
        return self._raw("retry_front") == b"1"

    @property
    def allow_dependency_failures(self) -> bool:
        return self._raw("allow_dep_fail") == b"1"

    def _ttl(self, name: str, default: float) -> float:
        """A TTL field; garbage reads as the default, as in the Lua steps (terminal.lua)."""
        value = numbers.number(self._raw(name), -1, numbers.MAX_SECONDS)
        return default if value is None else value

    @property
    def attempts(self) -> int:
        return self._count("attempts", 0, numbers.MAX_COUNT, 0)

    @property
    def max_attempts(self) -> int:
        return self._count("max_attempts", 1, numbers.MAX_ATTEMPTS, 1)

    @property
    def retries_left(self) -> int:
        """Retries not used yet (rq's meaning): ``Retry(max=3)`` gives 3 at enqueue."""
        return max(0, self.max_attempts - 1 - self.number_of_retries)

    @property
    def worker_name(self) -> str | None:
        return self._text("worker")

    @property
    def reason(self) -> str | None:
        """Short reason of the last failure ("worker died", "timeout", ...)."""
        return self._text("reason")

    @property
    def error_text(self) -> str | None:
        """The traceback of the last failed attempt as this handle holds it (no read)."""
        return self._text("error")

    @property
    def retry_intervals_text(self) -> str | None:
        """The stored JSON list of retry intervals (seconds), as this handle holds it."""
        return self._text("retry_intervals")

    @property
    def exc_info(self) -> str | None:
        """The traceback of the last failed attempt (refreshed while the job has not ended)."""
        if not self._is_ended_locally():
            self._try_refresh()
        return self._text("error")

    def _is_ended_locally(self) -> bool:
        text = self._text("status")
        return text is not None and JobStatus(text).is_terminal

    def _try_refresh(self) -> None:
        with contextlib.suppress(NoSuchJobError):
            self.refresh()

    @property
    def func(self) -> Any:
        """The job's function, imported from its path."""
        from .functions import FunctionResolver

        return FunctionResolver(None).resolve(self.func_name)

    #: rq's bound-method instance: always None (jobq refuses bound methods as jobs)
    instance: Any = None

    def perform(self) -> Any:
        """Run the job's function here and return its result (rq's ``perform``), with
        no status change: a worker's run is what records outcomes."""
        func = self.func
        result = func(*self.args, **self.kwargs)
        if inspect.isawaitable(result):
            return asyncio.run(_awaited(result))
        return result

    @property
    def webhooks(self) -> list[Any]:
        """rq's :class:`~jobq.webhook.Webhook` list, sent when the job ends."""
        from .webhook import decode

        return decode(self._text("webhooks"))

    @property
    def success_callback(self) -> Any:
        return self._callback("on_success")

    @property
    def failure_callback(self) -> Any:
        return self._callback("on_failure")

    #: rq's private names, which tests of rq users read
    _success_callback_name = property(lambda self: self._text("on_success"))
    _failure_callback_name = property(lambda self: self._text("on_failure"))

    def _callback(self, name: str) -> Any:
        from .functions import FunctionResolver

        path = self._text(name)
        return FunctionResolver(None).resolve(path) if path else None

    def get_call_string(self) -> str:
        """``module.func(1, 'a', key=2)``, rq's description of a call."""
        try:
            args, kwargs = self._payload
        except DeserializationError:
            return f"{self.func_name}(...)"
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        return f"{self.func_name}({', '.join(parts)})"

    @property
    def ttl(self) -> float | None:
        """Seconds the job may wait in the queue before it is dropped (None: no limit)."""
        return numbers.number(self._raw("ttl"), 0, numbers.MAX_SECONDS)

    def get_ttl(self, default_ttl: float | None = None) -> float | None:
        return default_ttl if self.ttl is None else self.ttl

    @property
    def number_of_retries(self) -> int:
        """Retries used: runs after the first, counting one that waits to start."""
        attempts = self.attempts
        waiting = self._text("status") in (JobStatus.QUEUED.value, JobStatus.SCHEDULED.value)
        return attempts if waiting and attempts else max(0, attempts - 1)

    def get_position(self) -> int | None:
        """The job's place in its queue (None when it is not waiting there)."""
        from .queue import Queue

        return Queue(self.origin, self.connection).get_job_position(self)

    def latest_result(self, timeout: int = 0) -> Any:
        """rq's :class:`~jobq.results.Result` of the last run, or None before it ends."""
        from .results import Result

        return Result.fetch_latest(self)

    @property
    def dependency_ids(self) -> list[str]:
        raw = self._raw("deps")
        return list(json.loads(raw)) if raw else []

    #: rq's private name, which rq-scheduler's users read
    _dependency_ids = dependency_ids

    @property
    def schedule_id(self) -> str | None:
        return self._text("schedule_id")

    @property
    def slot(self) -> dt.datetime | None:
        return _ms_to_dt(self._raw("slot"))

    @property
    def meta(self) -> dict[str, Any]:
        meta = self._load("meta", None)
        if meta is None:
            meta = self._decoded["meta"] = {}
        return meta  # type: ignore[no-any-return]

    @meta.setter
    def meta(self, value: dict[str, Any]) -> None:
        self._decoded["meta"] = value

    def get_meta(self, refresh: bool = True) -> dict[str, Any]:
        """rq's: the meta, read again from Redis unless ``refresh`` is false."""
        if refresh:
            self.refresh()
        return self.meta

    @property
    def progress(self) -> tuple[int, int] | None:
        raw = self._text("progress")
        if not raw:
            return None
        done, _, total = raw.partition("/")
        d, t = numbers.whole(done, 0, 2**63), numbers.whole(total, 0, 2**63)
        return None if d is None or t is None else (d, t)

    def return_value(self, refresh: bool = False) -> Any:
        if refresh:
            self.refresh()
        if self._text("status") != JobStatus.FINISHED.value:
            return None
        return self._load("result")

    @property
    def result(self) -> Any:
        """The return value once finished (refreshed from Redis, as rq does)."""
        try:
            self.refresh()
        except NoSuchJobError:
            return None
        return self.return_value()

    # -- changes ----------------------------------------------------------------

    def save(self) -> None:
        """rq's ``save()``. A job made by :meth:`create` is stored "created": in no
        registry (as in rq), found by :meth:`fetch`, queued by ``Queue.enqueue_job``,
        and it expires after its ``ttl`` (``defaults.CREATED_TTL`` without one) unless
        enqueued, since no registry would ever end it. Of a stored job, the meta is
        saved: the rest of it changes only through its transitions."""
        if self._unsaved is None:
            self.save_meta()
            return
        from .queue import Queue

        Queue(self.origin, self.connection, serializer=self._serializer_spec).save_created(self)

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
        transitions.cancel(self.connection, self._keys, self.id)

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


def _find_origin(connection: redis.Redis, job_id: str) -> str | None:
    names = _queue_names(connection)
    if not names:
        return None
    pipe = connection.pipeline(transaction=False)
    for name in names:
        pipe.exists(keys.queue_keys(name).job(job_id))
    return next((n for n, found in zip(names, pipe.execute(), strict=True) if found), None)


def _queue_names(connection: redis.Redis) -> list[str]:
    return sorted(conn_mod.text(n) for n in connection.smembers(keys.QUEUES))


def ids_of(jobs: Iterable[Job | str]) -> list[str]:
    return [j.id if isinstance(j, Job) else str(j) for j in jobs]


@dataclass(frozen=True)
class Dependency:
    """rq's ``Dependency``: wait for ``jobs``; with ``allow_failure`` run even if they fail."""

    jobs: Sequence[Job | str] | Job | str
    allow_failure: bool = False

    @property
    def ids(self) -> list[str]:
        jobs = self.jobs if isinstance(self.jobs, list | tuple) else [self.jobs]
        return ids_of(jobs)  # type: ignore[arg-type]


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


#: rq's marker for "not computed yet"; jobq's ``return_value()`` reads None instead
UNEVALUATED = object()

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

"""The read side of a job handle: its hash, decoded lazily into rq's attributes.

:class:`jobq.job.Job` adds the loading and the changes; this half reads what a
handle holds (and reloads it), so the modules below the queue can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from . import connection as conn_mod
from . import defaults, keys, numbers
from .exceptions import (
    ConfigurationError,
    DeserializationError,
    NoSuchJobError,
    SignatureError,
)
from .functions import FunctionResolver
from .job_callbacks import JobCallbacks
from .job_retry import RetrySettings
from .results import Result
from .serializers import Serializer, resolve_serializer
from .signing import Keyring
from .status import JobStatus
from .webhook import decode as decode_webhooks

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


class JobFields(JobCallbacks, RetrySettings):
    """A job stored in queue ``origin``: its fields under rq's names."""

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

    #: the enqueue data of a job made by :meth:`Job.create` and not enqueued yet
    _unsaved: Any = None

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
        """Seconds a result is kept, as given (or the queue's default); None when
        neither gave one: the finish step then keeps it ``defaults.RESULT_TTL``."""
        return self._given_ttl("result_ttl", defaults.RESULT_TTL)

    @property
    def failure_ttl(self) -> float | None:
        """As :attr:`result_ttl`, for a failed job (``defaults.FAILURE_TTL`` without one)."""
        return self._given_ttl("failure_ttl", defaults.FAILURE_TTL)

    def _given_ttl(self, name: str, default: float) -> float | None:
        return None if self._raw(name) is None else self._ttl(name, default)

    def get_result_ttl(self, default_ttl: float | None = None) -> float | None:
        """rq's: the job's own ``result_ttl``, else ``default_ttl``."""
        ttl = self.result_ttl
        return default_ttl if ttl is None else ttl

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
        return decode_webhooks(self._text("webhooks"))

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
        return queued_position(self.connection, self._keys.queued, self.id)

    def latest_result(self, timeout: int = 0) -> Any:
        """rq's :class:`~jobq.results.Result` of the last run, or None before it ends."""
        return Result.fetch_latest(self)

    def results(self) -> list[Result]:
        """rq's results of the job, newest first: the latest only (jobq.results)."""
        return Result.all(self)

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


def _find_origin(connection: redis.Redis, job_id: str) -> str | None:
    names = queue_names(connection)
    if not names:
        return None
    pipe = connection.pipeline(transaction=False)
    for name in names:
        pipe.exists(keys.queue_keys(name).job(job_id))
    return next((n for n, found in zip(names, pipe.execute(), strict=True) if found), None)


def queue_names(connection: redis.Redis) -> list[str]:
    return sorted(conn_mod.text(n) for n in connection.smembers(keys.QUEUES))


def ids_of(jobs: Iterable[JobFields | str]) -> list[str]:
    return [j.id if isinstance(j, JobFields) else str(j) for j in jobs]


@dataclass(frozen=True)
class Dependency:
    """rq's ``Dependency``: wait for ``jobs``; with ``allow_failure`` run even if they fail."""

    jobs: Sequence[JobFields | str] | JobFields | str
    allow_failure: bool = False

    @property
    def ids(self) -> list[str]:
        jobs = self.jobs if isinstance(self.jobs, list | tuple) else [self.jobs]
        return ids_of(jobs)  # type: ignore[arg-type]


def queued_position(connection: redis.Redis, queued_key: str, job_id: str) -> int | None:
    position = connection.lpos(queued_key, job_id)
    return None if position is None else int(position)  # type: ignore[arg-type]

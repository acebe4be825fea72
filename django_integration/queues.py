"""Queues for Django: django-rq's ``get_queue``/``get_connection``/``enqueue``,
with enqueues that follow the database transaction.

Inside ``transaction.atomic()`` a job is validated, given its id and recorded
at once, but only sent to Redis when the transaction commits; on rollback it
is never sent (and its record rolls back with everything else). The caller
gets the ``Job`` with its id either way, so code written for django-rq keeps
working. ``JOBQ["COMMIT_MODE"] = "immediate"`` (or ``autocommit=True``) sends
at once, as rq does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

from jobq.job import Job, new_job_id
from jobq.options import EnqueueData
from jobq.queue import PreparedJob, Queue
from jobq.serializers import Serializer
from jobq.status import JobStatus
from jobq.testing import run_now
from jobq.transitions import now_ms

from . import conf, thread_queue
from .connections import get_client

__all__ = [
    "DjangoQueue",
    "DjangoRQ",
    "enqueue",
    "get_connection",
    "get_queue",
    "get_queues",
]


class DjangoQueue(Queue):
    """A ``Queue`` whose enqueues wait for the surrounding transaction to commit."""

    def __init__(
        self,
        name: str = "default",
        connection: redis.Redis | None = None,
        *,
        autocommit: bool | None = None,
        commit_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        """``commit_mode``: "on_commit" (django-rq's "on_db_commit"), "immediate"
        ("auto") or "request_finished"; ``autocommit`` is django-rq's older switch
        (True: immediate, False: request_finished). Default: the settings'."""
        kwargs.setdefault("max_payload_bytes", conf.options().max_payload_bytes)
        super().__init__(name, connection, **kwargs)
        if commit_mode is not None:
            self.commit_mode = conf.parse_commit_mode(commit_mode, "commit_mode")
        elif autocommit is not None:
            self.commit_mode = "immediate" if autocommit else "request_finished"
        else:
            self.commit_mode = conf.commit_mode()

    @property
    def _commit_mode(self) -> str:
        """The commit mode in django-rq's words (django-rq's attribute)."""
        return _DJANGO_RQ_NAMES[self.commit_mode]

    def _deferred(self) -> bool:
        """Whether a send now should wait for a commit (never for inline runs: they
        are for tests, which often run inside a transaction that never commits)."""
        if self.commit_mode != "on_commit" or not self.is_async:
            return False
        return bool(transaction.get_connection(conf.options().database).in_atomic_block)

    def _send(self, prepared: PreparedJob, pipeline: Any = None) -> Job:
        database = conf.options().database
        if pipeline is None and self.commit_mode == "request_finished" and self.is_async:
            self._record([prepared])
            thread_queue.add(functools.partial(Queue._send, self, prepared))
            return self.make_job(prepared, now_ms())
        if pipeline is None and self._deferred():
            self._record([prepared])
            transaction.on_commit(functools.partial(Queue._send, self, prepared), using=database)
            return self.make_job(prepared, now_ms())
        if not _recording():
            return super()._send(prepared, pipeline)
        # the row goes first (a worker may take the job at once), in a transaction with
        # the send, so that a refused enqueue (a live job has this id) leaves no trace
        with transaction.atomic(using=database):
            self._record([prepared])
            return super()._send(prepared, pipeline)

    def enqueue_many(self, job_datas: Iterable[EnqueueData], pipeline: Any = None) -> list[Job]:
        datas = [d if d.options.job_id else d.with_options(job_id=new_job_id()) for d in job_datas]
        if not self.is_async and pipeline is None:
            return super().enqueue_many(datas)  # each goes through _send: recorded, run inline
        prepared = [self.prepare(d) for d in datas]  # validate all before anything
        self._record(prepared)
        if pipeline is None and self._deferred():
            send = functools.partial(Queue.enqueue_many, self, datas)
            transaction.on_commit(send, using=conf.options().database)
            now = now_ms()
            return [self.make_job(p, now) for p in prepared]
        return super().enqueue_many(datas, pipeline)

    def run_sync(self, job: Job) -> Job:
        from .hooks import inline_hooks  # models load only once the apps are ready

        return run_now(self, job, hooks=inline_hooks())

    def _record(self, prepared: Sequence[PreparedJob]) -> None:
        from .records import row_at_enqueue, upsert

        if not _recording():
            return
        now = now_ms()
        rows = [
            row_at_enqueue(p.job_id, self.name, p.fields, self.serializer, _placement(p, now), now)
            for p in prepared
        ]
        upsert(rows)


def _recording() -> bool:
    """Whether enqueues write rows: only ``JOBQ["RECORD"] = "all"`` records jobs
    that no schedule fired."""
    return conf.options().record == "all"


def _placement(prepared: PreparedJob, now: int) -> JobStatus:
    if prepared.depends_on:
        return JobStatus.DEFERRED
    if prepared.due > now:
        return JobStatus.SCHEDULED
    return JobStatus.QUEUED


def get_connection(name: str = "default", use_strict_redis: bool = False) -> redis.Redis:
    """The Redis client of queue ``name`` (shared by queues with the same connection)."""
    return get_client(conf.queue(name).connection)


def get_queue(
    name: str = "default",
    default_timeout: float | None = None,
    is_async: bool | None = None,
    autocommit: bool | None = None,
    connection: redis.Redis | None = None,
    queue_class: type[DjangoQueue] | str | None = None,
    job_class: type[Job] | str | None = None,
    serializer: Serializer | type | str | None = None,
    commit_mode: str | None = None,
    **kwargs: Any,
) -> DjangoQueue:
    """Queue ``name`` as ``RQ_QUEUES`` configures it (django-rq's signature). The
    queue class is ``queue_class``, else the entry's ``QUEUE_CLASS``, else
    ``RQ['QUEUE_CLASS']``; the job class ``job_class``, else ``RQ['JOB_CLASS']``."""
    config = conf.queue(name)
    if "async" in kwargs:
        is_async = kwargs.pop("async")
    cls = _queue_class(queue_class or config.queue_class or conf.rq_setting("QUEUE_CLASS"))
    result_ttl = config.default_result_ttl
    if result_ttl is None:
        result_ttl = conf.rq_setting("DEFAULT_RESULT_TTL")
    return cls(
        name,
        connection if connection is not None else get_client(config.connection),
        default_timeout=config.default_timeout if default_timeout is None else default_timeout,
        default_result_ttl=kwargs.pop("default_result_ttl", result_ttl),
        serializer=serializer if serializer is not None else config.serializer,
        is_async=config.is_async if is_async is None else is_async,
        autocommit=autocommit,
        commit_mode=commit_mode,
        job_class=get_job_class(job_class),
        **kwargs,
    )


def get_job_class(job_class: type[Job] | str | None = None) -> type[Job]:
    """``job_class``, else ``RQ['JOB_CLASS']``, else :class:`jobq.Job` (a dotted path
    or a subclass of Job)."""
    chosen = job_class or conf.rq_setting("JOB_CLASS") or Job
    cls = import_string(chosen) if isinstance(chosen, str) else chosen
    if not (isinstance(cls, type) and issubclass(cls, Job)):
        raise ImproperlyConfigured(f"job class {chosen!r} must be a subclass of jobq.Job")
    return cls


def get_commit_mode() -> str:
    """The commit mode in force, in django-rq's words: "auto", "on_db_commit" or
    "request_finished" (jobq's own: :func:`conf.commit_mode`)."""
    return _DJANGO_RQ_NAMES[conf.commit_mode()]


_DJANGO_RQ_NAMES = {v: k for k, v in conf.DJANGO_RQ_COMMIT_MODES.items()}


def get_queue_by_index(index: int) -> DjangoQueue:
    """The queue at ``index`` of ``RQ_QUEUES`` sorted by name (django-rq's admin pages
    address queues so; jobq's own pages use names)."""
    return get_queue(queue_names()[int(index)])


def queue_names() -> list[str]:
    """Configured queue names in django-rq's order (sorted)."""
    return sorted(conf.queues())


def _queue_class(queue_class: type[DjangoQueue] | str | None) -> type[DjangoQueue]:
    if queue_class is None:
        return DjangoQueue
    cls = import_string(queue_class) if isinstance(queue_class, str) else queue_class
    if not (isinstance(cls, type) and issubclass(cls, DjangoQueue)):
        raise ImproperlyConfigured(
            f"queue_class {queue_class!r} must be a subclass of "
            "jobq.django_integration.queues.DjangoQueue"
        )
    return cls


def get_queues(*queue_names: str, **kwargs: Any) -> list[DjangoQueue]:
    """Several queues that share one Redis connection (a worker serves one connection)."""
    names = list(queue_names) or ["default"]
    first = conf.queue(names[0]).connection
    for name in names[1:]:
        if conf.queue(name).connection != first:
            raise ValueError(
                f"queues {names[0]!r} and {name!r} use different Redis connections; "
                "run one worker per connection"
            )
    queues = [get_queue(name, **kwargs) for name in names]
    for queue in queues[1:]:
        if type(queue) is not type(queues[0]):
            raise ValueError(
                f"queues {names[0]!r} and {queue.name!r} have different classes "
                f"({type(queues[0]).__name__}, {type(queue).__name__}); one worker serves "
                "queues of one class"
            )
    return queues


def enqueue(func: Callable[..., Any] | str, *args: Any, **kwargs: Any) -> Job:
    """Enqueue on the ``default`` queue (django-rq's shortcut)."""
    return get_queue().enqueue(func, *args, **kwargs)


#: django-rq's name for the queue class
DjangoRQ = DjangoQueue


def get_scheduler(*args: Any, **kwargs: Any) -> Any:
    """django-rq keeps ``get_scheduler`` here too (see :mod:`.scheduling`)."""
    from .scheduling import get_scheduler as scheduler

    return scheduler(*args, **kwargs)

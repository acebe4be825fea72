"""Queues for Django: django-rq's ``get_queue``/``get_connection``/``enqueue``,
with enqueues that follow the database transaction.

Inside ``transaction.atomic()`` a job is validated, given its id and recorded
at once, but only sent to Redis when the transaction commits; on rollback it
is never sent (and its record rolls back with everything else). The caller
gets the ``Job`` with its id either way, so code written for django-rq keeps
working. ``JOBQ["COMMIT_MODE"] = "immediate"`` (or ``commit_mode="immediate"``)
sends at once, as rq does.

Asyncio code (an async view, a consumer) enqueues through
:func:`get_async_queue`. Django runs no async code inside an atomic block (it
does not wrap async views in ``ATOMIC_REQUESTS``, and ``atomic()`` is sync only),
so there is no commit to wait for: those sends are immediate in every commit
mode, their rows written just before.
"""

from __future__ import annotations

import asyncio
import functools
import warnings
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

from jobq import connection as core
from jobq.async_queue import AsyncQueue
from jobq.job import AsyncJob, Job
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
    "get_async_queue",
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
        (True: immediate, False: request_finished), deprecated there and here.
        Default: the settings'."""
        kwargs.setdefault("max_payload_bytes", conf.options().max_payload_bytes)
        kwargs["send_hooks"] = [CommitDeferral(), *kwargs.get("send_hooks", ())]
        super().__init__(name, connection, **kwargs)
        if commit_mode is not None:
            self.commit_mode = conf.parse_commit_mode(commit_mode, "commit_mode")
        elif autocommit is not None:
            warnings.warn(
                'the "autocommit" argument is deprecated (as in django-rq); use '
                'commit_mode="immediate" (django-rq\'s "auto") or "request_finished"',
                DeprecationWarning,
                stacklevel=3,
            )
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

    def _record_undoably(self, prepared: Sequence[PreparedJob]) -> Callable[[], None]:
        """Record the rows outside a transaction, and return what puts back the rows
        as they were: the undo of a send that then failed (a refused id, Redis down)."""
        from .models import JobRecord
        from .records import upsert

        rows = JobRecord.objects.using(conf.options().database)
        ids = [p.job_id for p in prepared]
        given = [p.job_id for p in prepared if not p.new_id]  # only these can exist
        before = list(rows.filter(job_id__in=given)) if given else []
        self._record(prepared)

        def undo() -> None:
            kept = {row.job_id for row in before}
            with transaction.atomic(using=conf.options().database):
                rows.filter(job_id__in=[i for i in ids if i not in kept]).delete()
                upsert(before)

        return undo


class CommitDeferral:
    """The send hook of every DjangoQueue and of :func:`get_async_queue`'s queues:
    records the jobs' rows and sends them when the commit mode says (see the
    module's docstring)."""

    def around_send(
        self,
        queue: Queue,
        jobs: Sequence[PreparedJob],
        send: Callable[[], list[Job]],
        pipeline: Any,
    ) -> list[Job]:
        assert isinstance(queue, DjangoQueue)
        database = conf.options().database
        later = None
        if pipeline is None and queue.commit_mode == "request_finished" and queue.is_async:
            later = thread_queue.add
        elif pipeline is None and queue._deferred():
            later = functools.partial(transaction.on_commit, using=database)
        if later is not None:
            queue._record(jobs)
            later(send)
            now = now_ms()
            return [queue.make_job(p, now) for p in jobs]
        if not _recording():
            return send()
        # the rows go first (a worker may take a job at once), in a transaction with
        # the send, so that a refused enqueue (a live job has this id) leaves no trace
        with transaction.atomic(using=database):
            queue._record(jobs)
            return send()

    async def around_asend(
        self,
        queue: AsyncQueue,
        jobs: Sequence[PreparedJob],
        send: Callable[[], Awaitable[list[AsyncJob]]],
    ) -> list[AsyncJob]:
        """No atomic block in asyncio code, so the send is immediate; the rows go
        first (a worker may take a job at once), written in Django's thread for sync
        work so the event loop never waits on the database (Django's async ORM would
        make the same hop; this keeps one code for the rows). A send that raises
        takes its rows back, as the sync path's transaction does; a cancelled one
        keeps them, since its jobs may have landed."""
        plan = queue.plan
        assert isinstance(plan, DjangoQueue)
        if not _recording():
            return await send()
        undo = await sync_to_async(plan._record_undoably)(jobs)
        try:
            return await send()
        except Exception:
            await sync_to_async(undo)()
            raise


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


def get_async_queue(
    name: str = "default",
    default_timeout: float | None = None,
    connection: Any = None,
    serializer: Serializer | type | str | None = None,
    **kwargs: Any,
) -> AsyncQueue:
    """Queue ``name`` for asyncio code: ``await get_async_queue("high").enqueue(...)``.
    Configured by :func:`get_queue` (the same ``RQ_QUEUES`` entry, serializer and
    ``SECRET_KEY`` signing), it sends on the running event loop's ``redis.asyncio``
    twin of the queue's client (``connection``: a ``redis.asyncio`` client instead)
    and records rows as the sync queue does; sends are immediate (module docstring).
    Called with the name alone it returns the loop's one queue of that name, so that
    coroutines enqueuing at once share its batches (one round trip for many)."""
    options = {"default_timeout": default_timeout, "serializer": serializer, **kwargs}
    if connection is not None or any(v is not None for v in options.values()):
        return _async_queue(name, connection, options)
    loops = conf.memo().setdefault("async queues", weakref.WeakKeyDictionary())
    per_loop: dict[str, AsyncQueue] = loops.setdefault(asyncio.get_running_loop(), {})
    queue = per_loop.get(name)
    if queue is None:
        queue = per_loop[name] = _async_queue(name, None, {})
    return queue


def _async_queue(name: str, connection: Any, options: dict[str, Any]) -> AsyncQueue:
    plan = get_queue(name, **options)
    if not plan.is_async:
        raise ImproperlyConfigured(
            f"queue {name!r} runs jobs inline (ASYNC: False), which AsyncQueue does not do; "
            "enqueue through get_queue() (await sync_to_async(queue.enqueue)(...))"
        )
    with conf.configuration_errors():
        client = connection if connection is not None else core.async_twin(plan.connection)
    return AsyncQueue(name, client, plan=plan, send_hooks=[CommitDeferral()])


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

"""Queue: rq's enqueue API on top of the enqueue transition."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import redis

from . import connection as conn_mod
from . import defaults, durability, flow, hooks, keys, signing, tracing, transitions
from .exceptions import InvalidJobOperation, NoSuchJobError
from .flow import Limits, Rate
from .job import Dependency as Dependency  # rq users import it from here too
from .job import Job
from .job_fields import queued_position
from .options import OPTION_NAMES, EnqueueData, JobOptions, split_call
from .preparing import JobMaker, PreparedJob, stored_created
from .queue_calls import QueueCalls, buffer_in
from .registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from .scripts import PLACED, execute_pipeline, raise_for_code
from .serializers import Serializer
from .timeutil import Seconds, to_ms
from .utils import import_attribute

#: runs a job just enqueued by an ``is_async=False`` queue, here and now, and returns
#: it with its outcome (``jobq.testing.run_now`` takes the same steps a worker takes)
EagerRunner = Callable[["Queue", Job], Job]


class Queue(QueueCalls, JobMaker):
    """A named queue. ``Queue("high", connection=redis)`` as in rq."""

    #: the eager runner of queues given none: :func:`jobq.testing.run_now`, set by
    #: ``jobq/__init__`` (the worker steps it runs sit above this module)
    default_eager_runner: ClassVar[EagerRunner | None] = None

    #: rq's name for the default job timeout (seconds)
    DEFAULT_TIMEOUT = int(defaults.JOB_TIMEOUT)

    def __init__(
        self,
        name: str = defaults.QUEUE_NAME,
        connection: redis.Redis | None = None,
        *,
        default_timeout: Seconds | None = None,
        default_result_ttl: Seconds | None = None,
        serializer: Serializer | str | None = None,
        is_async: bool = True,
        max_payload_bytes: int | None = None,
        durable: durability.Durable | bool | None = None,
        secret: signing.Keyring | signing.Secret | Sequence[signing.Secret] | None = None,
        job_class: type[Job] | str | None = None,
        send_hooks: Sequence[hooks.SendHook] = (),
        eager_runner: EagerRunner | None = None,
    ) -> None:
        """``max_payload_bytes``: largest serialized arguments accepted (default
        ``JOBQ_MAX_PAYLOAD_BYTES`` as the queue is made, or 512 KiB; 0: no limit). ``durable``: enqueue returns
        once the job is fsynced and/or on replicas (see :mod:`jobq.durability`).
        ``secret``: signs every job this queue makes (default ``JOBQ_SECRET_KEY``, in
        Django its ``SECRET_KEY``; see :mod:`jobq.signing` and docs/security.md).
        ``send_hooks``: wrap every send of new jobs (see :class:`jobq.hooks.SendHook`).
        ``eager_runner``: runs the jobs of an ``is_async=False`` queue (see
        :data:`EagerRunner`; default :func:`jobq.testing.run_now`)."""
        #: the class of the handles this queue returns (rq's ``job_class``)
        self.job_class: type[Job] = (
            import_attribute(job_class) if isinstance(job_class, str) else job_class or Job
        )
        super().__init__(
            name,
            connection,
            default_timeout=default_timeout,
            default_result_ttl=default_result_ttl,
            serializer=serializer,
            max_payload_bytes=max_payload_bytes,
            secret=secret,
        )
        self.is_async = is_async
        self.eager_runner = eager_runner
        self.durable = durability.resolve(durable)
        self._waiter: durability.Waiter | None = None
        #: wrap every send of new jobs, outermost first (see jobq.hooks.SendHook)
        self.send_hooks: list[hooks.SendHook] = list(send_hooks)
        self._registered = False

    def __repr__(self) -> str:
        return f"Queue({self.name!r})"

    def __str__(self) -> str:
        return f"<Queue {self.name}>"  # rq's

    @classmethod
    def all(
        cls,
        connection: redis.Redis | None = None,
        job_class: type[Job] | str | None = None,
        serializer: Serializer | str | None = None,
    ) -> list[Queue]:
        """Every known queue, returning handles of ``job_class``."""
        connection = conn_mod.resolve(connection)
        names = sorted(conn_mod.text(n) for n in connection.smembers(keys.QUEUES))
        return [cls(n, connection, serializer=serializer, job_class=job_class) for n in names]

    # -- building jobs ----------------------------------------------------------

    def make_job(
        self,
        prepared: PreparedJob,
        now: int | bytes,
        status: str | None = None,
        cls: type[Job] | None = None,
        connection: Any = None,
    ) -> Job:
        """The handle ``enqueue`` returns, built from what was sent (no read back);
        on ``connection`` when given (an AsyncQueue's), else on this queue's."""
        return self.build(cls or self.job_class, prepared, now, status, connection)

    def _send(self, prepared: PreparedJob, pipeline: Any = None) -> Job:
        """Enqueue one job, through the send hooks when there are any."""
        if not self.send_hooks:
            return self._send_now(prepared, pipeline)
        send = functools.partial(self._send_now, prepared, pipeline)
        return hooks.send_through(self, self.send_hooks, [prepared], lambda: [send()], pipeline)[0]

    def _send_now(self, prepared: PreparedJob, pipeline: Any = None) -> Job:
        """Send one job, in a ``jobq.enqueue`` span when the application set a tracer
        provider."""
        tracer = tracing.tracer()
        if tracer is None:
            return self._send_untraced(prepared, pipeline)
        with tracing.enqueue_span(tracer, self.name, prepared.job_id, prepared.fields):
            return self._send_untraced(prepared, pipeline)

    def _send_untraced(self, prepared: PreparedJob, pipeline: Any = None) -> Job:
        """Enqueue one job: one round trip (the queue's first also registers its name)."""
        now = transitions.now_ms()
        if pipeline is not None:
            buffer_in(pipeline)
            pipeline.sadd(keys.QUEUES, self.name)
            transitions.load_scripts(pipeline, "enqueue")
            transitions.enqueue_job(pipeline, self.keys, prepared, now)
            return self.make_job(prepared, now, self.expected_placement(prepared, now))
        if not self.is_async:  # run_sync takes it from the head of the queue
            prepared = replace(prepared, at_front=True)
        if self._registered and self.durable is None:
            code = transitions.enqueue_job(self.connection, self.keys, prepared, now)
        else:
            pipe = self.connection.pipeline(transaction=False)
            pipe.sadd(keys.QUEUES, self.name)
            transitions.enqueue_job(pipe, self.keys, prepared, now)
            code = transitions.placement(self._execute(pipe, [prepared.job_id])[1])
            if isinstance(code, int):
                raise_for_code("enqueue", code, prepared.job_id)
            self._registered = True
        assert code is not None
        if isinstance(code, str):  # a live job holds the unique key: that job
            return self._existing(code)
        job = self.make_job(prepared, now, PLACED[code])
        if not self.is_async and code == 1:
            return self.run_sync(job)
        return job

    def _existing(self, job_id: str) -> Job:
        """The live job whose unique key an enqueue met (it may end meanwhile)."""
        found = self.job_class.fetch_many([job_id], self.connection, queue=self.name)[0]
        if found is None:
            return self.job_class(
                job_id, self.connection, origin=self.name, serializer=self.serializer
            )
        return found

    def _execute(self, pipe: Any, job_ids: list[str]) -> list[Any]:
        """Run an enqueue pipeline; with ``durable``, also wait until it is durable."""
        if self.durable is None:
            return execute_pipeline(self.connection, pipe)
        if self._waiter is None:
            self._waiter = durability.Waiter(self.connection, self.durable, self.keys.queued)
        return self._waiter.execute(pipe, job_ids)

    def run_sync(self, job: Job) -> Job:
        """Run a job just enqueued (``is_async=False``) here and now, with the queue's
        eager runner: :func:`jobq.testing.run_now` unless the queue was given one."""
        runner = self.eager_runner or Queue.default_eager_runner
        if runner is None:  # only when jobq/__init__ did not run, which Python forbids
            raise InvalidJobOperation("no eager runner: pass Queue(eager_runner=...)")
        return runner(self, job)

    # -- rq's enqueue family ------------------------------------------------------

    def enqueue_call(
        self,
        func: Callable[..., Any] | str,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        pipeline: Any = None,
        **options: Any,
    ) -> Job:
        """rq's ``enqueue_call``: the job's options by keyword, the ones
        :meth:`prepare_data` names (its signature is this method's too). Flow control
        (docs/flow-control.md): ``unique_key`` (a string, or a callable of the job's
        arguments) makes a second enqueue while the first job is live return that job;
        ``unique_until="start"`` frees the key when it starts.
        ``concurrency_key``/``concurrency_limit``: at most that many jobs with the key
        run at once. ``priority``: higher first, FIFO among equals."""
        data = self.prepare_data(func, args, kwargs, **options)
        return self._send(self.prepare(data), pipeline)

    def enqueue_data(self, data: EnqueueData, *, due: int = 0, pipeline: Any = None) -> Job:
        """Enqueue one call with its :class:`JobOptions` (``due``: epoch ms, 0 now)."""
        return self._send(self.prepare(data, due=due), pipeline)

    def enqueue_job(self, job: Job, pipeline: Any = None, at_front: bool = False) -> Job:
        """Queue a job made by :meth:`Job.create` (rq's ``enqueue_job``)."""
        data = job._unsaved
        if data is None:
            prepared = stored_created(job, self.name, at_front)
        else:
            prepared = self.prepare(
                data.with_options(job_id=job.id, at_front=at_front, meta=job.meta)
            )
        sent = self._send(prepared, pipeline)
        job._unsaved = None
        job.origin = sent.origin
        job.load_fields(sent.raw_fields)
        return sent

    def get_job_position(self, job_or_id: Job | str) -> int | None:
        """The 0-based place of a queued job (None when it is not waiting here)."""
        job_id = job_or_id.id if isinstance(job_or_id, Job) else job_or_id
        return queued_position(self.connection, self.keys.queued, job_id)

    def remove(self, job_or_id: Job | str, pipeline: Any = None) -> None:
        """Take a job out of the queue. jobq deletes it too: a job is always in
        exactly one registry, so one taken out of the queue has nowhere else to be."""
        job_id = job_or_id.id if isinstance(job_or_id, Job) else job_or_id
        transitions.delete(self.connection, self.keys, job_id)

    def enqueue(self, f: Callable[..., Any] | str, *args: Any, **kwargs: Any) -> Job:
        """``enqueue(func, *args, **kwargs)``; rq's option names are taken out of kwargs."""
        options, pipeline, args, kwargs = split_call(args, kwargs)
        return self._send(self.prepare(EnqueueData(f, args, kwargs, options)), pipeline)

    def enqueue_at(
        self, datetime: dt.datetime, f: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> Job:
        """Run at ``datetime``; a naive datetime is read in the machine's local time."""
        options, pipeline, args, kwargs = split_call(args, kwargs)
        data = EnqueueData(f, args, kwargs, options)
        return self._send(self.prepare(data, due=to_ms(datetime)), pipeline)

    def enqueue_in(
        self, time_delta: dt.timedelta, f: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> Job:
        return self.enqueue_at(dt.datetime.now(dt.UTC) + time_delta, f, *args, **kwargs)

    def enqueue_many(self, job_datas: Iterable[EnqueueData], pipeline: Any = None) -> list[Job]:
        """Enqueue many jobs in one pipelined round trip; all are validated first, so a
        bad one raises before any is sent. With ``pipeline`` the caller executes it.

        Jobs due now without dependencies go to Redis a chunk per script call (one
        hash write each, one push per chunk); the others one call each, in order."""
        prepared = [self.prepare(d) for d in job_datas]
        if not self.is_async and pipeline is None:
            return [self._send(p) for p in prepared]  # inline: each runs as it is enqueued
        if not self.send_hooks:
            return self._send_many(prepared, pipeline)
        send = functools.partial(self._send_many, prepared, pipeline)
        return hooks.send_through(self, self.send_hooks, prepared, send, pipeline)

    def _send_many(self, prepared: list[PreparedJob], pipeline: Any) -> list[Job]:
        tracer = tracing.tracer()
        if tracer is not None:
            tracing.created(tracer, self.name, [(p.job_id, p.fields) for p in prepared])
        now = transitions.now_ms()
        pipe = pipeline if pipeline is not None else self.connection.pipeline(transaction=False)
        buffer_in(pipe)
        pipe.sadd(keys.QUEUES, self.name)
        if pipeline is not None:
            transitions.load_scripts(pipe, "enqueue", "enqueue_many")
        calls: list[list[PreparedJob]] = []  # one list per script call
        for p in prepared:
            if _is_simple(p) and calls and _is_simple(calls[-1][0]) and len(calls[-1]) < BULK_CHUNK:
                calls[-1].append(p)
            else:
                calls.append([p])
        for call in calls:
            if len(call) > 1 or _is_simple(call[0]):
                transitions.enqueue_many(pipe, self.keys, call, now=now)
            else:
                transitions.enqueue_job(pipe, self.keys, call[0], now)
        created = str(now).encode()
        if pipeline is not None:
            return [self.make_job(p, created, self.expected_placement(p, now)) for p in prepared]
        replies = self._execute(pipe, [p.job_id for p in prepared])[1:]
        self._registered = True
        codes: list[int | str] = []
        for reply in replies:
            codes.extend(map(transitions.placement, reply if isinstance(reply, list) else [reply]))
        jobs = []
        for p, code in zip(prepared, codes, strict=True):
            if isinstance(code, str):
                jobs.append(self._existing(code))
                continue
            raise_for_code("enqueue", code, p.job_id)
            jobs.append(self.make_job(p, created, PLACED[code]))
        return jobs

    # -- reading ------------------------------------------------------------------

    def __len__(self) -> int:
        return self.count

    # rq's attribute names, read by code written for rq and django-rq
    _default_timeout = property(lambda self: self.default_timeout)
    _is_async = property(lambda self: self.is_async)

    @property
    def key(self) -> str:
        """The Redis list of the queued ids (rq's ``queue.key``)."""
        return self.keys.queued

    @property
    def count(self) -> int:
        """Jobs waiting: the list, and those waiting by priority."""
        pipe = self.connection.pipeline(transaction=False)
        pipe.llen(self.keys.queued)
        pipe.zcard(self.keys.prio)
        return sum(int(n) for n in pipe.execute())

    @property
    def scheduler_pid(self) -> int | None:
        """The pid of the in-worker scheduler holding this queue's scheduler lock, as
        its record says; None when none holds it or its record is gone."""
        holder = self.connection.get(self.keys.scheduler_lock)
        pid = (
            None
            if holder is None
            else self.connection.hget(keys.scheduler_record(conn_mod.text(holder)), "pid")
        )
        return int(pid) if pid is not None and pid.isdigit() else None

    # -- flow control ---------------------------------------------------------------

    def set_limits(
        self,
        *,
        rate: str | Rate | None = None,
        burst: int | None = None,
        concurrency: int | None = None,
        clear: bool = False,
    ) -> Limits:
        """Limits every worker obeys (stored in Redis): ``rate="20/s"`` ("100/m",
        "1000/h"), ``burst`` (jobs an idle queue may start at once, default 1),
        ``concurrency`` (jobs of this queue running at once). ``clear`` removes every
        limit first. Returns the limits now in force."""
        return flow.set_limits(
            self.connection, self.keys, rate=rate, burst=burst, concurrency=concurrency, clear=clear
        )

    def get_limits(self) -> Limits:
        return flow.get_limits(self.connection, self.keys)

    def flow_state(self) -> flow.FlowState:
        """Limits, and what each holds back now (admin pages, ``jobq info``)."""
        return flow.flow_state(self.connection, self.keys)

    def is_empty(self) -> bool:
        return self.count == 0

    def get_job_ids(self, offset: int = 0, length: int = -1) -> list[str]:
        end = -1 if length < 0 else offset + length - 1
        return [conn_mod.text(i) for i in self.connection.lrange(self.keys.queued, offset, end)]

    @property
    def job_ids(self) -> list[str]:
        return self.get_job_ids()

    def get_jobs(self, offset: int = 0, length: int = -1) -> list[Job]:
        ids = self.get_job_ids(offset, length)
        found = self.job_class.fetch_many(ids, self.connection, queue=self.name)
        return [j for j in found if j is not None]

    @property
    def jobs(self) -> list[Job]:
        return self.get_jobs()

    def fetch_job(self, job_id: str) -> Job | None:
        try:
            return self.job_class.fetch(
                job_id, self.connection, serializer=self.serializer, queue=self.name
            )
        except NoSuchJobError:
            return None

    # -- changes ------------------------------------------------------------------

    def empty(self) -> int:
        """Delete every queued job; returns how many."""
        return transitions.empty(self.connection, self.keys)

    def delete(self, delete_jobs: bool = True) -> None:
        """Remove the queue: its jobs (when ``delete_jobs``) and its registries."""
        if delete_jobs:
            # deleting a job settles its dependents, which may move them into the
            # queue or a registry already passed: repeat until a pass finds nothing
            while self.empty() + sum(
                transitions.delete_many(self.connection, self.keys, ids)
                for ids in [flow.parked_ids(self.connection, self.keys)]
                + [registry.get_job_ids() for registry in self.registries]
            ):
                pass
        k = self.keys
        self.connection.delete(
            k.queued, k.started, k.scheduled, k.deferred, k.finished, k.failed, k.canceled, k.wake,
            k.flow, k.prio, k.qslots,
        )  # fmt: skip
        # its history too (one slot: one command, however many buckets)
        self.connection.delete(*k.every_history_key(transitions.now_ms()))
        self.connection.srem(keys.QUEUES, self.name)

    # -- registries ---------------------------------------------------------------

    @property
    def started_job_registry(self) -> StartedJobRegistry:
        return StartedJobRegistry(queue=self)

    @property
    def finished_job_registry(self) -> FinishedJobRegistry:
        return FinishedJobRegistry(queue=self)

    @property
    def failed_job_registry(self) -> FailedJobRegistry:
        return FailedJobRegistry(queue=self)

    @property
    def scheduled_job_registry(self) -> ScheduledJobRegistry:
        return ScheduledJobRegistry(queue=self)

    @property
    def deferred_job_registry(self) -> DeferredJobRegistry:
        return DeferredJobRegistry(queue=self)

    @property
    def canceled_job_registry(self) -> CanceledJobRegistry:
        return CanceledJobRegistry(queue=self)

    @property
    def registries(self) -> list[Any]:
        return [
            self.started_job_registry, self.finished_job_registry, self.failed_job_registry,
            self.scheduled_job_registry, self.deferred_job_registry, self.canceled_job_registry,
        ]  # fmt: skip


#: the kwargs of a job given none (only read)
_NO_KWARGS: dict[str, Any] = {}
#: jobs per enqueue_many script call: large enough to amortise the call, small
#: enough that one call does not hold Redis for long (about a millisecond)
BULK_CHUNK = 500


def _is_simple(p: PreparedJob) -> bool:
    """Due now, without dependencies or flow control: what the bulk enqueue script handles."""
    return not p.depends_on and not p.due and not p.flow


__all__ = ["OPTION_NAMES", "EnqueueData", "JobOptions", "PreparedJob", "Queue"]


def _enqueue_call_signature() -> inspect.Signature:
    """``Queue.enqueue_call``'s signature as people and tools read it: func, args,
    kwargs, then the options of ``prepare_data`` (one list of them, kept there) by
    keyword, with ``pipeline`` where rq has it (after ``on_stopped``)."""
    own = inspect.signature(Queue.prepare_data).parameters
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [own[name] for name in ("func", "args", "kwargs")]
    for name, p in own.items():
        if name not in ("func", "args", "kwargs"):
            params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))
        if name == "on_stopped":
            params.append(
                inspect.Parameter("pipeline", inspect.Parameter.KEYWORD_ONLY, default=None)
            )
    return inspect.Signature(params, return_annotation="Job")


Queue.enqueue_call.__signature__ = _enqueue_call_signature()  # type: ignore[attr-defined]

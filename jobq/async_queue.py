"""AsyncQueue: rq's enqueue API for asyncio code, on ``redis.asyncio``.

The same Lua transitions and the same validation as :class:`jobq.Queue` (a job
is prepared by the same code, so it is serialized, checked and stored alike);
only the round trip differs. Enqueues made while others are in flight are sent
together: the first one opens a batch, every enqueue made before the event loop
runs again joins it, and the batch goes to Redis as one pipeline, each job still
its own atomic step with its own reply. Sixty-four coroutines enqueuing at once
thus cost a few round trips, not sixty-four.

An awaited enqueue has landed when it returns, as with :class:`Queue`. An
enqueue cancelled after its batch was sent may still land (as any request
already on the wire).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis

from . import connection as conn_mod
from . import defaults, hooks, signing, tracing, transitions
from .exceptions import NoSuchJobError
from .job import AsyncJob, Job
from .options import EnqueueData, JobOptions, split_call
from .queue import PreparedJob, Queue
from .scripts import PLACED, raise_for_code
from .serializers import Serializer
from .timeutil import Seconds, to_ms


class AsyncQueue:
    """``AsyncQueue("high", connection=redis.asyncio.Redis(...))``, or ``url=...``
    (every URL :func:`jobq.connection.from_url` takes: Sentinel, Cluster, TLS)."""

    def __init__(
        self,
        name: str = defaults.QUEUE_NAME,
        connection: Any = None,
        *,
        url: str | None = None,
        default_timeout: Seconds | None = None,
        default_result_ttl: Seconds | None = None,
        serializer: Serializer | str | None = None,
        max_payload_bytes: int | None = None,
        secret: signing.Keyring | signing.Secret | Sequence[signing.Secret] | None = None,
        plan: Queue | None = None,
        send_hooks: Sequence[hooks.AsyncSendHook] = (),
    ) -> None:
        """``secret`` signs the jobs, as :class:`Queue`'s does (default
        ``JOBQ_SECRET_KEY``, in Django its ``SECRET_KEY``; see docs/security.md).
        ``plan``: a sync :class:`Queue` already configured (Django's ``get_queue``)
        whose settings this queue takes instead of the arguments above.
        ``send_hooks``: wrap every send (see :class:`jobq.hooks.AsyncSendHook`)."""
        if connection is None:
            connection = conn_mod.async_from_url(url or conn_mod.default_url())
        self.connection = connection
        #: prepares the jobs (validation, serialization, signing): it never sends
        #: anything, so whichever client it holds is not used
        self.plan = (
            plan
            if plan is not None
            else Queue(
                name,
                connection=connection,
                default_timeout=default_timeout,
                default_result_ttl=default_result_ttl,
                serializer=serializer,
                max_payload_bytes=max_payload_bytes,
                secret=secret,
            )
        )
        self.name = self.plan.name
        self.send_hooks = list(send_hooks)
        self.keys = self.plan.keys
        self.serializer = self.plan.serializer
        self._batch: list[tuple[PreparedJob, int, asyncio.Future[int | str]]] = []
        self._registered = False

    def __repr__(self) -> str:
        return f"AsyncQueue({self.name!r})"

    # -- rq's enqueue family, awaited ---------------------------------------------

    async def enqueue(self, f: Callable[..., Any] | str, *args: Any, **kwargs: Any) -> AsyncJob:
        """``await q.enqueue(func, *args, **kwargs)``; rq's option names are options."""
        options, pipeline, args, kwargs = split_call(args, kwargs)
        _no_pipeline(pipeline)
        return await self.enqueue_data(EnqueueData(f, args, kwargs, options))

    async def enqueue_call(
        self,
        func: Callable[..., Any] | str,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        **options: Any,
    ) -> AsyncJob:
        """``options``: rq's option keywords."""
        _no_pipeline(options.pop("pipeline", None))
        data = EnqueueData(func, args, kwargs, JobOptions.from_kwargs(options))
        return await self.enqueue_data(data)

    async def enqueue_data(self, data: EnqueueData, *, due: int = 0) -> AsyncJob:
        """Enqueue one call with its :class:`JobOptions` (``due``: epoch ms, 0 now)."""
        prepared = self.plan.prepare(data, due=due)
        if self.send_hooks:
            return (await self._through_hooks([prepared]))[0]
        return await self._send(prepared)

    async def enqueue_at(
        self, datetime: dt.datetime, f: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> AsyncJob:
        """Run at ``datetime``; a naive datetime is read in the machine's local time."""
        options, pipeline, args, kwargs = split_call(args, kwargs)
        _no_pipeline(pipeline)
        return await self.enqueue_data(EnqueueData(f, args, kwargs, options), due=to_ms(datetime))

    async def enqueue_in(
        self, time_delta: dt.timedelta, f: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> AsyncJob:
        return await self.enqueue_at(dt.datetime.now(dt.UTC) + time_delta, f, *args, **kwargs)

    async def enqueue_many(self, job_datas: Iterable[EnqueueData]) -> list[AsyncJob]:
        """Enqueue many jobs in one pipelined round trip; all are validated first, so
        a bad one raises before any is sent (``Queue.prepare_data`` makes each)."""
        prepared = [self.plan.prepare(d) for d in job_datas]
        if self.send_hooks:
            return await self._through_hooks(prepared)
        return await self._send_all(prepared)

    async def _send_all(self, prepared: Sequence[PreparedJob]) -> list[AsyncJob]:
        return list(await asyncio.gather(*(self._send(p) for p in prepared)))

    async def _through_hooks(self, prepared: Sequence[PreparedJob]) -> list[AsyncJob]:
        send = functools.partial(self._send_all, prepared)
        return await hooks.asend_through(self, self.send_hooks, prepared, send)

    async def _send(self, prepared: PreparedJob) -> AsyncJob:
        tracer = tracing.tracer()  # a jobq.enqueue span as Queue makes
        if tracer is None:
            return await self._send_untraced(prepared)
        with tracing.enqueue_span(tracer, self.name, prepared.job_id, prepared.fields):
            return await self._send_untraced(prepared)

    async def _send_untraced(self, prepared: PreparedJob) -> AsyncJob:
        now = transitions.now_ms()
        future: asyncio.Future[int | str] = asyncio.get_running_loop().create_future()
        if not self._batch:
            asyncio.get_running_loop().call_soon(self._flush_soon)
        self._batch.append((prepared, now, future))
        code = await future
        if isinstance(code, str):  # a live job holds the unique key: that job
            existing = await self.fetch_job(code)
            if existing is not None:
                return existing
            return AsyncJob(code, self.connection, origin=self.name, serializer=self.serializer)
        raise_for_code("enqueue", code, prepared.job_id)
        job = self.plan.make_job(prepared, now, PLACED[code], AsyncJob, self.connection)
        assert isinstance(job, AsyncJob)
        return job

    def _flush_soon(self) -> None:
        batch, self._batch = self._batch, []
        task = asyncio.ensure_future(self._flush(batch))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    async def _flush(self, batch: list[tuple[PreparedJob, int, asyncio.Future[int | str]]]) -> None:
        calls = [(self.keys, transitions.enqueue_args(self.keys, p, now)) for p, now, _ in batch]
        register = () if self._registered else (self.name,)
        try:
            codes = await transitions.enqueue_async(self.connection, calls, register)
        except BaseException as e:  # the batch's callers get the error; nothing is lost silently
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(e)
            if not isinstance(e, Exception):
                raise
            return
        self._registered = True
        for (_, _, future), code in zip(batch, codes, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(code, Exception):
                future.set_exception(code)
            else:
                future.set_result(code)

    # -- reading ------------------------------------------------------------------

    async def count(self) -> int:
        """Jobs waiting: the list, and those waiting by priority."""
        pipe = self.connection.pipeline(transaction=False)
        pipe.llen(self.keys.queued)
        pipe.zcard(self.keys.prio)
        return sum(int(n) for n in await pipe.execute())

    async def get_job_ids(self, offset: int = 0, length: int = -1) -> list[str]:
        end = -1 if length < 0 else offset + length - 1
        ids = await self.connection.lrange(self.keys.queued, offset, end)
        return [conn_mod.text(i) for i in ids]

    async def fetch_job(self, job_id: str) -> AsyncJob | None:
        try:
            return await Job.afetch(job_id, self.connection, self.serializer, queue=self.name)
        except NoSuchJobError:
            return None

    async def aclose(self) -> None:
        """Close the client (only when this queue made it from a URL is that yours to do)."""
        await self.connection.aclose()


#: AsyncQueues of ``@job``'s ``adelay``, by event loop, then by (queue, sync client)
_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, int], AsyncQueue]] = (
    weakref.WeakKeyDictionary()
)


def async_queue_for(name: str, connection: redis.Redis | None = None) -> AsyncQueue:
    """The running loop's AsyncQueue named ``name``: on the default URL's client, or
    on the asyncio twin of ``connection`` (a client jobq built)."""
    per_loop = _queues.setdefault(asyncio.get_running_loop(), {})
    key = (name, id(connection))
    queue = per_loop.get(key)
    if queue is None:
        client = (
            conn_mod.get_async_connection()
            if connection is None
            else conn_mod.async_twin(connection)
        )
        queue = per_loop[key] = AsyncQueue(name, connection=client)
    return queue


#: flushes under way (a task nobody holds may be collected before it runs)
_pending: set[asyncio.Future[None]] = set()


def _no_pipeline(pipeline: Any) -> None:
    if pipeline is not None:
        raise TypeError("AsyncQueue batches enqueues itself; it takes no pipeline=")

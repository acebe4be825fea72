"""``@job``: rq's decorator, bare or with arguments, giving ``.delay()``.

``@job`` also declares the function: one defined inside another (a test's body)
is recorded in :mod:`jobq.declared` so that workers of this process can run it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

import redis

from . import declared, defaults
from .async_queue import AsyncQueue, async_queue_for
from .job import AsyncJob, Job
from .options import DEFAULT, OPTION_NAMES, EnqueueData, JobOptions, take_options
from .queue import Queue
from .retry import Retry
from .timeutil import Seconds
from .utils import import_attribute

P = ParamSpec("P")
R = TypeVar("R")


class JobFunction(Generic[P, R]):
    """The decorated function: still directly callable, plus ``delay``/``enqueue``."""

    def __init__(
        self,
        func: Callable[P, R],
        queue: Queue | str,
        connection: redis.Redis | None,
        options: JobOptions,
        queue_class: type[Queue] = Queue,
    ) -> None:
        functools.update_wrapper(self, func)
        self.__jobq_func__ = func
        declared.declare(func)
        #: the queue, or its name (a queue is made per call, on ``connection``)
        self.queue = queue
        self.connection = connection
        #: the decorator's options; a call's option keywords override them
        self.options = options
        self.queue_class = queue_class

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.__jobq_func__(*args, **kwargs)

    def get_queue(self) -> Queue:
        if isinstance(self.queue, Queue):
            return self.queue
        return self.queue_class(self.queue, connection=self.connection)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> EnqueueData:
        """The call, with the decorator's options overridden by rq's option names
        taken out of kwargs."""
        options = self.options.merged(take_options(kwargs)) if kwargs else self.options
        return EnqueueData(self.__jobq_func__, args, kwargs, options)

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> Job:
        """Enqueue a call; rq's option names in kwargs override the decorator's.
        It goes through the queue's ``enqueue_call``, as in rq, so a queue class
        that overrides it sees the decorated function's jobs too."""
        data = self._call(args, kwargs)
        return self.get_queue().enqueue_call(
            data.func, data.args, data.kwargs, **data.options.given()
        )

    enqueue = delay

    async def adelay(self, *args: P.args, **kwargs: P.kwargs) -> AsyncJob:
        """``delay`` for asyncio code: ``await f.adelay(...)`` enqueues through
        :class:`jobq.AsyncQueue` on the event loop's client for the queue's URL
        (``JOBQ_REDIS_URL`` / ``RQ_REDIS_URL`` / ``REDIS_URL`` unless the decorator
        was given a connection, whose URL is then used)."""
        return await self.get_async_queue().enqueue_data(self._call(args, kwargs))

    def get_async_queue(self) -> AsyncQueue:
        """The running event loop's :class:`AsyncQueue` of ``adelay``."""
        queue = self.queue.name if isinstance(self.queue, Queue) else self.queue
        return async_queue_for(queue, self.connection)


@overload
def job(queue: Callable[P, R]) -> JobFunction[P, R]: ...


@overload
def job(
    queue: Queue | str | None = None,
    connection: redis.Redis | None = None,
    timeout: Seconds | None = None,
    result_ttl: Seconds | None = None,
    ttl: Seconds | None = None,
    failure_ttl: Seconds | None = None,
    retry: Retry | None = None,
    **options: Any,
) -> JobDecorator: ...


def job(
    queue: Any = None,
    connection: redis.Redis | None = None,
    timeout: Seconds | None = None,
    result_ttl: Seconds | None = None,
    ttl: Seconds | None = None,
    failure_ttl: Seconds | None = None,
    retry: Retry | None = None,
    queue_class: type[Queue] | str | None = None,
    **options: Any,
) -> Any:
    """``@job`` (queue "default"), ``@job("high", timeout=60, retry=Retry(3))`` or
    rq's keyword form ``@job(queue="high", connection=redis)``."""
    if callable(queue) and not isinstance(queue, Queue):
        return JobFunction(queue, defaults.QUEUE_NAME, None, DEFAULT)
    # not 'queue or ...': an empty Queue is falsy (it has __len__)
    target = defaults.QUEUE_NAME if queue is None else queue
    cls = import_attribute(queue_class) if isinstance(queue_class, str) else queue_class
    given = take_options(options)
    if options:
        known = [n for n in OPTION_NAMES if n != "pipeline"]
        raise TypeError(f"@job got unknown option(s) {sorted(options)}; known: {known}")
    explicit: dict[str, Any] = {"timeout": timeout, "result_ttl": result_ttl, "ttl": ttl}
    explicit.update(failure_ttl=failure_ttl, retry=retry)
    given.update((k, v) for k, v in explicit.items() if v is not None)
    return JobDecorator(target, connection, JobOptions.from_kwargs(given), cls or Queue)


class JobDecorator:
    """What ``@job(...)`` with arguments returns: it makes a :class:`JobFunction` of
    each function given; rq's decorator attributes (``queue``, ``connection``,
    ``queue_class``) are read here."""

    def __init__(
        self,
        queue: Queue | str,
        connection: redis.Redis | None,
        options: JobOptions,
        queue_class: type[Queue],
    ) -> None:
        self.queue = queue
        self.connection = connection
        self.options = options
        self.queue_class = queue_class

    def __call__(self, func: Callable[P, R]) -> JobFunction[P, R]:
        return JobFunction(func, self.queue, self.connection, self.options, self.queue_class)

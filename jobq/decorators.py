"""``@job``: rq's decorator, bare or with arguments, giving ``.delay()``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

import redis

from . import defaults
from .async_queue import async_queue_for
from .job import AsyncJob, Job
from .queue import OPTION_NAMES, Queue
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
        options: dict[str, Any],
        queue_class: type[Queue] = Queue,
    ) -> None:
        functools.update_wrapper(self, func)
        self.__jobq_func__ = func
        self._queue = queue
        self._connection = connection
        self._options = options
        self._queue_class = queue_class

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.__jobq_func__(*args, **kwargs)

    def get_queue(self) -> Queue:
        if isinstance(self._queue, Queue):
            return self._queue
        return self._queue_class(self._queue, connection=self._connection)

    def _call_options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The decorator's options, overridden by rq's option names taken out of kwargs."""
        options = {**self._options, **{k: kwargs.pop(k) for k in list(kwargs) if k in _OPTIONS}}
        if "job_timeout" in options:  # rq's name for it
            options["timeout"] = options.pop("job_timeout")
        return options

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> Job:
        """Enqueue a call; rq's option names in kwargs override the decorator's."""
        options = self._call_options(kwargs)
        return self.get_queue().enqueue_call(
            self.__jobq_func__, args=args, kwargs=kwargs, **options
        )

    enqueue = delay

    async def adelay(self, *args: P.args, **kwargs: P.kwargs) -> AsyncJob:
        """``delay`` for asyncio code: ``await f.adelay(...)`` enqueues through
        :class:`jobq.AsyncQueue` on the event loop's client for the queue's URL
        (``JOBQ_REDIS_URL`` / ``RQ_REDIS_URL`` / ``REDIS_URL`` unless the decorator
        was given a connection, whose URL is then used)."""
        options = self._call_options(kwargs)
        queue = self._queue.name if isinstance(self._queue, Queue) else self._queue
        return await async_queue_for(queue, self._connection).enqueue_call(
            self.__jobq_func__, args=args, kwargs=kwargs, **options
        )


#: the option kwargs of Queue.enqueue, less ``pipeline``
_OPTIONS = tuple(n for n in OPTION_NAMES if n != "pipeline")


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
) -> Callable[[Callable[P, R]], JobFunction[P, R]]: ...


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
        return JobFunction(queue, defaults.QUEUE_NAME, None, {})
    # not 'queue or ...': an empty Queue is falsy (it has __len__)
    target = defaults.QUEUE_NAME if queue is None else queue
    cls = import_attribute(queue_class) if isinstance(queue_class, str) else queue_class
    if "job_timeout" in options:
        timeout = options.pop("job_timeout")
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise TypeError(f"@job got unknown option(s) {sorted(unknown)}; known: {list(_OPTIONS)}")
    fixed = {
        k: v
        for k, v in {
            "timeout": timeout,
            "result_ttl": result_ttl,
            "ttl": ttl,
            "failure_ttl": failure_ttl,
            "retry": retry,
            **options,
        }.items()
        if v is not None
    }

    def wrap(func: Callable[P, R]) -> JobFunction[P, R]:
        return JobFunction(func, target, connection, fixed, cls or Queue)

    return wrap

"""``@job`` for Django: django-rq's decorator, bare or with a queue name.

The queue is looked up in ``RQ_QUEUES`` when a job is enqueued, not when the
module is imported (django-rq reads settings at decoration time, which breaks
when tasks are imported before settings are final, and freezes the queue for
tests that override settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

import redis

from jobq.async_queue import AsyncQueue
from jobq.connection import async_twin
from jobq.decorators import JobFunction
from jobq.decorators import job as core_job
from jobq.queue import Queue

from .queues import get_async_queue, get_queue

P = ParamSpec("P")
R = TypeVar("R")


class DjangoJobFunction(JobFunction[P, R]):
    """A decorated function whose ``.delay()`` goes through :func:`get_queue` and
    ``await .adelay()`` through :func:`get_async_queue`."""

    def get_queue(self) -> Queue:
        if isinstance(self.queue, Queue):
            return self.queue
        return get_queue(self.queue, connection=self.connection)

    def get_async_queue(self) -> AsyncQueue:
        """``adelay``'s queue: :func:`get_async_queue` (its ``RQ_QUEUES`` entry, its
        rows), on the asyncio twin of the decorator's connection when it has one."""
        if isinstance(self.queue, Queue):
            return super().get_async_queue()
        twin = None if self.connection is None else async_twin(self.connection)
        return get_async_queue(self.queue, connection=twin)


def _for_django(made: JobFunction[P, R]) -> DjangoJobFunction[P, R]:
    return DjangoJobFunction(made.__jobq_func__, made.queue, made.connection, made.options)


@overload
def job(queue: Callable[P, R]) -> DjangoJobFunction[P, R]: ...


@overload
def job(
    queue: Queue | str | None = None,
    connection: redis.Redis | None = None,
    *args: Any,
    **kwargs: Any,
) -> Callable[[Callable[P, R]], DjangoJobFunction[P, R]]: ...


def job(queue: Any = None, connection: redis.Redis | None = None, *args: Any, **kwargs: Any) -> Any:
    """``@job`` (queue "default"), ``@job("high")`` or ``@job("high", timeout=60)``."""
    made = core_job(queue, connection, *args, **kwargs)
    if isinstance(made, JobFunction):
        return _for_django(made)

    def wrap(func: Callable[P, R]) -> DjangoJobFunction[P, R]:
        return _for_django(made(func))

    return wrap

"""``get_worker``: a jobq ``Worker`` for configured queues, with the Django hooks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from jobq.job import Job
from jobq.worker import BaseWorker, Worker

from . import conf
from .queues import DjangoQueue, get_queues


def get_worker_class(worker_class: type[BaseWorker] | str | None = None) -> type[BaseWorker]:
    """``worker_class``, else ``RQ['WORKER_CLASS']``, else :class:`jobq.Worker`
    (a class or a dotted path)."""
    chosen = worker_class or conf.rq_setting("WORKER_CLASS") or Worker
    cls = import_string(chosen) if isinstance(chosen, str) else chosen
    if not (isinstance(cls, type) and issubclass(cls, BaseWorker)):
        raise ImproperlyConfigured(
            f"worker class {chosen!r} must be a subclass of jobq.Worker or jobq.SimpleWorker"
        )
    return cls


def apply_limits(queues: list[DjangoQueue]) -> None:
    """Store ``RQ_QUEUES[...]["RATE_LIMIT"]``/``["CONCURRENCY_LIMIT"]`` in Redis, where
    every worker reads them; a limit changed in the admin holds until a worker of the
    queue starts again with the setting."""
    configured = conf.queues()
    for queue in queues:
        config = configured.get(queue.name)
        if config is not None and (config.rate_limit or config.concurrency_limit):
            queue.set_limits(rate=config.rate_limit, concurrency=config.concurrency_limit)


def get_worker(
    *queue_names: str,
    job_class: type[Job] | str | None = None,
    queue_class: type[DjangoQueue] | str | None = None,
    worker_class: type[BaseWorker] | str | None = None,
    **kwargs: Any,
) -> BaseWorker:
    """A worker for ``queue_names`` (default: "default"), which must share one Redis.

    The worker closes stale database connections around jobs, never forks with
    an open one, writes ``JobRecord`` rows and runs only ``JOBQ["ALLOWED_MODULES"]``
    when that is set. ``kwargs`` go to the worker class (``RQ['WORKER_CLASS']`` or
    :class:`jobq.Worker`).
    """
    from .hooks import worker_hooks  # imports models: only once the apps are loaded

    queues = get_queues(*queue_names, job_class=job_class, queue_class=queue_class)
    apply_limits(queues)
    kwargs.setdefault("allowed_modules", conf.options().allowed_modules)
    kwargs.setdefault("hooks", worker_hooks())
    kwargs.setdefault("job_class", queues[0].job_class)
    cls = get_worker_class(worker_class)
    return cls(queues, connection=queues[0].connection, **kwargs)

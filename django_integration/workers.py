"""``get_worker``: a jobq ``Worker`` for configured queues, with the Django hooks."""

from __future__ import annotations

from typing import Any

from jobq.worker import Worker

from . import conf
from .queues import get_queues


def get_worker(*queue_names: str, **kwargs: Any) -> Worker:
    """A worker for ``queue_names`` (default: "default"), which must share one Redis.

    The worker closes stale database connections around jobs, never forks with
    an open one, writes ``JobRecord`` rows and runs only ``JOBQ["ALLOWED_MODULES"]``
    when that is set. ``kwargs`` go to :class:`jobq.Worker`.
    """
    from .hooks import worker_hooks  # imports models: only once the apps are loaded

    queues = get_queues(*queue_names)
    kwargs.setdefault("allowed_modules", conf.options().allowed_modules)
    kwargs.setdefault("hooks", worker_hooks())
    return Worker(queues, connection=queues[0].connection, **kwargs)

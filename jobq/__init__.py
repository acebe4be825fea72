"""jobq: a Redis-backed job queue that speaks rq's API.

``import jobq`` never imports Django; the Django integration lives in
``jobq.django_integration``.
"""

from __future__ import annotations

from ._version import __version__
from .async_queue import AsyncQueue
from .decorators import job
from .exceptions import (
    DeserializationError,
    DuplicateJobError,
    FunctionNotAllowed,
    InvalidJobOperation,
    JobFailedError,
    JobqError,
    JobTimeoutException,
    NoSuchJobError,
)
from .job import AsyncJob, Dependency, Job, cancel_job, requeue_job
from .queue import Queue
from .registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from .retry import Callback, Retry
from .status import JobStatus
from .testing import run_now as _run_now
from .worker import SimpleWorker, Worker, get_current_job

# eager mode (is_async=False) is the inline runner the queue is given: wired here,
# where both the queue and the worker steps it runs are known
Queue.default_eager_runner = _run_now

__all__ = [
    "AsyncJob",
    "AsyncQueue",
    "Callback",
    "CanceledJobRegistry",
    "DeferredJobRegistry",
    "Dependency",
    "DeserializationError",
    "DuplicateJobError",
    "FailedJobRegistry",
    "FinishedJobRegistry",
    "FunctionNotAllowed",
    "InvalidJobOperation",
    "Job",
    "JobFailedError",
    "JobStatus",
    "JobTimeoutException",
    "JobqError",
    "NoSuchJobError",
    "Queue",
    "Retry",
    "ScheduledJobRegistry",
    "SimpleWorker",
    "StartedJobRegistry",
    "Worker",
    "__version__",
    "cancel_job",
    "get_current_job",
    "job",
    "requeue_job",
]

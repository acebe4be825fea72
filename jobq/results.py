"""rq's ``Result``: the outcome of a job's last run, read from the job itself.

jobq keeps one outcome per job (each run of a schedule is its own job, so no
run's result overwrites another's); ``Result.all(job)`` therefore holds at most
one entry, the latest.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Any

from .retry import Retry
from .status import JobStatus

if TYPE_CHECKING:
    from .job_fields import JobFields as Job


class Result:
    class Type(Enum):
        SUCCESSFUL = 1
        FAILED = 2
        STOPPED = 3
        RETRIED = 4
        #: the job returned a Retry whose max was used up (rq 2.x): failed, no traceback
        MAX_RETRIES_EXCEEDED = 5

    def __init__(
        self,
        job_id: str,
        type: Result.Type,
        created_at: dt.datetime | None,
        return_value: Any = None,
        exc_string: str | None = None,
        *,
        execution_id: str | None = None,
        execution_started_at: dt.datetime | None = None,
        execution_ended_at: dt.datetime | None = None,
        worker_name: str | None = None,
    ) -> None:
        """``execution_*``: the run that produced it (jobq names a run by its attempt
        number, see :mod:`jobq.executions`); ``worker_name``: the worker that ran it."""
        self.job_id = job_id
        self.id = job_id
        self.type = type
        self.created_at = created_at
        self.return_value = return_value
        self.exc_string = exc_string
        self.execution_id = execution_id
        self.execution_started_at = execution_started_at
        self.execution_ended_at = execution_ended_at
        self.worker_name = worker_name

    def __repr__(self) -> str:
        return f"Result({self.job_id!r}, type={self.type.name})"

    @classmethod
    def fetch_latest(cls, job: Job, serializer: Any = None, timeout: int = 0) -> Result | None:
        """The job's latest outcome, or None while it has not ended."""
        status = job.get_status(refresh=True)
        run = {
            "execution_id": str(job.attempts) if job.attempts else None,
            "execution_started_at": job.started_at,
            "execution_ended_at": job.ended_at,
            "worker_name": job.worker_name,
        }
        if status == JobStatus.FINISHED:
            return cls(job.id, cls.Type.SUCCESSFUL, job.ended_at, job.return_value(), **run)
        returned = _returned_retry(job)
        if status == JobStatus.FAILED and returned is not None:
            return cls(job.id, cls.Type.MAX_RETRIES_EXCEEDED, job.ended_at, returned, **run)
        if status == JobStatus.FAILED:
            return cls(job.id, cls.Type.FAILED, job.ended_at, exc_string=job.exc_info, **run)
        if status == JobStatus.STOPPED:
            return cls(job.id, cls.Type.STOPPED, job.ended_at, **run)
        if returned is not None:  # returned a Retry and waits for its next run
            return cls(job.id, cls.Type.RETRIED, job.ended_at, returned, **run)
        if job.attempts and job.exc_info:  # failed before and waits for its retry
            return cls(job.id, cls.Type.RETRIED, job.ended_at, exc_string=job.exc_info, **run)
        return None

    @classmethod
    def all(cls, job: Job, serializer: Any = None) -> list[Result]:
        latest = cls.fetch_latest(job, serializer)
        return [latest] if latest is not None else []

    @classmethod
    def count(cls, job: Job, serializer: Any = None) -> int:
        return len(cls.all(job, serializer))


#: the reasons retry_returned-7.lua records: the last run returned a Retry
_RETURNED_RETRY_REASONS = ("retry returned", "max retries exceeded")


def _returned_retry(job: Job) -> Retry | None:
    """The Retry the job's last run returned, or None when that run did not return one."""
    text = job._text("retry_returned")
    if text is None or job.reason not in _RETURNED_RETRY_REASONS:
        return None
    return Retry.from_json(text)

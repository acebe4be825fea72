"""rq's ``Result``: the outcome of a job's last run, read from the job itself.

jobq keeps one outcome per job (each run of a schedule is its own job, so no
run's result overwrites another's); ``Result.all(job)`` therefore holds at most
one entry, the latest.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Any

from .status import JobStatus

if TYPE_CHECKING:
    from .job_fields import JobFields as Job


class Result:
    class Type(Enum):
        SUCCESSFUL = 1
        FAILED = 2
        STOPPED = 3
        RETRIED = 4

    def __init__(
        self,
        job_id: str,
        type: Result.Type,
        created_at: dt.datetime | None,
        return_value: Any = None,
        exc_string: str | None = None,
    ) -> None:
        self.job_id = job_id
        self.id = job_id
        self.type = type
        self.created_at = created_at
        self.return_value = return_value
        self.exc_string = exc_string

    def __repr__(self) -> str:
        return f"Result({self.job_id!r}, type={self.type.name})"

    @classmethod
    def fetch_latest(cls, job: Job, serializer: Any = None, timeout: int = 0) -> Result | None:
        """The job's latest outcome, or None while it has not ended."""
        status = job.get_status(refresh=True)
        if status == JobStatus.FINISHED:
            return cls(job.id, cls.Type.SUCCESSFUL, job.ended_at, job.return_value())
        if status == JobStatus.FAILED:
            return cls(job.id, cls.Type.FAILED, job.ended_at, exc_string=job.exc_info)
        if status == JobStatus.STOPPED:
            return cls(job.id, cls.Type.STOPPED, job.ended_at)
        if job.attempts and job.exc_info:  # failed before and waits for its retry
            return cls(job.id, cls.Type.RETRIED, job.ended_at, exc_string=job.exc_info)
        return None

    @classmethod
    def all(cls, job: Job, serializer: Any = None) -> list[Result]:
        latest = cls.fetch_latest(job, serializer)
        return [latest] if latest is not None else []

    @classmethod
    def count(cls, job: Job, serializer: Any = None) -> int:
        return len(cls.all(job, serializer))

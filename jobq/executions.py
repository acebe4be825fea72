"""rq's ``Execution``: one run of a job, named by the job's id and its attempt number.

jobq keeps a run's outcome on the job itself (a retry is a further attempt of the
same job); an ``Execution`` names one of those attempts.
"""

from __future__ import annotations

from typing import Any

import redis

from .job import Job


class Execution:
    def __init__(self, id: str, job_id: str, connection: redis.Redis) -> None:
        self.id = id
        self.job_id = job_id
        self.connection = connection

    def __repr__(self) -> str:
        return f"Execution({self.id!r}, job_id={self.job_id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Execution) and other.id == self.id and other.job_id == self.job_id

    def __hash__(self) -> int:
        return hash((self.id, self.job_id))

    @property
    def composite_key(self) -> str:
        return f"{self.job_id}:{self.id}"

    @property
    def job(self) -> Job:
        return Job.fetch(self.job_id, self.connection)


def prepare_execution(worker: Any, job: Job) -> Execution:
    """The execution a worker would start next for ``job``: its next attempt."""
    return Execution(str(job.attempts + 1), job.id, job.connection)

"""Reading a job's fields for a page when Redis may hold anything: a field that cannot
be read (corrupt, written by hand, from another version) is shown as unreadable with
its error, and the page still renders."""

from __future__ import annotations

from typing import Any

from jobq.exceptions import DeserializationError
from jobq.job import Job
from jobq.status import JobStatus

from ..stats import error_text

#: what reading a corrupt field raises (JSONDecodeError is a ValueError)
READ_ERRORS = (DeserializationError, ValueError, TypeError, UnicodeError)


def status_of(job: Job) -> tuple[JobStatus | None, str]:
    """The job's status as read last, or None and why it cannot be read."""
    try:
        return job.get_status(refresh=False), ""
    except READ_ERRORS as e:
        return None, error_text(e)


def dependency_ids(job: Job) -> tuple[list[str], str]:
    try:
        return job.dependency_ids, ""
    except READ_ERRORS as e:
        return [], error_text(e)


def status_text(job: Any) -> str:
    """The status for a list's cell: its value, or that it cannot be read."""
    status, error = status_of(job)
    return str(status) if not error else f"unreadable ({error})"

"""The job being run in this process, for ``get_current_job()``."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .job import Job

_current: contextvars.ContextVar[Job | None] = contextvars.ContextVar(
    "jobq_current_job", default=None
)


def get_current_job() -> Job | None:
    """The job this code runs in, or None outside a worker (rq's name)."""
    return _current.get()


def set_current_job(job: Job | None) -> contextvars.Token[Job | None]:
    return _current.set(job)


def reset_current_job(token: contextvars.Token[Job | None]) -> None:
    _current.reset(token)

"""``get_current_job()`` by its older path (it lives in :mod:`jobq.context`)."""

from ..context import get_current_job, reset_current_job, set_current_job

__all__ = ["get_current_job", "reset_current_job", "set_current_job"]

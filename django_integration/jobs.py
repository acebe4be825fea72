"""django-rq's ``jobs.get_job_class``."""

from __future__ import annotations

from .queues import get_job_class

__all__ = ["get_job_class"]

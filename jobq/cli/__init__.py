"""The ``jobq`` command line (also ``python -m jobq``): the group and its commands."""

from . import admin, info, limits, metrics, scheduler, worker  # noqa: F401  (commands register themselves)
from .base import Context, Group, Seconds, describe, main, url_option

__all__ = ["Context", "Group", "Seconds", "describe", "main", "url_option"]

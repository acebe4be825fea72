"""The scheduler for Django: ``get_scheduler`` and ``Schedule`` rows kept in Redis.

Filled in against ``jobq.scheduler`` once it lands.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured


def get_scheduler(
    name: str = "default", queue: Any = None, interval: float = 60, connection: Any = None
) -> Any:
    raise ImproperlyConfigured("jobq.scheduler is not available yet")


def sync_schedule(pk: int, using: str = "default") -> None:
    return None


def worker_scheduler_hook() -> Any:
    return None

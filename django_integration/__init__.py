"""jobq for Django (app label ``jobq``): django-rq's API on jobq.

``from jobq.django_integration import job, get_queue, get_connection,
get_scheduler, enqueue`` — the names and signatures of ``django_rq``;
``get_async_queue`` beside them for asyncio code. Nothing
here reads settings or touches models at import, so tasks modules can import
it while the apps are still loading; ``import jobq`` alone never imports Django.
"""

from __future__ import annotations

from .decorators import job
from .queues import enqueue, get_async_queue, get_connection, get_queue, get_queues
from .scheduling import get_scheduler
from .workers import get_worker

__all__ = [
    "enqueue",
    "get_async_queue",
    "get_connection",
    "get_queue",
    "get_queues",
    "get_scheduler",
    "get_worker",
    "job",
]

"""Workers: ``Worker`` (supervisor with executor children) and ``SimpleWorker``."""

from ..context import get_current_job
from ..defaults import DEFAULT_RESULT_TTL
from .base import BaseWorker
from .loop import Worker
from .simple import SimpleWorker

#: rq's Heroku variant; jobq's Worker already handles SIGTERM as a warm shutdown
HerokuWorker = Worker

__all__ = [
    "DEFAULT_RESULT_TTL",
    "BaseWorker",
    "HerokuWorker",
    "SimpleWorker",
    "Worker",
    "get_current_job",
]

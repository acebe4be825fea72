"""Workers: ``Worker`` (supervisor with executor children) and ``SimpleWorker``."""

from .context import get_current_job
from .loop import BaseWorker, SimpleWorker, Worker

__all__ = ["BaseWorker", "SimpleWorker", "Worker", "get_current_job"]

"""A worker's turn as rq's scheduler of its own queues (``work(with_scheduler=True)``).

rq's workers take their queues' scheduler locks and, holding them, queue due jobs;
``worker.scheduler`` is that :class:`~jobq.scheduler.RQScheduler`. A jobq worker
does the same inside its own process (no forked scheduler process): in burst mode
one pass at start, then locks and record are given back whatever happened; else
locks and record are held from start to shutdown, renewed by heartbeat, and each
scheduler tick queues what is due. The deployment-wide pass (``scheduler_hook``:
recurring schedules of every queue, under the one scheduler lock) runs beside it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import redis

from ..connection import is_transient
from ..queue import Queue
from ..scheduler.in_worker import RQScheduler

logger = logging.getLogger("jobq.worker")

#: seconds between heartbeats of the worker's scheduler (its locks live 60 s more)
HEARTBEAT_EVERY = 5.0


class SchedulerDuty:
    """The worker's scheduler and when it last sent a heartbeat."""

    def __init__(self, queues: Sequence[Queue], connection: redis.Redis, name: str) -> None:
        self.scheduler = RQScheduler(queues, connection, name=name)
        self._beat = -float("inf")
        self.live = False

    def run_burst(self) -> None:
        """One pass if this worker takes some lock; locks and record are released
        even when the pass raises (the error reaches the caller)."""
        s = self.scheduler
        if not s.acquire_locks():
            return
        try:
            s.register_birth()
            s.enqueue_scheduled_jobs()
        finally:
            s.release_locks()
            s.register_death()

    def begin(self) -> None:
        """Take the free locks and publish the record (``Queue.scheduler_pid``)."""
        self.scheduler.acquire_locks()
        self.scheduler.register_birth()
        self._beat = time.monotonic()
        self.live = True

    def keep(self) -> None:
        """At each scheduler tick: retry missing locks now and then, queue what is due
        in the queues held, and send a heartbeat when one is due."""
        if not self.live:
            return
        s = self.scheduler
        if s.should_reacquire_locks:
            s.acquire_locks()
        if s.acquired_locks:
            s.enqueue_scheduled_jobs()
        if time.monotonic() - self._beat >= HEARTBEAT_EVERY:
            s.heartbeat()
            self._beat = time.monotonic()

    def end(self) -> None:
        """Release the locks and drop the record; Redis away: both expire by themselves."""
        if not self.live:
            return
        self.live = False
        try:
            self.scheduler.stop()
        except Exception as e:
            if not is_transient(e):
                raise
            logger.warning("scheduler locks not released (%s); they expire by themselves", e)

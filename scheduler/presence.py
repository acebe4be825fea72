"""rq-scheduler's presence calls on ``Scheduler``: a birth record, the lock, heartbeats.

rq-scheduler's ``Scheduler`` registers a record of itself (``register_birth``, one
live scheduler per name), marks it dead on the way out (``register_death``: the
record lingers a minute) and takes the scheduler lock around each pass
(``acquire_lock`` / ``remove_lock``). Here the lock is jobq's one scheduler lock
(``keys.SCHEDULER_LOCK``), owned by the scheduler's name, so ``run()`` after
``acquire_lock()`` renews the lock it holds; taking, renewing and releasing are
compare-and-set on the name, and nothing releases a lock another scheduler holds.
"""

from __future__ import annotations

import os
import socket
import time
from typing import ClassVar

import redis

from .. import keys, transitions
from ..connection import slot_transaction

#: seconds a dead scheduler's record is kept (rq-scheduler's)
DEATH_KEPT_SECONDS = 60


class SchedulerPresence:
    """Mixed into :class:`jobq.scheduler.Scheduler`."""

    #: the key of the scheduler lock (rq-scheduler's class attribute)
    scheduler_lock_key: ClassVar[str] = keys.SCHEDULER_LOCK

    connection: redis.Redis
    interval: float
    name: str
    queue_name: str
    _lock_acquired: bool = False

    @property
    def key(self) -> str:
        """The key of this scheduler's record."""
        return keys.scheduler_instance(self.name)

    @property
    def _interval(self) -> float:
        return self.interval

    @property
    def pid(self) -> int:
        return os.getpid()

    def _presence_ttl(self) -> int:
        """Seconds lock and record outlive the last renewal (rq-scheduler: interval + 10)."""
        return int(self.interval) + 10

    def register_birth(self) -> None:
        """Record this scheduler; ValueError while a live scheduler has its name."""
        fields = {"pid": str(self.pid), "hostname": socket.gethostname(), "queue": self.queue_name}
        ttl_ms = self._presence_ttl() * 1000
        if not transitions.register_scheduler(
            self.connection, self.key, time.time(), ttl_ms, fields
        ):
            raise ValueError(f"There's already an active scheduler named {self.name!r}")

    def register_death(self) -> None:
        """Mark the record dead; it is kept a minute (a new birth may replace it)."""
        pipe = slot_transaction(self.connection, self.key)
        pipe.hset(self.key, "death", time.time())
        pipe.expire(self.key, DEATH_KEPT_SECONDS)
        pipe.execute()

    def heartbeat(self) -> None:
        """Keep the record alive another ``interval + 10`` seconds."""
        self.connection.expire(self.key, self._presence_ttl())

    def acquire_lock(self) -> bool:
        """Take the scheduler lock (or renew it, when this scheduler holds it) for
        ``interval + 10`` seconds; False while another scheduler holds it."""
        ttl_ms = self._presence_ttl() * 1000
        code = transitions.hold_lock(self.connection, self.scheduler_lock_key, self.name, ttl_ms)
        self._lock_acquired = code > 0
        return self._lock_acquired

    def remove_lock(self) -> None:
        """Release the lock if this scheduler took it and still holds it."""
        if self._lock_acquired:
            transitions.release_lock(self.connection, self.scheduler_lock_key, self.name)
            self._lock_acquired = False

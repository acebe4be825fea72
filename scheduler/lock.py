"""The scheduler lock: one owner token, a short time to live, renewed while alive.

The lock only keeps the work in one place; correctness never depends on it —
every fire step is a compare-and-set on the schedule, so two schedulers that
both believe they hold the lock (a paused owner whose lock expired) still
cannot fire a slot twice. That lets the time to live be short, so a standby
takes over within a few seconds of the owner's death.

Taking and renewing is one Lua step (``lock-1.lua``); releasing checks the
token (``unlock-1.lua``): nothing deletes a lock it does not own.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import redis

from .. import defaults, keys, transitions

logger = logging.getLogger("jobq.scheduler")

#: seconds the lock lives without renewal; a standby takes over this long after a death
LOCK_SECONDS = defaults.SCHEDULER_LOCK_SECONDS


class SchedulerLock:
    def __init__(
        self,
        connection: redis.Redis,
        *,
        ttl: float = LOCK_SECONDS,
        key: str = keys.SCHEDULER_LOCK,
        token: str | None = None,
    ) -> None:
        self.connection = connection
        self.key = key
        self.ttl_ms = int(ttl * 1000)
        #: who holds it, readable in Redis: host:pid:random
        self.token = token or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renewed = -float("inf")  # monotonic time of the last successful hold
        self.held = False

    @property
    def renew_every(self) -> float:
        """Seconds between renewals: a third of the time to live."""
        return self.ttl_ms / 3000

    def hold(self) -> bool:
        """Take the lock or renew it (at most every :attr:`renew_every`); True while held."""
        now = time.monotonic()
        if self.held and now - self._renewed < self.renew_every:
            return True
        code = transitions.hold_lock(self.connection, self.key, self.token, self.ttl_ms)
        was = self.held
        self.held = code > 0
        if self.held:
            self._renewed = now
        if self.held and not was:
            logger.info("scheduler %s holds the lock; this one fires schedules", self.token)
        elif was and not self.held:
            logger.warning("scheduler %s lost the lock to another scheduler", self.token)
        return self.held

    def release(self) -> bool:
        """Give the lock up now (only if still ours) so a standby takes over at once."""
        self.held = False
        self._renewed = -float("inf")
        return transitions.release_lock(self.connection, self.key, self.token)

    def owner(self) -> str | None:
        raw = self.connection.get(self.key)
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)

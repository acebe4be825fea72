"""rq's cron scheduler records: who runs which cron jobs, where, alive since when.

rq 2.x lists running cron schedulers (django-rq's admin shows them): each registers
its name in one registry scored by its last heartbeat and keeps a record of itself
(host, pid, its cron jobs) that expires unless renewed. Registering is one Lua
step (``register_cron-2.lua``) that refuses a name already registered; a
scheduler silent past :data:`STALE_SECONDS` is dropped from the registry by
:meth:`CronPresence.all`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
from typing import Any, Self

import redis

from . import keys, transitions
from .connection import slot_transaction, text
from .exceptions import JobqError, SchedulerNotFound
from .utils import now, utcformat, utcparse

logger = logging.getLogger("jobq.scheduler")

#: seconds a record lives without a heartbeat (rq's: 60 at birth, 120 once beating)
RECORD_SECONDS = 60
BEATING_RECORD_SECONDS = 120
#: a scheduler whose last heartbeat is older than this is no longer listed
STALE_SECONDS = 120


class DuplicateSchedulerError(JobqError, ValueError):
    """A cron scheduler of this name is registered already."""


class CronPresence:
    """Mixed into :class:`jobq.cron.CronScheduler`: its record and registration."""

    connection: redis.Redis | None
    name: str
    hostname: str
    pid: int
    created_at: dt.datetime
    config_file: str

    def _init_presence(self) -> None:
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.created_at = now()
        self.config_file = ""

    def _client(self) -> redis.Redis:
        if self.connection is None:
            raise ValueError("this cron scheduler has no Redis connection yet: pass connection=")
        return self.connection

    @property
    def key(self) -> str:
        """The key of this scheduler's record."""
        return keys.cron_scheduler(self.name)

    def _jobs_data(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _restore_jobs(self, data: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "hostname": self.hostname,
            "pid": str(self.pid),
            "created_at": utcformat(self.created_at),
            "config_file": self.config_file,
            "cron_jobs": json.dumps(self._jobs_data(), default=repr),
        }

    def restore(self, raw: dict[Any, Any]) -> None:
        """Read a record back; its cron jobs only when they parse."""
        data = {text(k): text(v) for k, v in raw.items()}
        self.name = data["name"]
        self.hostname = data.get("hostname", "")
        self.pid = int(data.get("pid") or 0)
        self.created_at = utcparse(data["created_at"])
        self.config_file = data.get("config_file", "")
        try:
            jobs = json.loads(data.get("cron_jobs") or "[]")
            self._restore_jobs(jobs if isinstance(jobs, list) else [])
        except (ValueError, TypeError, KeyError) as e:
            logger.warning("cron scheduler %s: its cron jobs do not parse (%s)", self.name, e)
            self._restore_jobs([])

    def register_birth(self) -> None:
        """Register and write the record; DuplicateSchedulerError when the name is taken."""
        ok = transitions.register_cron_scheduler(
            self._client(), self.name, time.time(), RECORD_SECONDS * 1000, self.to_dict()
        )
        if not ok:
            raise DuplicateSchedulerError(f"cron scheduler {self.name!r} is registered already")

    def register_death(self) -> None:
        """Leave the registry and drop the record; SchedulerNotFound when not registered."""
        pipe = slot_transaction(self._client(), self.key)
        pipe.zrem(keys.CRON_SCHEDULERS, self.name)
        pipe.delete(self.key)
        removed, _ = pipe.execute()
        if not removed:
            raise SchedulerNotFound(f"cron scheduler {self.name!r} is not registered")

    def heartbeat(self) -> None:
        """Say this scheduler is alive: its registry score and its record's life."""
        pipe = slot_transaction(self._client(), self.key)
        pipe.zadd(keys.CRON_SCHEDULERS, {self.name: time.time()}, xx=True, ch=True)
        pipe.expire(self.key, BEATING_RECORD_SECONDS)
        changed, _ = pipe.execute()
        if not changed:
            logger.warning("cron scheduler %s: heartbeat found it unregistered", self.name)

    @property
    def last_heartbeat(self) -> dt.datetime | None:
        score = self._client().zscore(keys.CRON_SCHEDULERS, self.name)
        return None if score is None else dt.datetime.fromtimestamp(float(score), tz=dt.UTC)

    @classmethod
    def fetch(cls, name: str, connection: redis.Redis) -> Self:
        """The cron scheduler named ``name`` from its record; SchedulerNotFound without one."""
        raw = connection.hgetall(keys.cron_scheduler(name))
        if not raw:
            raise SchedulerNotFound(f"no cron scheduler named {name!r} is alive (no record)")
        scheduler = cls._blank(connection, name)
        scheduler.restore(raw)
        return scheduler

    @classmethod
    def _blank(cls, connection: redis.Redis, name: str) -> Self:
        raise NotImplementedError

    @classmethod
    def all(cls, connection: redis.Redis, cleanup: bool = True) -> list[Self]:
        """The registered cron schedulers that still have a record, oldest first;
        ``cleanup`` first drops those silent for :data:`STALE_SECONDS`."""
        if cleanup:
            connection.zremrangebyscore(keys.CRON_SCHEDULERS, 0, time.time() - STALE_SECONDS)
        found = []
        for raw_name in connection.zrange(keys.CRON_SCHEDULERS, 0, -1):
            try:
                found.append(cls.fetch(text(raw_name), connection))
            except SchedulerNotFound:
                continue
        return found

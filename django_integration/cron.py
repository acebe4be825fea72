"""django-rq's ``DjangoCronScheduler``: rq's cron API with queues from ``RQ_QUEUES``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import redis
from django.core.exceptions import ImproperlyConfigured

from jobq.cron import CronJob, CronScheduler
from jobq.scheduler import Schedule

from . import conf
from .connection_utils import get_redis_connection, get_unique_connection_configs
from .queues import get_connection
from .stats import reach

logger = logging.getLogger("jobq.django")


class DjangoCronScheduler(CronScheduler):
    """Takes its Redis from the first registered queue; every queue registered after
    it must use the same Redis (one scheduler serves one connection)."""

    def __init__(
        self, connection: redis.Redis | None = None, name: str | None = None, interval: float = 1
    ) -> None:
        super().__init__(connection, name, interval)
        self._connection_config: conf.ConnectionConfig | None = None

    def register(
        self,
        func: Callable[..., Any] | str,
        queue_name: str,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        interval: float | None = None,
        cron: str | None = None,
        job_timeout: float | None = None,
        result_ttl: float | None = None,
        ttl: float | None = None,
        failure_ttl: float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> CronJob:
        config = conf.queue(queue_name).connection  # KeyError for an unknown queue
        if self._connection_config is None:
            self._connection_config = config
            if self.connection is None:
                self.connection = get_connection(queue_name)
        elif config != self._connection_config:
            raise ValueError(
                f"queue {queue_name!r} uses another Redis than the queues registered before; "
                "run one cron scheduler per Redis connection"
            )
        return super().register(
            func, queue_name, args, kwargs, interval, cron, job_timeout, result_ttl, ttl,
            failure_ttl, meta,
        )  # fmt: skip

    @property
    def connection_index(self) -> int:
        """The place of this scheduler's Redis among ``RQ_QUEUES``' distinct connections
        (django-rq's; the admin's URLs name it). ValueError before it has a connection."""
        if self.connection is None:
            raise ValueError("this cron scheduler has no connection yet: register a job first")
        mine = _where(self.connection)
        for index, params in enumerate(get_unique_connection_configs()):
            if _where(get_redis_connection(params)) == mine:
                return index
        raise ValueError("this cron scheduler's Redis is none of RQ_QUEUES' connections")

    def get_jobs_data(self) -> list[dict[str, Any]]:
        """One row per cron job, as django-rq's cron scheduler page shows them, with the
        next and latest run of the schedule it is stored as (None before ``start()``
        stored it, or without a connection)."""
        rows = []
        for job in self.get_jobs():
            stored = None
            if self.connection is not None:
                stored = Schedule.fetch(job.schedule_id, job.queue_name, self.connection)
            options = [
                f"{name}={value:g}"
                for name in ("job_timeout", "result_ttl", "ttl", "failure_ttl")
                if (value := getattr(job, name)) is not None
            ]
            rows.append({
                "func_name": job.func_name, "queue_name": job.queue_name,
                "schedule": job.describe(), "args": job.args, "kwargs": job.kwargs,
                "meta": job.meta, "options": options,
                "next_enqueue_time": stored.next_run if stored else None,
                "latest_enqueue_time": stored.last_run if stored else None,
            })  # fmt: skip
        return rows


def running_cron_schedulers(cleanup: bool = False) -> list[tuple[int, DjangoCronScheduler]]:
    """The cron schedulers running (registered, with a record) on each distinct Redis of
    ``RQ_QUEUES``, with that Redis' index; a connection that cannot be reached is
    logged and left out (as in django-rq). ``cleanup``: see ``CronScheduler.all`` (a
    record outlives a scheduler's last heartbeat by two minutes at most, so a page
    that only reads needs no clean-up write)."""
    found: list[tuple[int, DjangoCronScheduler]] = []
    for index, params in enumerate(get_unique_connection_configs()):
        try:
            server = conf.parse_queue("<given>", params).connection.cache_key
            client = get_redis_connection(params)
            running, error = reach(server, partial(DjangoCronScheduler.all, client, cleanup))
        except (redis.RedisError, ImproperlyConfigured) as e:
            running, error = None, str(e)
        if running is None:
            logger.warning("cron schedulers not listed for connection %d: %s", index, error)
            continue
        found += [(index, scheduler) for scheduler in running]
    return found


def _where(client: redis.Redis) -> tuple[Any, ...]:
    """What makes two clients talk to the same Redis database."""
    kw = client.connection_pool.connection_kwargs
    where = tuple(kw.get(k) for k in ("host", "port", "path", "username", "password"))
    return (*where, kw.get("db") or 0)  # a db of None (a URL without one) is db 0

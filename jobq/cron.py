"""rq's cron API (``rq.cron``) on jobq's scheduler.

A cron configuration file registers jobs::

    from jobq import cron
    cron.register(send_report, "default", cron="0 7 * * *")
    cron.register(poll_feeds, "default", args=("news",), interval=300)

``CronScheduler.load_config_from_file("myproject.cron_config")`` imports it and
``start()`` stores each registration as a jobq schedule (a stable id, so a
restart replaces rather than duplicates it) and runs the scheduler loop. Runs are
jobs like any schedule's: one per slot, with ``job.schedule_id``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import json
import runpy
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import redis

from . import connection as conn_mod
from .cron_presence import CronPresence
from .exceptions import SchedulerNotFound
from .functions import function_path
from .scheduler import Scheduler
from .scheduler.tick import Ticker

#: registrations made by a configuration file while it is being loaded
_pending: list[dict[str, Any]] = []


@dataclass(frozen=True)
class CronJob:
    """One registration: ``func`` on ``queue_name`` every ``interval`` seconds or at
    the times of ``cron`` (UTC)."""

    func: Callable[..., Any] | str
    queue_name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    interval: float | None = None
    cron: str | None = None
    job_timeout: float | None = None
    result_ttl: float | None = None
    ttl: float | None = None
    failure_ttl: float | None = None
    meta: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("register a cron job with exactly one of interval=... or cron=...")
        if self.interval is not None and self.interval <= 0:
            raise ValueError(f"interval must be a positive number of seconds, got {self.interval}")

    @property
    def func_name(self) -> str:
        return function_path(self.func)

    @property
    def schedule_id(self) -> str:
        """Stable across restarts: the same registration keeps its schedule."""
        what = [self.func_name, self.queue_name, self.interval, self.cron, list(self.args)]
        digest = hashlib.sha1(
            json.dumps(what, default=repr, sort_keys=True).encode(), usedforsecurity=False
        )
        return f"cron-{digest.hexdigest()[:20]}"

    def describe(self) -> str:
        return f"every {self.interval:g} seconds" if self.interval else f"cron: {self.cron}"


def register(
    func: Callable[..., Any] | str,
    queue_name: str,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    interval: float | None = None,
    cron: str | None = None,
    **options: Any,
) -> None:
    """Register a job from a configuration file (see :meth:`CronScheduler.load_config_from_file`)."""
    entry = {"func": func, "queue_name": queue_name, "args": args, "kwargs": kwargs}
    _pending.append({**entry, "interval": interval, "cron": cron, **options})


class CronScheduler(CronPresence):
    def __init__(
        self, connection: redis.Redis | None = None, name: str | None = None, interval: float = 1
    ) -> None:
        self.connection = connection
        self._init_presence()
        self.name = name or f"{self.hostname}:{self.pid}:{uuid.uuid4().hex[:6]}"
        self.interval = interval
        self._cron_jobs: list[CronJob] = []

    def __eq__(self, other: object) -> bool:
        """Schedulers are the same by name (rq's; the connection is not compared)."""
        return isinstance(other, type(self)) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def _jobs_data(self) -> list[dict[str, Any]]:
        return [{"func_name": j.func_name, **_job_fields(j)} for j in self._cron_jobs]

    def _restore_jobs(self, data: list[dict[str, Any]]) -> None:
        jobs = []
        for d in data:
            fields = {k: v for k, v in d.items() if k in _JOB_FIELDS}
            fields["args"] = tuple(fields.get("args") or ())
            jobs.append(CronJob(d["func_name"], **fields))
        self._cron_jobs = jobs

    @classmethod
    def _blank(cls, connection: redis.Redis, name: str) -> Self:
        return cls(connection=connection, name=name)

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
        job = CronJob(
            func, queue_name, tuple(args or ()), dict(kwargs or {}), interval, cron,
            job_timeout, result_ttl, ttl, failure_ttl, meta,
        )  # fmt: skip
        function_path(func)  # refuse what a worker could not import, now
        self._cron_jobs.append(job)
        return job

    def get_jobs(self) -> list[CronJob]:
        return list(self._cron_jobs)

    def load_config_from_file(self, path: str) -> None:
        """Import a configuration module (dotted path, or a ``.py`` file) and take the
        jobs it registers with :func:`register`."""
        _pending.clear()
        self.config_file = path
        try:
            if path.endswith(".py") and "/" in path:
                runpy.run_path(path)
            else:
                module = importlib.import_module(path.removesuffix(".py"))
                if module.__name__ in _loaded:  # registrations run at import: run them again
                    importlib.reload(module)
                _loaded.add(module.__name__)
            for options in _pending:
                self.register(**options)
        finally:
            _pending.clear()

    def sync(self) -> list[str]:
        """Store every registration as a jobq schedule; returns the schedule ids."""
        connection = conn_mod.resolve(self.connection)
        scheduler = Scheduler(connection=connection)
        ids = []
        for job in self._cron_jobs:
            options: dict[str, Any] = {
                "args": list(job.args), "kwargs": job.kwargs, "queue_name": job.queue_name,
                "id": job.schedule_id, "timeout": job.job_timeout, "result_ttl": job.result_ttl,
                "ttl": job.ttl, "meta": job.meta,
            }  # fmt: skip
            if job.cron is not None:
                scheduler.cron(job.cron, job.func, **options)
            else:
                scheduler.schedule(_now(), job.func, interval=job.interval, **options)
            ids.append(job.schedule_id)
        return ids

    def start(self) -> None:
        """Store the schedules, then run the scheduler loop until stopped, registered
        (see :mod:`jobq.cron_presence`) and sending heartbeats while it runs."""
        self.sync()
        self.connection = conn_mod.resolve(self.connection)
        ticker = Ticker(self.connection, interval=self.interval)
        last_beat = time.monotonic()

        def beat() -> None:
            nonlocal last_beat
            if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                self.heartbeat()
                last_beat = time.monotonic()

        ticker.on_step = beat
        self.register_birth()
        try:
            ticker.run()
        finally:
            with contextlib.suppress(SchedulerNotFound):
                self.register_death()


#: the fields of a CronJob besides its function, as its record stores them
_JOB_FIELDS = (
    "queue_name", "args", "kwargs", "interval", "cron", "job_timeout", "result_ttl", "ttl",
    "failure_ttl", "meta",
)  # fmt: skip
#: seconds between a running cron scheduler's heartbeats
HEARTBEAT_SECONDS = 10.0


def _job_fields(job: CronJob) -> dict[str, Any]:
    fields = {name: getattr(job, name) for name in _JOB_FIELDS}
    fields["args"] = list(job.args)
    return fields


#: configuration modules imported once already (a second load re-imports them)
_loaded: set[str] = set()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""The scheduler for Django: ``get_scheduler`` and ``Schedule`` rows kept in Redis.

``get_scheduler`` gives rq-scheduler's API (``schedule``, ``cron``, ``cancel``
...) with Django's conventions: a naive ``scheduled_time`` is read in Django's
current time zone, cron strings default to ``TIME_ZONE``, and runs take their
queue's ``DEFAULT_TIMEOUT``/``DEFAULT_RESULT_TTL`` from ``RQ_QUEUES``.

A ``Schedule`` row is the truth for its Redis schedule (id
``django-schedule-<pk>``): every committed save or delete re-syncs it, and
:func:`reconcile` (run when a scheduler starts) rewrites them all and removes
Redis schedules whose row is gone or disabled. An edit that keeps the timing
keeps the series where it is (next slot, runs left), so renaming a schedule
does not restart it; an edit of the timing starts a new series.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, cast

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.utils import timezone
from django.utils.module_loading import import_string

from jobq import defaults
from jobq.scheduler.cron import CronSpec, from_ms
from jobq.scheduler.definitions import first_slot
from jobq.scheduler.handle import Schedule as RedisSchedule
from jobq.scheduler.scheduler import Scheduler
from jobq.scheduler.tick import scheduler_hook
from jobq.timeutil import to_ms

from . import conf
from .queues import DjangoQueue, get_connection, get_queue

if TYPE_CHECKING:
    from .models import Schedule

logger = logging.getLogger("jobq.scheduler")

#: run meta keys: the schedule's name, and what its timing was when it was stored
META_NAME, META_TIMING, META_REPEAT = "schedule", "schedule_timing", "schedule_repeat"


def aware(value: dt.datetime) -> dt.datetime:
    """A naive datetime read in Django's current time zone (rq-scheduler users pass
    ``datetime.now()``); aware ones are kept."""
    if timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_current_timezone())
    return value


class DjangoScheduler(Scheduler):
    """rq-scheduler's API with Django's time zone and the queues of ``RQ_QUEUES``; its
    loop records the dead workers' jobs it reaps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .hooks import record_reaped  # imports models: only once the apps are loaded

        super().__init__(*args, **kwargs)
        self.on_reaped = record_reaped(self.connection)

    def _queue(self, name: str | None) -> DjangoQueue:
        return get_queue(name or self.queue_name, connection=self.connection)

    def schedule(self, scheduled_time: dt.datetime, *args: Any, **kwargs: Any) -> RedisSchedule:
        return super().schedule(aware(scheduled_time), *args, **kwargs)

    def cron(self, cron_string: str, *args: Any, **kwargs: Any) -> RedisSchedule:
        positional_zone = len(args) >= 12  # use_local_timezone / timezone given by position
        if (
            not positional_zone
            and not kwargs.get("timezone")
            and not kwargs.get("use_local_timezone")
        ):
            kwargs["timezone"] = settings.TIME_ZONE
        return super().cron(cron_string, *args, **kwargs)

    def enqueue_at(self, scheduled_time: dt.datetime, *args: Any, **kwargs: Any) -> Any:
        return super().enqueue_at(aware(scheduled_time), *args, **kwargs)


def get_scheduler(
    name: str = "default",
    queue: DjangoQueue | None = None,
    interval: float | None = None,
    connection: redis.Redis | None = None,
    scheduler_class: type[Scheduler] | str | None = None,
) -> DjangoScheduler:
    """The scheduler for queue ``name`` (django-rq's signature). ``interval`` is the
    loop's tick in seconds (default 1: runs are never more than a tick late). The
    class is ``scheduler_class``, else ``RQ['SCHEDULER_CLASS']``, else
    :class:`DjangoScheduler` (Django's time zone, ``RQ_QUEUES`` defaults)."""
    queue = queue if queue is not None else get_queue(name, connection=connection)
    kwargs: dict[str, Any] = {} if interval is None else {"interval": interval}
    chosen = scheduler_class or conf.rq_setting("SCHEDULER_CLASS") or DjangoScheduler
    cls = import_string(chosen) if isinstance(chosen, str) else chosen
    if not (isinstance(cls, type) and issubclass(cls, Scheduler)):
        raise ImproperlyConfigured(
            f"scheduler class {chosen!r} must be a subclass of jobq.scheduler.Scheduler"
        )
    # typed as DjangoScheduler: a class from RQ['SCHEDULER_CLASS'] has the same API
    made = cls(queue=queue, connection=connection or queue.connection, **kwargs)
    return cast(DjangoScheduler, made)


# -- Schedule rows -> Redis ------------------------------------------------------------


def timing_of(row: Schedule) -> str:
    """A fingerprint of what decides a schedule's slots (not its repeat count)."""
    first = to_ms(row.first_run) if row.first_run else None
    raw = json.dumps([row.interval, row.cron, _zone(row), first])
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:16]


def _zone(row: Schedule) -> str:
    return row.timezone or settings.TIME_ZONE


def _left(row: Schedule, existing: RedisSchedule | None, continuing: bool) -> int | None:
    """Runs still to fire: Redis knows exactly while a series goes on; otherwise the
    database's count of runs decides."""
    if row.repeat is None:
        return None
    if continuing and existing is not None:
        meta = existing.template.meta
        if meta.get(META_REPEAT) == row.repeat and existing.repeats_left is not None:
            return existing.repeats_left
    return max(0, row.repeat - row.runs)


def _first_slot(row: Schedule, now: dt.datetime) -> dt.datetime:
    """The first slot of a new series (see :func:`first_slot`; a schedule without a
    first run starts now)."""
    anchor = row.first_run or now
    interval_ms = row.interval * 1000 if row.interval is not None else None
    grace_ms = int(defaults.SCHEDULER_GRACE_SECONDS * 1000)
    return from_ms(first_slot(to_ms(anchor), interval_ms, to_ms(now), grace_ms))


def sync_schedule(
    pk: int, using: str = "default", within: Collection[str] | None = None
) -> RedisSchedule | None:
    """Make Redis hold what row ``pk`` says (nothing, when it is gone or disabled).
    ``within``: the queues whose copies of it may be removed (default: every queue)."""
    from .models import Schedule, schedule_id_for

    row = Schedule.objects.using(using).filter(pk=pk).first()
    sid = schedule_id_for(pk)
    keep = row.queue if row is not None and row.enabled else None
    _cancel_elsewhere(sid, keep, conf.queues() if within is None else within)
    if row is None or not row.enabled:
        if row is not None:
            Schedule.objects.using(using).filter(pk=pk).update(next_run_at=None)
        return None
    handle = _store(row, sid)
    next_run = handle.next_run if handle is not None else None
    Schedule.objects.using(using).filter(pk=pk).update(next_run_at=next_run)
    return handle


def _cancel_elsewhere(sid: str, keep: str | None, queues: Collection[str]) -> None:
    """Remove schedule ``sid`` from ``queues`` but ``keep``."""
    for name in queues:
        if name == keep:
            continue
        found = RedisSchedule.fetch(sid, name, get_connection(name))
        if found is not None:
            found.cancel()
            logger.info("schedule %s removed from queue %s", sid, name)


def _store(row: Schedule, sid: str) -> RedisSchedule | None:
    scheduler = get_scheduler(row.queue)
    existing = RedisSchedule.fetch(sid, row.queue, scheduler.connection)
    timing = timing_of(row)
    continuing = existing is not None and existing.template.meta.get(META_TIMING) == timing
    left = _left(row, existing, continuing)
    if left == 0:
        if existing is not None:
            existing.cancel()
        return None
    now = timezone.now()
    first = existing.next_run if continuing and existing is not None else None
    run = {
        "args": list(row.args or []),
        "kwargs": dict(row.kwargs or {}),
        "id": sid,
        "timeout": row.timeout,
        "result_ttl": row.result_ttl,
        "repeat": left,
        "max_instances": row.max_instances,
        "meta": {META_NAME: row.name, META_TIMING: timing, META_REPEAT: row.repeat},
    }
    if row.cron:
        handle = scheduler.cron(row.cron, row.func, timezone=_zone(row), **run)
        start = first or (row.first_run if row.first_run and row.first_run > now else None)
        if start is not None:
            slot = CronSpec(row.cron, _zone(row)).next_after(to_ms(start) - 1)
            if slot is not None:
                scheduler.change_execution_time(handle, from_ms(slot))
                handle.refresh()
        return handle
    return scheduler.schedule(
        first or _first_slot(row, now), row.func, interval=row.interval, **run
    )


def reconcile(queue: str | None = None) -> int:
    """Rewrite the ``Schedule`` rows into Redis and drop the Redis schedules whose row
    is gone, disabled or moved; returns how many schedules are active. Run at
    scheduler start.

    ``queue``: only the Redis of that queue, the one a scheduler started for it
    serves. Only that scheduler fires the schedules of that Redis, and each Redis'
    scheduler reconciles it when it starts, so a Redis that is down is left to its
    own scheduler instead of stopping this one. None: every configured Redis."""
    from .models import SCHEDULE_ID_PREFIX, Schedule, schedule_id_for

    configured = conf.queues()
    served = list(configured)
    if queue is not None:
        mine = conf.queue(queue).connection.cache_key
        served = [n for n, q in configured.items() if q.connection.cache_key == mine]
    every_row = list(Schedule.objects.all())
    wanted = {schedule_id_for(r.pk): r.queue for r in every_row if r.enabled}
    rows = [r for r in every_row if r.queue in served or r.queue not in configured]
    one_per_connection = {configured[n].connection.cache_key: n for n in served}
    for name in one_per_connection.values():
        scheduler = get_scheduler(name)
        for item in scheduler.get_jobs():
            stale = isinstance(item, RedisSchedule) and item.id.startswith(SCHEDULE_ID_PREFIX)
            if stale and wanted.get(item.id) != item.queue_name:
                item.cancel()
                logger.info("schedule %s has no enabled row: removed from Redis", item.id)
    active = 0
    for row in rows:
        try:
            active += sync_schedule(row.pk, within=served) is not None
        except (redis.ConnectionError, redis.TimeoutError):
            raise  # Redis is down: the caller waits it out and starts over
        except Exception:
            logger.exception("schedule %s (%s) could not be stored in Redis", row.pk, row.name)
    logger.info("%d schedule(s) from the database are active", active)
    return active


def worker_scheduler_hook(queue: str | None = None) -> Callable[[redis.Redis], float | None]:
    """``rqworker --with-scheduler``: reconcile once (the Redis of ``queue``, the
    worker's, whose schedules its pass fires; see :func:`reconcile`), then the
    scheduler's own pass, which records the dead workers' jobs it reaps. A reconcile
    that Redis cut short is tried again at the next call."""
    from .hooks import record_reaped  # imports models: only once the apps are loaded

    tick: Callable[[redis.Redis], float | None] | None = None
    reconciled = False

    def hook(connection: redis.Redis) -> float | None:
        nonlocal tick, reconciled
        if tick is None:
            tick = scheduler_hook(on_reaped=record_reaped(connection))
        if not reconciled:
            try:
                reconcile(queue)
            finally:
                connections.close_all()  # this runs in the supervisor, which forks
            reconciled = True
        return tick(connection)

    return hook

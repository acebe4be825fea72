"""``Scheduler``: rq-scheduler's API on jobq.

* ``schedule()`` and ``cron()`` store a *schedule* in the target queue (its
  definition, a run template and its next slot, all under the queue's hash
  tag) and return a :class:`Schedule` handle. The scheduler loop fires each
  slot as a new job.
* ``enqueue_at()`` / ``enqueue_in()`` enqueue one job due later (the queue's
  ``scheduled`` registry) and return it, as rq-scheduler did.

Bad input — an invalid cron string, an unknown zone, a non-positive interval, a
function that cannot be imported — raises ``ValueError`` before anything is
stored.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from .. import connection as conn_mod
from .. import defaults, keys, signing, transitions
from ..connection import text
from ..exceptions import InvalidJobOperation, NoSuchJobError
from ..job import Job
from ..keys import QueueKeys
from ..options import EnqueueData, JobOptions
from ..queue import Queue
from ..reaping import OnReaped
from ..serializers import Serializer
from ..status import JobStatus
from ..timeutil import Seconds, to_ms
from ..utils import import_attribute
from . import checks
from .cron import CronSpec, from_ms, local_zone_name
from .definitions import Kind, ScheduleState
from .handle import Schedule
from .lock import SchedulerLock
from .presence import SchedulerPresence
from .tick import Clock, SystemClock, Ticker

Item = Schedule | Job

#: rq-scheduler's enqueue_at/enqueue_in option names → jobq's
_ENQUEUE_OPTIONS = {
    "timeout": "timeout",
    "job_id": "job_id",
    "job_ttl": "ttl",
    "job_result_ttl": "result_ttl",
    "job_description": "description",
    "depends_on": "depends_on",
    "meta": "meta",
    "on_success": "on_success",
    "on_failure": "on_failure",
    "at_front": "at_front",
}


@dataclass(frozen=True)
class _Run:
    """What every run of a schedule is made of (rq's enqueue options)."""

    func: Callable[..., Any] | str
    args: Any
    kwargs: Any
    queue_name: str | None
    options: JobOptions


@dataclass(frozen=True)
class _Timing:
    kind: Kind
    first: int
    interval_ms: int | None = None
    cron: str | None = None
    timezone: str | None = None


#: how far ahead a job due already lands before it is given its due time (ms)
_LANDING_MARGIN_MS = 60_000


class Scheduler(SchedulerPresence):
    """``Scheduler(queue_name="default", queue=None, connection=None, interval=1)``.

    ``interval`` is the loop's tick in seconds (rq-scheduler's polling period);
    runs are not a tick late, because the loop sleeps until the next due time.
    """

    def __init__(
        self,
        queue_name: str = defaults.QUEUE_NAME,
        queue: Queue | None = None,
        connection: redis.Redis | None = None,
        interval: float = defaults.SCHEDULER_INTERVAL,
        *,
        serializer: Serializer | str | None = None,
        clock: Clock | None = None,
        secret: signing.Keyring | signing.Secret | Sequence[signing.Secret] | None = None,
        queue_class: type[Queue] | str | None = None,
        job_class: type[Job] | str | None = None,
        name: str | None = None,
    ) -> None:
        """``secret`` signs the runs of the schedules stored here (default: the
        queue's, else ``JOBQ_SECRET_KEY``, in Django its ``SECRET_KEY``).
        ``queue_class``: the class of the queues runs go to (rq-scheduler's; a
        class or a dotted path). ``job_class`` is accepted for rq-scheduler's
        signature. ``name``: of this scheduler's record and lock (default random)."""
        #: rq-scheduler's record of the class asked for, as given
        self.queue_class_name = queue_class if isinstance(queue_class, str) else None
        self.queue_class: type[Queue] = (
            import_attribute(queue_class) if isinstance(queue_class, str) else queue_class or Queue
        )
        if queue is not None:
            queue_name = queue.name
            connection = connection if connection is not None else queue.connection
            serializer = serializer if serializer is not None else queue.serializer
            secret = secret if secret is not None else queue.keyring
        if not interval or interval <= 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.queue_name = queue_name
        self.connection = conn_mod.resolve(connection)
        self.interval = float(interval)
        self.serializer = serializer
        self.keyring = signing.resolve(secret)
        self.clock: Clock = clock or SystemClock()
        #: who holds the lock, readable in Redis: host:pid:random unless named
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def __repr__(self) -> str:
        return f"Scheduler(queue_name={self.queue_name!r})"

    def _queue(self, name: str | None) -> Queue:
        return self.queue_class(
            name or self.queue_name,
            self.connection,
            serializer=self.serializer,
            secret=self.keyring,
        )

    def _now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    # -- recurring and one-off schedules ------------------------------------------------

    def schedule(
        self,
        scheduled_time: dt.datetime,
        func: Callable[..., Any] | str,
        args: list[Any] | tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        interval: float | None = None,
        repeat: int | None = None,
        result_ttl: Seconds | None = None,
        ttl: Seconds | None = None,
        timeout: Seconds | None = None,
        id: str | None = None,
        description: str | None = None,
        queue_name: str | None = None,
        meta: dict[str, Any] | None = None,
        on_success: Any = None,
        on_failure: Any = None,
        *,
        catch_up: bool | int = False,
        max_instances: int | None = None,
    ) -> Schedule:
        """Run ``func`` at ``scheduled_time`` and, with ``interval`` (seconds, fractions
        allowed), every interval after it; ``repeat=N`` fires exactly N runs in all.
        A naive ``scheduled_time`` is read in this machine's local time.
        ``max_instances=1``: a slot whose previous run is still queued or running is
        skipped, recorded as a run with status 'skipped' and the reason."""
        interval_ms = checks.interval_ms(interval)
        if repeat is not None and interval_ms is None and repeat != 1:
            raise ValueError("repeat needs an interval: schedule(..., interval=60, repeat=5)")
        timing = _Timing(
            "interval" if interval_ms else "once", checks.time_ms(scheduled_time), interval_ms
        )
        run = _Run(func, args, kwargs, queue_name, JobOptions.pick(locals()))
        return self._store(timing, run, id, repeat, catch_up, max_instances)

    def cron(
        self,
        cron_string: str,
        func: Callable[..., Any] | str,
        args: list[Any] | tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        repeat: int | None = None,
        queue_name: str | None = None,
        result_ttl: Seconds | None = None,
        ttl: Seconds | None = None,
        id: str | None = None,
        timeout: Seconds | None = None,
        description: str | None = None,
        meta: dict[str, Any] | None = None,
        use_local_timezone: bool = False,
        timezone: str | None = None,
        *,
        on_success: Any = None,
        on_failure: Any = None,
        catch_up: bool | int = False,
        max_instances: int | None = None,
    ) -> Schedule:
        """Run ``func`` at the times ``cron_string`` names in ``timezone`` (default UTC;
        ``use_local_timezone=True``: this machine's zone). See docs/scheduler.md for DST.
        ``max_instances`` as in :meth:`schedule`."""
        if use_local_timezone and timezone:
            raise ValueError("pass either timezone=... or use_local_timezone=True, not both")
        tz = (
            checks.zone_name(timezone)
            if timezone
            else local_zone_name()
            if use_local_timezone
            else "UTC"
        )
        spec = CronSpec(cron_string, tz)
        first = spec.first_after(self._now_ms())
        timing = _Timing("cron", first, cron=cron_string, timezone=tz)
        run = _Run(func, args, kwargs, queue_name, JobOptions.pick(locals()))
        return self._store(timing, run, id, repeat, catch_up, max_instances)

    def _store(
        self,
        timing: _Timing,
        run: _Run,
        schedule_id: str | None,
        repeat: int | None,
        catch_up: bool | int,
        max_instances: int | None = None,
    ) -> Schedule:
        """Validate everything, then store: nothing is written when anything is wrong."""
        path = checks.importable(run.func)
        sid = checks.schedule_id(schedule_id)
        repeat = checks.repeat(repeat)
        queue = self._queue(run.queue_name)
        prepared = queue.prepare(EnqueueData(path, run.args, run.kwargs, run.options))
        template = {
            k: v for k, v in prepared.fields.items() if k not in ("created", signing.MAC_FIELD)
        }
        if queue.keyring is not None:  # each run is <sid>@<slot>: bound to the schedule id
            template[signing.MAC_FIELD] = queue.keyring.sign_run(queue.name, sid, template)
        raw = {
            k.encode(): v if isinstance(v, bytes) else str(v).encode() for k, v in template.items()
        }
        now = self._now_ms()
        state = ScheduleState(
            id=sid, queue=queue.name, kind=timing.kind, func=path, next_run=timing.first,
            first_run=timing.first, created=now,
            description=Job(sid, self.connection, origin=queue.name, fields=raw).description,
            interval_ms=timing.interval_ms, cron=timing.cron, timezone=timing.timezone,
            repeat=repeat, left=repeat or (1 if timing.kind == "once" else -1),
            catch_up=checks.catch_up(catch_up), ttl_ms=prepared.ttl_ms,
            max_instances=checks.max_instances(max_instances),
        )  # fmt: skip
        # index first: a crash before the store leaves an empty index entry, never a
        # schedule that no scheduler looks at
        pipe = self.connection.pipeline(transaction=False)
        pipe.zadd(keys.SCHEDULE_QUEUES, {queue.name: now}, nx=True)
        pipe.sadd(keys.QUEUES, queue.name)
        pipe.execute()
        transitions.store_schedule(
            self.connection, queue.keys, sid, state.to_json(), timing.first, template
        )
        self._wake()
        return Schedule(state, self.connection, raw)

    def _wake(self) -> None:
        """Leave one token for a sleeping scheduler: it looks at the schedules again."""
        # one key, one slot: a transaction, where the client has them (redis-py 5's
        # cluster client has none; two wakes interleaving there leave one token too)
        pipe = self.connection.pipeline(transaction=not conn_mod.is_cluster(self.connection))
        pipe.lpush(keys.SCHEDULER_WAKE, "1")
        pipe.ltrim(keys.SCHEDULER_WAKE, 0, 0)
        pipe.execute()

    # -- jobs due later (rq-scheduler's enqueue_at / enqueue_in) -------------------------

    def enqueue_at(
        self, scheduled_time: dt.datetime, func: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> Job:
        """Enqueue one job due at ``scheduled_time``; rq-scheduler's option names
        (``timeout``, ``job_id``, ``job_ttl``, ``job_result_ttl``, ``job_description``,
        ``depends_on``, ``meta``, ``queue_name``, ``on_success``, ``on_failure``,
        ``at_front``) are taken out of ``kwargs``."""
        options = {
            ours: kwargs.pop(theirs)
            for theirs, ours in _ENQUEUE_OPTIONS.items()
            if theirs in kwargs
        }
        queue = self._queue(kwargs.pop("queue_name", None))
        due = checks.time_ms(scheduled_time)
        # as in rq-scheduler, a job due now or soon waits in ``scheduled`` (listed by
        # get_jobs, counted, movable) until the scheduler's next pass queues it: it
        # lands due a minute ahead (the enqueue step reads the clock again, later, and
        # would queue it at once), then takes its due time. A job with dependencies
        # waits for them in ``deferred`` and keeps its own due time.
        now = transitions.now_ms()
        waits_for_deps = options.get("depends_on") is not None
        soon = due if waits_for_deps or due > now + _LANDING_MARGIN_MS else now + _LANDING_MARGIN_MS
        data = EnqueueData(func, args, kwargs, JobOptions.from_kwargs(options))
        job = queue.enqueue_data(data, due=soon)
        if due < soon:
            self.connection.zadd(queue.keys.scheduled, {job.id: due}, xx=True)
        self._wake()
        return job

    def enqueue_job(self, job: Job, pipeline: Any = None) -> Job:
        """Queue ``job`` now in its queue (rq-scheduler's name): a job waiting in
        ``scheduled`` moves to the queue; a template (``Job.fetch(schedule_id)``)
        starts one run now, as a new job."""
        q = QueueKeys(job.origin)
        if isinstance(job, Job) and (
            job._unsaved is not None or job.get_status(refresh=False) is JobStatus.CREATED
        ):
            return self.get_queue_for_job(job).enqueue_job(job, pipeline)
        if self.connection.zscore(q.scheduled, job.id) is not None:
            self.connection.zadd(q.scheduled, {job.id: 0}, xx=True)
            transitions.promote(self.connection, q)
            job.refresh()  # the caller's handle shows it queued, as rq-scheduler's does
            return job
        queue = self.get_queue_for_job(job)
        return queue.enqueue_call(job.func_name, args=job.args, kwargs=job.kwargs)

    def _create_job(
        self,
        func: Callable[..., Any] | str,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        commit: bool = True,
        result_ttl: Seconds | None = None,
        ttl: Seconds | None = None,
        id: str | None = None,
        description: str | None = None,
        queue_name: str | None = None,
        timeout: Seconds | None = None,
        meta: dict[str, Any] | None = None,
        depends_on: Any = None,
        on_success: Any = None,
        on_failure: Any = None,
    ) -> Job:
        """rq-scheduler's helper, which its users call: a job of ``queue_name`` (this
        scheduler's queue by default), saved "created" with ``commit`` (see
        ``Job.save``) until :meth:`enqueue_job` queues it."""
        meta = dict(meta or {})
        if self.queue_class_name:
            meta["queue_class_name"] = self.queue_class_name
        job = Job.create(
            func, args, kwargs, self.connection, result_ttl, ttl, None, description,
            depends_on, timeout, id, queue_name or self.queue_name, meta, None,
            self.serializer, on_success=on_success, on_failure=on_failure,
        )  # fmt: skip
        if commit:
            job.save()
        return job

    def get_queue_for_job(self, job: Job) -> Queue:
        """The queue a job goes to: its own (rq-scheduler's name)."""
        return self._queue(job.origin)

    def enqueue_in(
        self, time_delta: dt.timedelta, func: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> Job:
        return self.enqueue_at(from_ms(self._now_ms()) + time_delta, func, *args, **kwargs)

    # -- finding ------------------------------------------------------------------------

    def _schedule_queues(self) -> list[QueueKeys]:
        return [QueueKeys(text(n)) for n in self.connection.zrange(keys.SCHEDULE_QUEUES, 0, -1)]

    def _known_queues(self) -> list[QueueKeys]:
        return [QueueKeys(text(n)) for n in sorted(self.connection.smembers(keys.QUEUES))]

    def _find_schedule(self, schedule_id: str) -> QueueKeys | None:
        """The queue holding this schedule (or runs of it that may still wait)."""
        queues = self._schedule_queues()
        pipe = self.connection.pipeline(transaction=False)
        for q in queues:
            pipe.hexists(q.schedules, schedule_id)
            pipe.exists(q.schedule_runs(schedule_id))
        replies = pipe.execute()
        for i, q in enumerate(queues):
            if replies[2 * i] or replies[2 * i + 1]:
                return q
        return None

    def _find_scheduled_job(self, job_id: str) -> QueueKeys | None:
        queues = self._known_queues()
        pipe = self.connection.pipeline(transaction=False)
        for q in queues:
            pipe.zscore(q.scheduled, job_id)
        for q, score in zip(queues, pipe.execute(), strict=True):
            if score is not None:
                return q
        return None

    def __contains__(self, item: Item | str) -> bool:
        """A schedule (handle or id) still stored, or a job still waiting in ``scheduled``."""
        if isinstance(item, Schedule):
            return bool(self.connection.hexists(QueueKeys(item.queue_name).schedules, item.id))
        if isinstance(item, Job):  # a job due later, or a schedule's template (Job.fetch)
            q = QueueKeys(item.origin)
            return self.connection.zscore(q.scheduled, item.id) is not None or bool(
                self.connection.hexists(q.schedules, item.id)
            )
        queues = self._schedule_queues()
        pipe = self.connection.pipeline(transaction=False)
        for q in queues:
            pipe.hexists(q.schedules, item)
        return any(pipe.execute()) or self._find_scheduled_job(item) is not None

    # -- changing -------------------------------------------------------------------------

    def cancel(self, job_or_id: Item | str) -> bool:
        """Delete a schedule and cancel its runs that have not started; or cancel one
        job (waiting in ``scheduled``, or a run given as a Job). True if anything was
        canceled; unknown ids are ignored, as in rq-scheduler."""
        if isinstance(job_or_id, Schedule):
            return job_or_id.cancel() is not None
        if isinstance(job_or_id, Job):
            return _cancel_job(job_or_id)
        q = self._find_schedule(job_or_id)
        if q is not None:
            return transitions.remove_schedule(self.connection, q, job_or_id) is not None
        q = self._find_scheduled_job(job_or_id)
        if q is None:
            return False
        return _cancel_job(Job(job_or_id, self.connection, origin=q.name))

    def change_execution_time(self, job: Item | str, date_time: dt.datetime) -> None:
        """Move a schedule's next slot (later slots follow from it), or a waiting job's
        due time. ValueError when it is not in the scheduler."""
        when = checks.time_ms(date_time)
        kind, q, item_id = self._locate(job)
        if kind == "schedule":
            moved = transitions.move_schedule(self.connection, q, item_id, when)
        else:
            moved = self.connection.zscore(q.scheduled, item_id) is not None
            self.connection.zadd(q.scheduled, {item_id: when}, xx=True)
        if not moved:
            raise ValueError(f"{kind} {item_id!r} is not in the scheduler")
        self._wake()

    def _locate(self, item: Item | str) -> tuple[str, QueueKeys, str]:
        if isinstance(item, Schedule):
            return "schedule", QueueKeys(item.queue_name), item.id
        if isinstance(item, Job):
            return "job", QueueKeys(item.origin), item.id
        q = self._find_schedule(item)
        if q is not None:
            return "schedule", q, item
        q = self._find_scheduled_job(item)
        if q is None:
            raise ValueError(f"{item!r} is neither a schedule nor a job in the scheduler")
        return "job", q, item

    # -- listing --------------------------------------------------------------------------

    def get_jobs(
        self,
        until: dt.datetime | dt.timedelta | float | None = None,
        with_times: bool = False,
        offset: int | None = None,
        length: int | None = None,
    ) -> list[Any]:
        """Schedules (by next slot) and jobs waiting in ``scheduled`` (by due time) of
        every queue, due up to ``until`` (a datetime, a timedelta from now or epoch
        seconds); with ``with_times``, (item, aware UTC datetime) pairs."""
        limit = self._until_ms(until)
        found: list[tuple[int, Item]] = []
        found.extend(self._schedules_until(limit))
        found.extend(self._jobs_until(limit))
        found.sort(key=lambda pair: pair[0])
        start = offset or 0
        found = found[start : None if length is None else start + length]
        if with_times:
            return [(item, from_ms(t)) for t, item in found]
        return [item for _, item in found]

    def get_jobs_to_queue(self, with_times: bool = False) -> list[Any]:
        """What is due now (rq-scheduler's name)."""
        return self.get_jobs(from_ms(self._now_ms()), with_times)

    def count(self, until: dt.datetime | dt.timedelta | float | None = None) -> int:
        limit = "+inf" if until is None else self._until_ms(until)
        pipe = self.connection.pipeline(transaction=False)
        for q in self._schedule_queues():
            pipe.zcount(q.schedule_due, "-inf", limit)
        for q in self._known_queues():
            pipe.zcount(q.scheduled, "-inf", limit)
        return sum(int(n) for n in pipe.execute())

    def _until_ms(self, until: dt.datetime | dt.timedelta | float | None) -> int | str:
        if until is None:
            return "+inf"
        if isinstance(until, dt.timedelta):
            return self._now_ms() + until // dt.timedelta(milliseconds=1)
        if isinstance(until, dt.datetime):
            return to_ms(until)
        return int(float(until) * 1000)

    def _schedules_until(self, limit: int | str) -> list[tuple[int, Item]]:
        queues = self._schedule_queues()
        pipe = self.connection.pipeline(transaction=False)
        for q in queues:
            pipe.zrange(q.schedule_due, "-inf", limit, byscore=True, withscores=True)
        pairs = [
            (q, text(sid))
            for q, rows in zip(queues, pipe.execute(), strict=True)
            for sid, _ in rows
        ]
        for q, sid in pairs:
            pipe.hget(q.schedules, sid)
        out: list[tuple[int, Item]] = []
        for raw in pipe.execute():
            if raw is not None:
                state = ScheduleState.from_json(raw)
                out.append((state.next_run, Schedule(state, self.connection)))
        return out

    def _jobs_until(self, limit: int | str) -> list[tuple[int, Item]]:
        out: list[tuple[int, Item]] = []
        for q in self._known_queues():
            rows: list[tuple[bytes, float]] = self.connection.zrange(  # type: ignore[assignment, unused-ignore]
                q.scheduled, "-inf", limit, byscore=True, withscores=True
            )
            ids = [text(i) for i, _ in rows]
            jobs = Job.fetch_many(ids, self.connection, serializer=self.serializer, queue=q.name)
            out.extend((int(score), job) for (_, score), job in zip(rows, jobs, strict=True) if job)
        return out

    # -- running ----------------------------------------------------------------------------

    def ticker(self) -> Ticker:
        """The loop, its lock owned by this scheduler's name (``acquire_lock`` renews it)."""
        return Ticker(
            self.connection,
            interval=self.interval,
            clock=self.clock,
            on_reaped=self.on_reaped,
            lock=SchedulerLock(self.connection, token=self.name),
        )

    #: told of dead workers' jobs the loop gave back or failed: (queue, job ids)
    on_reaped: OnReaped | None = None

    def run(self, burst: bool = False) -> bool:
        """Run the scheduler loop here. As in rq-scheduler, SIGINT or SIGTERM ends it
        with ``SystemExit`` once the loop has stopped and released its lock."""
        ticker = self.ticker()
        held = ticker.run(burst=burst)
        if ticker.signaled is not None:
            raise SystemExit(0)
        return held

    def enqueue_jobs(self) -> None:
        """One pass now, without the lock (every firing is compare-and-set anyway)."""
        self.ticker().run_once()


def _cancel_job(job: Job) -> bool:
    try:
        job.cancel()
    except (InvalidJobOperation, NoSuchJobError):
        return False
    return True

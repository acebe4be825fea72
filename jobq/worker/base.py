"""What both kinds of worker share: queues, executor, hooks, the embedded
scheduler's pass, the first writes at start, and the consumer loop that rides out
Redis outages. :class:`jobq.worker.loop.Worker` (supervisor and executor
children) and :class:`jobq.worker.simple.SimpleWorker` (in-process) build on it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis

from .. import connection as conn_mod
from .. import defaults, keys, signing, transitions
from ..exceptions import (
    DeserializationError,
    JobTimeoutException,
    NoSuchJobError,
    SignatureError,
)
from ..functions import FunctionResolver
from ..history import Recorder, tally
from ..hooks import Hook, Hooks
from ..job import Job
from ..job_callbacks import UnixSignalDeathPenalty
from ..keys import QueueKeys
from ..observers import with_observers
from ..queue import Queue
from ..reaping import OnReaped
from ..scheduler.in_worker import RQScheduler
from ..scheduler.tick import scheduler_hook
from ..serializers import Serializer, configured_serializer
from ..status import JobStatus
from ..utils import import_attribute
from .consumer import Budget, Consumer, Stop
from .direct import DirectRun
from .executor import Executor
from .lookup import WorkerLookup
from .maintenance import Maintenance, WorkerRecord, list_workers
from .scheduler_duty import SchedulerDuty

logger = logging.getLogger("jobq.worker")

#: seconds between promote ticks (retries with an interval, enqueue_at jobs)
TICK = 0.5
#: a job may overrun its timeout by this much before the supervisor kills its child
KILL_GRACE = 2.0
#: Redis restarting, failing over, resharding, loading or full: wait and retry
#: (which errors are so: conn_mod.is_transient, nowhere else)
_is_transient = conn_mod.is_transient


def _queue_names(queues: Iterable[Queue | str]) -> list[str]:
    names = [q.name if isinstance(q, Queue) else str(q) for q in queues]
    return names or [defaults.QUEUE_NAME]


class BaseWorker(WorkerLookup, DirectRun):
    #: rq's: the timeout a worker runs rq's callbacks under (``execute_stopped_callback``)
    death_penalty_class = UnixSignalDeathPenalty

    def __init__(
        self,
        queues: Sequence[Queue | str] | Queue | str = (defaults.QUEUE_NAME,),
        connection: redis.Redis | None = None,
        name: str | None = None,
        *,
        lease_seconds: float = defaults.LEASE_SECONDS,
        allowed_modules: Iterable[str] | None = None,
        serializer: Serializer | str | None = None,
        max_prefetch: int = defaults.MAX_PREFETCH,
        with_scheduler_hook: Callable[[redis.Redis], Any] | None = None,
        hooks: Iterable[Hook] = (),
        secret: signing.Keyring | signing.Secret | Sequence[signing.Secret] | None = None,
        job_class: type[Job] | str | None = None,
        history: bool = defaults.HISTORY,
    ) -> None:
        """``job_class``: the class of the job handles jobs run with (rq's; a class or a
        dotted path). ``history``: record what jobs do in the queues' history
        (:mod:`jobq.history`; off, acknowledgements carry nothing more)."""
        if isinstance(queues, Queue | str):
            queues = [queues]
        first = next((q for q in queues if isinstance(q, Queue)), None)
        self.connection = conn_mod.resolve(
            connection if connection is not None else (first.connection if first else None)
        )
        self.queue_names = _queue_names(queues)
        #: rq's ``worker.queues``: the queues served, in priority order
        self.queues: list[Queue] = [
            q if isinstance(q, Queue) else Queue(q, self.connection) for q in queues
        ] or [Queue(defaults.QUEUE_NAME, self.connection)]
        self.queue_keys = [QueueKeys(n) for n in self.queue_names]
        self.name = name or f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds
        self.resolver = FunctionResolver(allowed_modules)
        #: checks each job's MAC (default JOBQ_SECRET_KEY, in Django its SECRET_KEY)
        self.keyring = signing.resolve(secret)
        #: the serializer every job is read with; None: each job's own (its "ser" field)
        self._job_serializer = configured_serializer(serializer) if serializer is not None else None
        self.max_prefetch = max_prefetch
        self.history = history
        self.job_class: type[Job] = (
            import_attribute(job_class) if isinstance(job_class, str) else job_class or Job
        )
        self.scheduler_hook = with_scheduler_hook
        #: rq's: the scheduler of this worker's queues, set by ``work(with_scheduler=True)``
        self.scheduler: RQScheduler | None = None
        self._duty: SchedulerDuty | None = None
        self._scheduler_due = 0.0
        self._scheduler_outage = conn_mod.Outage("for the embedded scheduler")
        #: the supervisor's (or in-process worker's) upkeep: leases, reaping, record
        self._upkeep_outage = conn_mod.Outage(
            "for the worker's upkeep (leases kept, renewed when it is back)"
        )
        #: around every job, in order (see jobq.hooks); children inherit them by fork
        self.hooks = Hooks(with_observers(hooks))
        self.stop = Stop()
        self._signals = 0
        #: the largest result Redis takes (read at start; children inherit it)
        self.max_result_bytes: int | None = None
        self._executor: Executor | None = None
        self.execution = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, queues={self.queue_names})"

    @classmethod
    def all(cls, connection: redis.Redis | None = None) -> list[dict[str, str]]:
        return list_workers(conn_mod.resolve(connection))

    def _on_signal(self, signum: int, frame: Any) -> None:
        """SIGTERM / SIGINT: each kind of worker shuts down in its own way."""
        raise NotImplementedError

    def _start(
        self,
        logging_level: str | None,
        burst: bool,
        maintenance: Maintenance,
        with_scheduler: bool = False,
    ) -> dict[int, Any]:
        """What both kinds of worker do first: logging, a supported server, known
        queues, the worker's record. Until these land, Redis may still be starting
        (a cluster forming answers CLUSTERDOWN): waited for, unless a burst run.
        ``with_scheduler`` (rq's): also run the scheduler's pass, under the scheduler
        lock, so that of all workers asked to, one fires schedules at a time.
        Returns the signal handlers it replaced (put back by the worker's shutdown,
        or here if starting fails)."""
        if with_scheduler and self.scheduler_hook is None:
            self.scheduler_hook = scheduler_hook()
        if logging_level:
            logging.basicConfig(
                level=logging_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
            )

        def first_writes() -> None:
            conn_mod.check_version(self.connection)
            maintenance.claim_name()
            self.max_result_bytes = conn_mod.max_bulk_bytes(self.connection)
            self.connection.sadd(keys.QUEUES, *self.queue_names)
            maintenance.publish("starting", [], 0, 0)

        if burst:
            first_writes()
        else:
            conn_mod.retry_until_up(first_writes)
        # from here on a SIGTERM is a warm shutdown that gives back the record and
        # the scheduler locks taken next, not a death that leaves them to expire
        previous = arm_signals(self._on_signal)
        try:
            if with_scheduler:
                self._take_scheduler_duty(burst, maintenance)
            if self.keyring is None:
                logger.warning(signing.unsigned_warning(self.resolver.allowed))
            self._scheduler_tick()  # what is due already runs in this worker's first batch
        except BaseException:
            restore_signals(previous)
            raise
        return previous

    def _take_scheduler_duty(self, burst: bool, maintenance: Maintenance) -> None:
        """rq's scheduler of this worker's queues (see :mod:`.scheduler_duty`); a burst
        pass that fails takes the worker's record down with it and raises."""
        duty = self._duty = SchedulerDuty(self.queues, self.connection, self.name)
        self.scheduler = duty.scheduler
        try:
            if burst:
                duty.run_burst()
            else:
                conn_mod.retry_until_up(duty.begin)
        except BaseException:
            unregister_quietly(maintenance)
            raise

    def _end_scheduler_duty(self) -> None:
        if self._duty is not None:
            self._duty.end()

    def _maintenance(self, concurrency: int, on_reaped: OnReaped | None = None) -> Maintenance:
        record = WorkerRecord(self.name, self.queue_names, concurrency)
        return Maintenance(
            self.connection,
            self.queue_keys,
            record,
            lease_seconds=self.lease_seconds,
            on_reaped=on_reaped,
            history=self.history,
        )

    def _consumer(self, connection: redis.Redis, reporter: Any, budget: Budget | None) -> Consumer:
        self._executor = None  # this process's own (a child's, after the fork)
        by_name = {q.name: q for q in self.queues}
        return Consumer(
            connection,
            self.queue_keys,
            self.name,
            self.job_executor(),
            reporter,
            perform=lambda job: self.execute_job(job, by_name.get(job.origin)),
            lease_seconds=self.lease_seconds,
            max_prefetch=self.max_prefetch,
            budget=budget,
            serializer=self._job_serializer,
            stop=self.stop,
            job_class=self.job_class,
            history=self.history,
        )

    def _fail_killed(self, q: QueueKeys, job_id: str, error: str, reason: str, took: float) -> None:
        """Fail a job the supervisor gave up on (its executor died or overran); the
        history counts it with the run time seen here, its function and wait read
        from the job (a rare event: a read and a write more)."""
        job = Job(job_id, self.connection, origin=q.name)
        if self.history:
            with contextlib.suppress(NoSuchJobError):  # gone: the step drops it too
                job.refresh()
        codes = transitions.fail(self.connection, q, self.name, [(job_id, error, reason)])
        if self.history and codes and codes[0] > 0:
            recorder = Recorder()
            kind = "retried" if codes[0] == 2 else "failed"
            recorder.add(q.name, transitions.now_ms(), tally([(job.fields_view, kind, took)]))
            for _, start, per_function in recorder.take():
                transitions.record_history(self.connection, q, start, per_function)

    def _call_stopped_callback(self, queue: str, job_id: str) -> None:
        """Call the on_stopped of a run this worker was asked to stop (rq calls it in
        the worker's main process too), under its timeout; a job whose MAC does not
        hold, or that is no longer stopped (requeued meanwhile), calls nothing."""
        try:
            job = self.job_class.fetch(job_id, self.connection, queue=queue)
            job.verify(self.keyring)
        except (NoSuchJobError, SignatureError, DeserializationError) as e:
            logger.warning("stopped job %s: no on_stopped called (%s)", job_id, e)
            return
        path = job._text("on_stopped")
        if not path or job._text("status") != JobStatus.STOPPED.value:
            return
        try:
            func = self.resolver.resolve(path)
            with self.death_penalty_class(job.stopped_callback_timeout, JobTimeoutException):
                func(job, job.connection)
        except Exception:
            logger.exception("on_stopped callback %s of job %s failed", path, job_id)

    def _scheduler_tick(self) -> None:
        """The embedded scheduler's pass (``--with-scheduler``), when due: the pass
        says how long until its next slot, so runs are not a worker tick late."""
        if self.scheduler_hook is None or time.monotonic() < self._scheduler_due:
            return
        try:
            pause = self.scheduler_hook(self.connection)
            if self._duty is not None:
                self._duty.keep()
            self._scheduler_outage.ok()
        except Exception as e:  # the scheduler must not take the worker down
            if _is_transient(e):
                pause = self._scheduler_outage.failed(e)
            else:
                logger.exception("scheduler pass in the worker failed; will retry")
                pause = None
        wait = pause if isinstance(pause, int | float) and pause >= 0 else TICK
        self._scheduler_due = time.monotonic() + min(wait, TICK)

    def _until_scheduler(self, longest: float) -> float:
        """How long the worker may block before the embedded scheduler's next pass."""
        if self.scheduler_hook is None:
            return longest
        return max(0.0, min(longest, self._scheduler_due - time.monotonic()))

    @property
    def serializer(self) -> Serializer:
        """rq's attribute: the serializer given, else the configured default."""
        return self._job_serializer or configured_serializer(None)

    def request_stop(self) -> None:
        """Warm shutdown, as the first SIGTERM does."""
        self.stop.warm = True

    def register_birth(self) -> None:
        """Publish this worker's record (``work()`` does it itself; rq's name, for
        monitoring code that registers a worker without running it)."""
        self.connection.sadd(keys.QUEUES, *self.queue_names)
        self._maintenance(1).publish("idle", [], 0, 0)

    def register_death(self) -> None:
        """Remove this worker's record (rq's name)."""
        self._maintenance(1).unregister()

    def work(
        self,
        burst: bool = False,
        max_jobs: int | None = None,
        with_scheduler: bool = False,
        logging_level: str | None = None,
    ) -> bool:
        """Run until stopped (or, with ``burst``, until the queues are empty)."""
        raise NotImplementedError


def run_consumer(consumer: Consumer, burst: bool) -> None:
    """Run the loop; when Redis goes away (or cannot serve: full, loading, failing
    over), wait for it with backoff and settle what is pending: results computed
    meanwhile are sent once Redis takes writes again."""
    while True:
        try:
            consumer.recover()
            consumer.run(burst=burst)
            consumer.flush()
            consumer.send_history()
            return
        except Exception as e:
            if not _is_transient(e):
                raise
            time.sleep(consumer.outage.failed(e))


def unregister_quietly(maintenance: Maintenance) -> None:
    """Drop the worker's record on the way out; Redis away: it expires by itself."""
    try:
        maintenance.unregister()
    except Exception as e:
        if not _is_transient(e):
            raise
        logger.warning("worker record not removed (%s); it expires by itself", e)


def arm_signals(handler: Callable[[int, Any], None]) -> dict[int, Any]:
    """SIGTERM and SIGINT to ``handler`` (in the main thread only); the handlers they
    had, for :func:`restore_signals`."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}


def restore_signals(previous: dict[int, Any]) -> None:
    for s, handler in previous.items():
        signal.signal(s, handler)


def worker_state(running: bool, suspended: bool) -> str:
    """What a worker's record says it does: a suspended worker finishing a job is busy."""
    if running:
        return "busy"
    return "suspended" if suspended else "idle"

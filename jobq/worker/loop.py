"""Worker (supervisor + executor children) and SimpleWorker (in-process).

The supervisor never runs a job and keeps no Redis state of its own beyond the
worker record: it forks children, learns from their reports what each holds,
renews those leases, kills a child whose job overran its timeout, and buries or
hands back the jobs of a child that died. Signals: the first SIGTERM/SIGINT is a
warm shutdown (finish the running job, hand back prefetched ones), the second
a cold one (kill children, hand every job back).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import selectors
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
from ..exceptions import NoSuchJobError
from ..functions import FunctionResolver
from ..history import Recorder, bucket_of
from ..hooks import Hook, Hooks, with_observers
from ..job import Job
from ..keys import QueueKeys
from ..queue import Queue
from ..serializers import Serializer, configured_serializer
from ..utils import import_attribute
from .children import (
    EXIT_RECYCLED,
    Budgets,
    Child,
    PipeReporter,
    SharedBudget,
    describe_status,
    spawn,
)
from .consumer import Budget, Consumer, LocalBudget, Stop
from .executor import Executor, ShutdownRequested
from .holdings import Holdings
from .maintenance import Maintenance, OnReaped, WorkerRecord, list_workers

logger = logging.getLogger("jobq.worker")

#: seconds between promote ticks (retries with an interval, enqueue_at jobs)
TICK = 0.5
#: how long the supervisor lets children's reports accumulate after reading some
_COALESCE_SECONDS = 0.01
#: a job may overrun its timeout by this much before the supervisor kills its child
KILL_GRACE = 2.0
#: Redis restarting, failing over, resharding, loading or full: wait and retry
#: (which errors are so: conn_mod.is_transient, nowhere else)
_is_transient = conn_mod.is_transient


def _queue_names(queues: Iterable[Queue | str]) -> list[str]:
    names = [q.name if isinstance(q, Queue) else str(q) for q in queues]
    return names or [defaults.QUEUE_NAME]


class BaseWorker:
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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, queues={self.queue_names})"

    @classmethod
    def all(cls, connection: redis.Redis | None = None) -> list[dict[str, str]]:
        return list_workers(conn_mod.resolve(connection))

    def _start(self, logging_level: str | None, burst: bool, maintenance: Maintenance) -> None:
        """What both kinds of worker do first: logging, a supported server, known
        queues, the worker's record. Until these land, Redis may still be starting
        (a cluster forming answers CLUSTERDOWN): waited for, unless a burst run."""
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
        if self.keyring is None:
            logger.warning(signing.unsigned_warning(self.resolver.allowed))

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
        return Consumer(
            connection,
            self.queue_keys,
            self.name,
            Executor(
                self.resolver,
                self.hooks,
                max_result_bytes=self.max_result_bytes,
                keyring=self.keyring,
            ),
            reporter,
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
            entry = (job.func_name, kind, bucket_of(took), bucket_of(job.waited_seconds))
            recorder.add(q.name, transitions.now_ms(), {entry: 1})
            for _, start, per_function in recorder.take():
                transitions.record_history(self.connection, q, start, per_function)

    def _scheduler_tick(self) -> None:
        """The embedded scheduler's pass (``--with-scheduler``), when due: the pass
        says how long until its next slot, so runs are not a worker tick late."""
        if self.scheduler_hook is None or time.monotonic() < self._scheduler_due:
            return
        try:
            pause = self.scheduler_hook(self.connection)
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


class Worker(BaseWorker):
    """``jobq worker``: a supervisor with ``concurrency`` executor children."""

    def __init__(
        self,
        queues: Sequence[Queue | str] | Queue | str = (defaults.QUEUE_NAME,),
        connection: redis.Redis | None = None,
        name: str | None = None,
        *,
        concurrency: int = 1,
        max_jobs_per_child: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(queues, connection, name, **options)
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.concurrency = concurrency
        self.max_jobs_per_child = max_jobs_per_child
        self.children: dict[int, Child] = {}
        self._pending: list[Callable[[], object]] = []
        self._no_more_children = False
        self._respawn_delay = 0.0
        self._suspended = False
        self._done_ok = self._done_failed = 0

    # -- signals ----------------------------------------------------------------

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signals += 1
        if self._signals == 1:
            logger.info("warm shutdown: finishing running jobs (signal again for cold shutdown)")
            self.stop.warm = True
            self._signal_children(signal.SIGTERM)
        else:
            logger.warning("cold shutdown: killing executors, jobs go back to their queues")
            self.stop.cold = True
            self._signal_children(signal.SIGKILL)

    def _signal_children(self, sig: int) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    # -- children ---------------------------------------------------------------

    def _child_main(
        self, budget: SharedBudget | None, burst: bool
    ) -> Callable[[PipeReporter], int]:
        def main(reporter: PipeReporter) -> int:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, lambda *_: setattr(self.stop, "warm", True))
            self.stop.warm = False
            per_child = LocalBudget(self.max_jobs_per_child) if self.max_jobs_per_child else None
            connection = conn_mod.clone(self.connection)
            consumer = self._consumer(connection, reporter, Budgets(budget, per_child))
            run_consumer(consumer, burst)
            consumer.executor.close()
            if per_child is not None and per_child.left <= 0 and not self.stop.warm:
                return EXIT_RECYCLED  # not "queues empty": the supervisor starts a fresh child
            return 0

        return main

    def _spawn_missing(self, budget: SharedBudget | None, burst: bool) -> None:
        if self.stop.warm or self._no_more_children or time.monotonic() < self._respawn_delay:
            return
        if budget is not None and budget.left <= 0:
            return
        while len(self.children) < self.concurrency:
            self.hooks.before_fork()
            child = spawn(self._child_main(budget, burst))
            self.children[child.pid] = child
            self.selector.register(child.fd, selectors.EVENT_READ, child)
            logger.debug("started executor child %d", child.pid)

    def _read(self, timeout: float) -> None:
        try:
            events = self.selector.select(timeout)
        except InterruptedError:
            return
        for key, _ in events:
            child: Child = key.data
            self._drain(child)
        if events:
            # let reports pile up a little: busy children write a line or more per job,
            # and a wake-up per line would cost the supervisor more CPU than the jobs
            time.sleep(_COALESCE_SECONDS)

    def _drain(self, child: Child) -> None:
        while True:
            try:
                data = os.read(child.fd, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            child.feed(data)

    def _collect_exited(self, burst: bool) -> None:
        for pid, child in list(self.children.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done == 0:
                continue
            self._drain(child)
            self.selector.unregister(child.fd)
            os.close(child.fd)
            del self.children[pid]
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            clean = code in (0, EXIT_RECYCLED)
            if code == 0 and burst:
                self._no_more_children = True
            if not clean:
                self._respawn_delay = time.monotonic() + 0.5
                if not self.stop.cold:
                    logger.error("executor child %d died (%s)", pid, describe_status(status))
            self._bury(child, status)

    def _bury(self, child: Child, status: int) -> None:
        """Fail (or retry) the job a dead child was running; hand back the rest."""
        h = child.holdings
        if h.running is not None and not self.stop.cold:
            r = h.running
            h.held.get(r.queue, {}).pop(r.job_id, None)
            if child.killed_for_timeout:
                reason = "timeout"
                error = f"JobTimeoutException: Task exceeded maximum timeout value ({r.timeout:g} seconds); its executor was killed"
            else:
                reason = "worker child died"
                error = f"the executor running this job died ({describe_status(status)})"
            queue, took = QueueKeys(r.queue), time.monotonic() - r.started
            self._pending.append(
                functools.partial(self._fail_killed, queue, r.job_id, error, reason, took)
            )
            self._pending.append(functools.partial(self._report_lost, r.queue, [r.job_id]))
        for name, ids in h.snapshot().items():
            self._pending.append(
                functools.partial(
                    transitions.release, self.connection, QueueKeys(name), self.name, ids
                )
            )
        h.clear()
        self._run_pending()

    def _report_lost(self, queue: str, job_ids: list[str]) -> None:
        """Tell the hooks about jobs whose executor died (after_job never ran for
        them): one of this worker's children, or a whole dead worker's, reaped."""
        if self.hooks:
            for job in Job.fetch_many(job_ids, self.connection, queue=queue):
                if job is not None:
                    self.hooks.lost_job(job)

    def _run_pending(self) -> None:
        while self._pending:
            try:
                self._pending[0]()
            except Exception as e:
                if not _is_transient(e):
                    raise
                self._upkeep_outage.failed(e)  # settled on a later tick
                return
            self._pending.pop(0)

    def _enforce_timeouts(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            running = child.holdings.running
            if (
                running is not None
                and not child.killed_for_timeout
                and running.overdue(now, KILL_GRACE)
            ):
                logger.warning(
                    "job %s overran its %gs timeout; killing executor %d",
                    running.job_id,
                    running.timeout or 0,
                    child.pid,
                )
                child.killed_for_timeout = True
                os.kill(child.pid, signal.SIGKILL)

    # -- upkeep -------------------------------------------------------------------

    def _held(self) -> dict[str, list[str]]:
        merged: dict[str, list[str]] = {}
        for child in self.children.values():
            for q, ids in child.holdings.snapshot().items():
                merged.setdefault(q, []).extend(ids)
        return merged

    def _upkeep(self, maintenance: Maintenance, burst: bool) -> None:
        try:
            self._run_pending()
            maintenance.promote_due()
            running = [
                c.holdings.running.job_id for c in self.children.values() if c.holdings.running
            ]
            ok = sum(c.holdings.ok for c in self.children.values()) + self._done_ok
            failed = sum(c.holdings.failed for c in self.children.values()) + self._done_failed
            # every tick: a suspend stops new jobs within a tick, and a short one is seen;
            # the record published after it says so
            self._check_suspended(maintenance, burst)
            state = _state(bool(running), self._suspended)
            maintenance.upkeep(self._held(), state, running, ok, failed)
            self._upkeep_outage.ok()  # its writes landed: any outage is over
        except Exception as e:
            if not _is_transient(e):
                raise
            self._upkeep_outage.failed(e)  # the next tick tries again

    def _check_suspended(self, maintenance: Maintenance, burst: bool) -> None:
        command = maintenance.take_command()
        if command == "shutdown":
            logger.info("shutdown requested: finishing running jobs")
            self.request_stop()
            self._signal_children(signal.SIGTERM)
        elif command == "kill-horse":
            logger.warning("kill requested: killing executors, their jobs are handled as lost")
            self._signal_children(signal.SIGKILL)
        if maintenance.is_suspended():
            if burst:
                self.stop.warm = True
            if not self._suspended:
                logger.info("workers suspended: executors stop after their current job")
                self._suspended = True
                self._no_more_children = True
                self._signal_children(signal.SIGTERM)
        elif self._suspended:
            logger.info("workers resumed")
            self._suspended = False
            self._no_more_children = False

    # -- main ---------------------------------------------------------------------

    def work(
        self,
        burst: bool = False,
        max_jobs: int | None = None,
        with_scheduler: bool = False,
        logging_level: str | None = None,
    ) -> bool:
        """Run until stopped (or, with ``burst``, until the queues are empty)."""
        self._done_ok = self._done_failed = 0
        self._suspended = False
        self._no_more_children = False  # a second work() (e.g. burst again) starts afresh
        maintenance = self._maintenance(self.concurrency, self._report_lost)
        self._start(logging_level, burst, maintenance)
        budget = SharedBudget(max_jobs) if max_jobs else None
        self.selector = selectors.DefaultSelector()
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        logger.info(
            "worker %s started on queues %s (concurrency %d)",
            self.name,
            ",".join(self.queue_names),
            self.concurrency,
        )
        self._check_suspended(maintenance, burst)  # rq: a suspended burst worker exits at once
        last_tick = 0.0
        try:
            while True:
                self._spawn_missing(budget, burst)
                if not self.children and (
                    self.stop.warm
                    or (self._no_more_children and not self._suspended)
                    or (budget is not None and budget.left <= 0)
                ):
                    break
                self._read(self._until_scheduler(TICK / 5))
                self._scheduler_tick()
                before = {
                    pid: (c.holdings.ok, c.holdings.failed) for pid, c in self.children.items()
                }
                self._collect_exited(burst)
                for pid, (ok, failed) in before.items():
                    if pid not in self.children:
                        self._done_ok += ok
                        self._done_failed += failed
                self._enforce_timeouts()
                if time.monotonic() - last_tick >= TICK:
                    last_tick = time.monotonic()
                    self._upkeep(maintenance, burst)
        finally:
            self._shutdown(maintenance, previous)
        return True

    def _shutdown(self, maintenance: Maintenance, previous: dict[signal.Signals, Any]) -> None:
        if self.children:
            self.stop.cold = True
            self._signal_children(signal.SIGKILL)
            for child in list(self.children.values()):
                os.waitpid(child.pid, 0)
                self._drain(child)
                self._bury(child, 0)
                os.close(child.fd)
            self.children.clear()
        self._run_pending()
        for s, handler in previous.items():
            signal.signal(s, handler)
        _unregister(maintenance)
        self.selector.close()
        logger.info("worker %s stopped", self.name)


def _unregister(maintenance: Maintenance) -> None:
    """Drop the worker's record on the way out; Redis away: it expires by itself."""
    try:
        maintenance.unregister()
    except Exception as e:
        if not _is_transient(e):
            raise
        logger.warning("worker record not removed (%s); it expires by itself", e)


class _LockedReporter:
    """Holdings shared with the maintenance thread of an in-process worker."""

    def __init__(self, holdings: Holdings, lock: threading.Lock) -> None:
        self.holdings = holdings
        self.lock = lock

    def took(self, queue: str, job_ids: Sequence[str]) -> None:
        with self.lock:
            self.holdings.took(queue, job_ids)

    def started(self, queue: str, job_id: str, timeout: float | None) -> None:
        with self.lock:
            self.holdings.started(queue, job_id, timeout)

    def acked(self, queue: str, job_ids: Sequence[str], ok: int, failed: int) -> None:
        with self.lock:
            self.holdings.acked(queue, job_ids, ok, failed)


class SimpleWorker(BaseWorker):
    """Runs jobs in this process (rq's SimpleWorker); timeouts by SIGALRM."""

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signals += 1
        if self._signals == 1:
            logger.info("warm shutdown: finishing the running job")
            self.stop.warm = True
        else:
            raise ShutdownRequested()

    def _upkeep_loop(
        self,
        maintenance: Maintenance,
        holdings: Holdings,
        lock: threading.Lock,
        done: threading.Event,
    ) -> None:
        last = 0.0
        while not done.wait(self._until_scheduler(TICK)):
            self._scheduler_tick()
            if time.monotonic() - last < TICK:
                continue
            last = time.monotonic()
            try:
                self._fail_overrun(holdings, lock)
                maintenance.promote_due()
                with lock:
                    held = holdings.snapshot()
                    running = [holdings.running.job_id] if holdings.running else []
                    ok, failed = holdings.ok, holdings.failed
                self._check_suspended(maintenance)
                state = _state(bool(running), self.stop.paused)
                maintenance.upkeep(held, state, running, ok, failed)
                self._upkeep_outage.ok()  # its writes landed: any outage is over
            except Exception as e:
                if _is_transient(e):
                    self._upkeep_outage.failed(e)
                else:
                    logger.exception("worker upkeep failed; will retry")

    def _fail_overrun(self, holdings: Holdings, lock: threading.Lock) -> None:
        """SIGALRM stops a job that overran its timeout, unless the job blocks it or sits
        in C code. Then, KILL_GRACE later, the job is failed here with reason timeout
        (and retried per its Retry), as the supervised worker's kill records it, and its
        lease is no longer renewed. Its code still runs in this process: nothing short
        of killing the worker stops it, and what it returns is dropped (lease lost)."""
        with lock:
            running = holdings.running
            if running is None or not running.overdue(time.monotonic(), KILL_GRACE):
                return
            holdings.acked(running.queue, [running.job_id], 0, 1)
        logger.error(
            "job %s overran its %gs timeout and did not stop (SIGALRM blocked, or C code): "
            "failed with reason timeout; it still runs in this SimpleWorker, its result "
            "will be dropped (run the supervised worker to have overrunning jobs killed)",
            running.job_id,
            running.timeout or 0,
        )
        error = (
            f"JobTimeoutException: Task exceeded maximum timeout value ({running.timeout:g} "
            "seconds) and did not stop; it went on running in its SimpleWorker"
        )
        took = time.monotonic() - running.started
        self._fail_killed(QueueKeys(running.queue), running.job_id, error, "timeout", took)

    def _check_suspended(self, maintenance: Maintenance) -> None:
        if maintenance.take_command() == "shutdown":
            logger.info("shutdown requested: finishing the running job")
            self.request_stop()
        suspended = maintenance.is_suspended()
        if suspended != self.stop.paused:
            logger.info("workers %s", "suspended: no new jobs" if suspended else "resumed")
        self.stop.paused = suspended

    def work(
        self,
        burst: bool = False,
        max_jobs: int | None = None,
        with_scheduler: bool = False,
        logging_level: str | None = None,
    ) -> bool:
        maintenance = self._maintenance(1)
        self._start(logging_level, burst, maintenance)
        holdings, lock, done = Holdings(), threading.Lock(), threading.Event()
        consumer = self._consumer(
            self.connection,
            _LockedReporter(holdings, lock),
            LocalBudget(max_jobs) if max_jobs else None,
        )
        in_main = threading.current_thread() is threading.main_thread()
        previous = (
            {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
            if in_main
            else {}
        )
        upkeep = threading.Thread(
            target=self._upkeep_loop, args=(maintenance, holdings, lock, done), daemon=True
        )
        upkeep.start()
        try:
            maintenance.promote_due()
            self._check_suspended(maintenance)  # rq: a suspended burst worker exits at once
            run_consumer(consumer, burst)
        except ShutdownRequested:
            logger.warning("cold shutdown: the running job went back to its queue")
        finally:
            done.set()
            upkeep.join()
            consumer.executor.close()
            for s, handler in previous.items():
                signal.signal(s, handler)
            _unregister(maintenance)
        return True


def _state(running: bool, suspended: bool) -> str:
    """What a worker's record says it does: a suspended worker finishing a job is busy."""
    if running:
        return "busy"
    return "suspended" if suspended else "idle"

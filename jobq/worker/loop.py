"""Worker: a supervisor with executor children (SimpleWorker runs jobs in-process:
:mod:`jobq.worker.simple`).


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
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis

from .. import connection as conn_mod
from .. import defaults, transitions
from ..job import Job
from ..keys import QueueKeys
from ..queue import Queue
from .base import (
    KILL_GRACE,
    TICK,
    BaseWorker,
    restore_signals,
    run_consumer,
    unregister_quietly,
    worker_state,
)
from .children import (
    EXIT_RECYCLED,
    Budgets,
    Child,
    PipeReporter,
    SharedBudget,
    describe_status,
    spawn,
)
from .consumer import LocalBudget
from .maintenance import Maintenance

logger = logging.getLogger("jobq.worker")
#: how long the supervisor lets children's reports accumulate after reading some
_COALESCE_SECONDS = 0.01
_is_transient = conn_mod.is_transient


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
                if not self.stop.cold and child.stopping is None:
                    logger.error("executor child %d died (%s)", pid, describe_status(status))
            self._bury(child, status)

    def _bury(self, child: Child, status: int) -> None:
        """Fail (or retry) the job a dead child was running; hand back the rest."""
        h = child.holdings
        if h.running is not None and h.running.job_id == child.stopping:
            h.held.get(h.running.queue, {}).pop(h.running.job_id, None)  # ended by the stop
        elif h.running is not None and not self.stop.cold:
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

    def _stop_run(self, queue: str, job_id: str) -> None:
        """Kill the executor running a stopped job (stop-2.lua ended the job already,
        so nothing of the run is recorded), then call the job's on_stopped."""
        for child in self.children.values():
            running = child.holdings.running
            if running is not None and (running.queue, running.job_id) == (queue, job_id):
                logger.info("job %s stopped: killing executor %d", job_id, child.pid)
                child.stopping = job_id
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
        self._pending.append(functools.partial(self._call_stopped_callback, queue, job_id))

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
            state = worker_state(bool(running), self._suspended)
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
        while maintenance.stop_requests:
            self._stop_run(*maintenance.stop_requests.pop(0))
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
        previous = self._start(logging_level, burst, maintenance, with_scheduler)
        budget = SharedBudget(max_jobs) if max_jobs else None
        self.selector = selectors.DefaultSelector()
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

    def _shutdown(self, maintenance: Maintenance, previous: dict[int, Any]) -> None:
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
        restore_signals(previous)
        self._end_scheduler_duty()
        unregister_quietly(maintenance)
        self.selector.close()
        logger.info("worker %s stopped", self.name)

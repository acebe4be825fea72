"""SimpleWorker: rq's in-process worker, on the same consumer and upkeep as
:class:`jobq.worker.loop.Worker` but without children; its upkeep (leases,
reaping, its record, the embedded scheduler) runs on a thread beside the jobs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from .. import connection as conn_mod
from ..keys import QueueKeys
from .base import (
    KILL_GRACE,
    TICK,
    BaseWorker,
    restore_signals,
    run_consumer,
    unregister_quietly,
    worker_state,
)
from .consumer import LocalBudget
from .executor import ShutdownRequested
from .holdings import Holdings
from .maintenance import Maintenance

logger = logging.getLogger("jobq.worker")
_is_transient = conn_mod.is_transient


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
                state = worker_state(bool(running), self.stop.paused)
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
        while maintenance.stop_requests:
            # the run goes on in this process (its result will be dropped): only its callback
            self._call_stopped_callback(*maintenance.stop_requests.pop(0))
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
        previous = self._start(logging_level, burst, maintenance, with_scheduler)
        holdings, lock, done = Holdings(), threading.Lock(), threading.Event()
        consumer = self._consumer(
            self.connection,
            _LockedReporter(holdings, lock),
            LocalBudget(max_jobs) if max_jobs else None,
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
            restore_signals(previous)
            self._end_scheduler_duty()
            unregister_quietly(maintenance)
        return True

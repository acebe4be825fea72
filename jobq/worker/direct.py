"""rq's per-job worker methods: take, run and record one job the caller names.

rq users call these from tests and override them in Worker subclasses
(``prepare_execution``, ``perform_job``, ``execute_job``, ``handle_job_success``,
``handle_job_failure``). Here they run in the calling process on the same steps as
the worker loop: take-3.lua leases the job to this worker (as dequeue does), the
executor runs it between the hooks, finish-7.lua or fail-7.lua record the outcome
(so a failed job with retries left is retried, and dependents are settled). The
loop runs each job it took through :meth:`execute_job`; it acknowledges the
outcomes in batches, where :meth:`perform_job` records each at once.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

import redis

from .. import connection as conn_mod
from .. import keys, run_endings, taking
from ..exceptions import NoSuchJobError
from ..executions import Execution
from ..functions import FunctionResolver
from ..hooks import Acked, Hooks
from ..job import Job
from ..scripts import Taken
from ..signing import Keyring
from .executor import Executor, Outcome

if TYPE_CHECKING:
    from ..queue import Queue


class DirectRun:
    """Mixin of :class:`jobq.worker.base.BaseWorker` (its attributes, declared here)."""

    connection: redis.Redis
    name: str
    lease_seconds: float
    resolver: FunctionResolver
    hooks: Hooks
    keyring: Keyring | None
    max_result_bytes: int | None
    _executor: Executor | None
    #: rq's attribute: the execution prepared last (a job's attempt, see jobq.executions)
    execution: Execution | None
    job_class: type[Job]

    @property
    def key(self) -> str:
        """The Redis key of this worker's record (rq's ``worker.key``)."""
        return keys.worker(self.name)

    def job_executor(self) -> Executor:
        """The executor jobs run in, in this process (a child builds its own)."""
        if self._executor is None:
            self._executor = Executor(
                self.resolver,
                self.hooks,
                max_result_bytes=self.max_result_bytes,
                keyring=self.keyring,
            )
        return self._executor

    def prepare_execution(self, job: Job) -> Execution:
        """Take ``job`` (queued) for this worker: it becomes started, leased to it.
        Taking a job this worker holds already renews its lease (the same attempt)."""
        taken = self._hold(job)
        job.refresh()
        if taken is Taken.TAKEN:
            self.hooks.dequeued([job])  # as the loop tells them of each job it takes
        self.execution = Execution(str(job.attempts), job.id, job.connection)
        return self.execution

    def get_current_job_id(self) -> str | None:
        """The job this worker runs: the one taken here and not recorded yet, else the
        first its record names (published by a running worker at its heartbeat)."""
        if self.execution is not None:
            return self.execution.job_id
        raw = self.connection.hget(self.key, "current_jobs")
        running = json.loads(conn_mod.text(raw)) if raw else []
        return str(running[0]) if running else None

    def get_current_job(self) -> Job | None:
        job_id = self.get_current_job_id()
        if job_id is None:
            return None
        try:
            return self.job_class.fetch(job_id, self.connection)
        except NoSuchJobError:
            return None

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        """rq's second preparing step; taking the job is all jobq's worker does
        before running it (``remove_from_intermediate_queue``: jobq has no such queue)."""
        self.prepare_execution(job)

    def execute_job(self, job: Job, queue: Queue | None = None) -> Outcome:
        """Run a job this worker took, between the hooks, and say how it ended;
        nothing is recorded here (the loop acknowledges in batches, perform_job at
        once). The seam a subclass overrides to wrap every job the worker runs."""
        return self.job_executor().perform(job)

    def perform_job(self, job: Job, queue: Queue | None = None) -> bool:
        """Take ``job`` (unless this worker holds it), run it, record the outcome
        through the same steps the loop uses. True when it finished."""
        self.prepare_execution(job)
        outcome = self.execute_job(job, queue)
        if outcome.ok:
            self.handle_job_success(job, queue, result=outcome.result)
        elif outcome.retry is None:
            self.handle_job_failure(job, queue, exc_string=outcome.error, reason=outcome.reason)
        else:  # the job returned a Retry: retried per it, or failed once it is used up
            self._record(job, outcome)
        return outcome.ok

    def handle_job_success(
        self, job: Job, queue: Queue | None = None, started_job_registry: object = None, *,
        result: bytes | None = None,
    ) -> Acked:  # fmt: skip
        """Record that ``job`` returned ``result`` (serialized; None: the job's
        serializer's ``None``): finished, its dependents enqueued. A job not held
        yet is taken first. :meth:`perform_job` records through it; the loop
        acknowledges outcomes in batches instead (a hook's ``after_ack`` sees each)."""
        self._hold(job)
        value = job.serializer.dumps(None) if result is None else result
        return self._record(job, Outcome(job, True, result=value))

    def handle_job_failure(
        self, job: Job, queue: Queue | None = None, started_job_registry: object = None,
        exc_string: str = "", *, reason: str = "failed",
    ) -> Acked:  # fmt: skip
        """Record a failed attempt of ``job``: retried per its Retry, else failed with
        ``exc_string`` as its error and its dependents settled. A job not held yet is
        taken first (the attempt counts). As :meth:`handle_job_success`, used by
        :meth:`perform_job`, not by the loop."""
        self._hold(job)
        return self._record(job, Outcome(job, False, error=exc_string, reason=reason))

    def _hold(self, job: Job) -> Taken:
        q = keys.queue_keys(job.origin)
        return taking.take(self.connection, q, job.id, self.name, int(self.lease_seconds * 1000))

    def _record(self, job: Job, outcome: Outcome) -> Acked:
        """Record ``outcome`` of ``job`` (held by this worker) at once, and tell the hooks."""
        q = keys.queue_keys(job.origin)
        acked = run_endings.acknowledge(self.connection, q, self.name, outcome)
        if self.execution is not None and self.execution.job_id == job.id:
            self.execution = None
        self.hooks.after_ack(job, outcome, acked)
        with contextlib.suppress(NoSuchJobError):  # not kept (result_ttl 0)
            job.refresh()
        return acked
